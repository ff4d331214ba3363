package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.cli.Fovea;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Zoo;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fovea evaluate --size}: a zoo ResNet saved at 28×28 evaluates real Fashion-MNIST test
 * shards at 32×32 on local Spark (its features end in global pooling, so the parameters fit); LeNet
 * (a flatten before its dense layers) is refused in one line, exit 2, before Spark starts.
 */
class EvaluateAtAnotherSizeIT {
  static final Shape INPUT = Shape.of(1, 28, 28);
  static final List<String> CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
  static final Map<String, String> NORM = Map.of("normalization_mean", "0.29", "normalization_std", "0.35");

  static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  static Path save(Path file, ModelFile.Model m) throws IOException {
    try (OutputStream o = Files.newOutputStream(file)) {
      ModelFile.write(m, o);
    }
    return file;
  }

  @Test
  void aResnetSavedAt28EvaluatesAt32(@TempDir Path tmp) throws IOException {
    Path data = FashionMnist.subset(tmp, 100, 60);
    String[] shard = run("shard", "--data", data.toString(), "--out", tmp.resolve("shards").toString());
    assertEquals("0", shard[0], shard[2]);
    Path resnet = save(tmp.resolve("resnet20.fovea"), new ModelFile.Model("resnet20", INPUT, CLASSES,
        Zoo.build("resnet20", INPUT, 10).layout().initialize(3), NORM));
    String test = tmp.resolve("shards/test").toString();
    String[] at32 = run("evaluate", "--model", resnet.toString(), "--shards", test, "--workers", "1", "--size",
        "32,32");
    assertEquals("0", at32[0], at32[2]);
    assertTrue(at32[1].startsWith("fovea: 60 samples · accuracy "), at32[1]);

    Path lenet = save(tmp.resolve("lenet.fovea"), new ModelFile.Model("lenet", INPUT, CLASSES,
        Zoo.build("lenet", INPUT, 10).layout().initialize(3), NORM));
    String[] refused = run("evaluate", "--model", lenet.toString(), "--shards", test, "--size", "32,32");
    assertEquals("2", refused[0]);
    assertEquals(1, refused[2].strip().lines().count(), refused[2]);
    assertTrue(refused[2].startsWith("fovea: error: " + lenet + ": --size 32,32: inputs (1, 32, 32) change the"
        + " parameters of a network built for (1, 28, 28)"), refused[2]);
  }
}
