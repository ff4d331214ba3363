package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Shape;
import dev.fovea.nn.Network;
import dev.fovea.nn.NetworkJson;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code --model} may name, and the one-line errors for what it may not. */
class ModelSpecTest {
  static final Configuration CONF = new Configuration();
  @TempDir Path tmp;

  @Test
  void aZooNameTravelsAsItsName() {
    ModelSpec s = ModelSpec.resolve("lenet", CONF);
    assertEquals("lenet", s.description());
    assertEquals("lenet", s.zoo());
    assertNull(s.json());
    assertEquals(10, s.build(Shape.of(1, 28, 28), 10).numClasses());
  }

  @Test
  void aJsonFileAYamlFileAndTheJavaDescriptionAreTheSameNetwork() throws Exception {
    Network net = NetworkFileTrainingIT.javaNetwork();
    String json = NetworkJson.toJsonString(net);
    Path file = tmp.resolve("net.json");
    Files.writeString(file, Files.readString(NetworkFileTrainingIT.EXAMPLE));
    ModelSpec fromFile = ModelSpec.resolve(file.toString(), CONF);
    ModelSpec fromJava = ModelSpec.resolve(json, CONF);
    assertEquals("net.json", fromFile.label());
    assertEquals("network", fromJava.label());
    assertNull(fromFile.zoo());
    assertEquals(fromJava.description(), fromFile.description(), "canonical descriptions");
    Network built = fromFile.build(Shape.of(1, 28, 28), 10);
    assertEquals(net.summary(), built.summary());
    assertEquals(net.layout().size(), built.layout().size());

    Path yaml = tmp.resolve("net.yaml");
    Files.writeString(yaml, new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().writeValueAsString(
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(json)));
    assertEquals(fromJava.description(), ModelSpec.resolve(yaml.toString(), CONF).description());
  }

  @Test
  void aNetworkThatDoesNotFitTheDataNamesBothSides() {
    ModelSpec s = ModelSpec.resolve(NetworkJson.toJsonString(NetworkFileTrainingIT.javaNetwork()), CONF);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.build(Shape.of(3, 32, 32), 10));
    assertEquals("network: the network takes input (1, 28, 28) and gives 10 outputs; the data has samples of "
        + "(3, 32, 32) and 10 classes", e.getMessage().replace(Shape.of(1, 28, 28).toString(), "(1, 28, 28)")
        .replace(Shape.of(3, 32, 32).toString(), "(3, 32, 32)"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> s.build(Shape.of(1, 28, 28), 3)).getMessage()
        .contains("3 classes"));
  }

  @Test
  void badNamesAndFilesAreOneLine() throws Exception {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSpec.resolve("lenet9", CONF)).getMessage()
        .startsWith("unknown model 'lenet9'; known: "));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSpec.resolve(
        tmp.resolve("none.json").toString(), CONF)).getMessage().endsWith("none.json: no such network file"));
    Path bad = tmp.resolve("bad.json");
    Files.writeString(bad, "{\"input_shape\": [1, 28, 28], \"layers\": [{\"type\": \"warp\", \"name\": \"w\"}]}");
    String m = assertThrows(IllegalArgumentException.class, () -> ModelSpec.resolve(bad.toString(), CONF))
        .getMessage();
    assertTrue(m.contains("bad.json") && m.contains("unknown layer type 'warp'"), m);
    Path huge = tmp.resolve("huge.json");
    try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
      f.setLength(ModelSpec.MAX_FILE_BYTES + 1); // sparse: no disk used
    }
    m = assertThrows(IllegalArgumentException.class, () -> ModelSpec.resolve(huge.toString(), CONF)).getMessage();
    assertTrue(m.contains("huge.json") && m.contains("at most"), m);
  }

  /** The decoder of the super-resolution study against image, class and other targets. */
  @Test
  void aNetworkIsCheckedAgainstTheShardSetsTargets() {
    String json = "{\"input_shape\": [1, 14, 14], \"loss\": \"mse\", \"layers\": [{\"type\": \"deconvolution\", "
        + "\"name\": \"up\", \"filters\": 1, \"kernel\": 4, \"stride\": 2, \"padding\": 1}]}";
    ModelSpec s = ModelSpec.resolve(json, CONF);
    dev.fovea.data.shard.TargetSpec image = dev.fovea.data.shard.TargetSpec.image(1, 28, 28);
    assertEquals(Shape.of(1, 28, 28), s.build(Shape.of(1, 14, 14), 10, image, Choices.Augment.NONE).outputShape());
    assertEquals("network: the network's loss mse needs image or float_vector targets; the shard set has class "
        + "targets (10 classes)", assertThrows(IllegalArgumentException.class,
            () -> s.build(Shape.of(1, 14, 14), 10, dev.fovea.data.shard.TargetSpec.CLASSES, Choices.Augment.NONE)).getMessage());
    assertEquals("network: the network takes input (1, 14, 14) and gives (1, 28, 28); the data has samples of "
        + "(1, 14, 14) and image (1, 32, 32) targets", assertThrows(IllegalArgumentException.class,
            () -> s.build(Shape.of(1, 14, 14), 10, dev.fovea.data.shard.TargetSpec.image(1, 32, 32), Choices.Augment.NONE))
            .getMessage());
    assertEquals("network: the network's loss mse needs image or float_vector targets; the shard set has multi_hot "
        + "(10) targets", assertThrows(IllegalArgumentException.class, () -> s.build(Shape.of(1, 14, 14), 10,
            new dev.fovea.data.shard.TargetSpec("multi_hot", java.util.List.of(10)), Choices.Augment.NONE)).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> s.build(Shape.of(1, 14, 14), 10, image,
        Choices.Augment.CROP_FLIP)).getMessage().startsWith("--augment crop-flip: the shard set has image (1, 28, 28) targets"));
    assertEquals("lenet: a zoo network gives class logits (softmax_cross_entropy); the shard set has image "
        + "(1, 28, 28) targets; give a network file whose output fits them", assertThrows(
            IllegalArgumentException.class, () -> ModelSpec.resolve("lenet", CONF).build(Shape.of(1, 28, 28), 10,
                image, Choices.Augment.NONE)).getMessage());
  }
}
