package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.cli.Fovea;
import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ActivationLayer;
import dev.fovea.nn.BatchNorm;
import dev.fovea.nn.Convolution;
import dev.fovea.nn.Dense;
import dev.fovea.nn.Dropout;
import dev.fovea.nn.Flatten;
import dev.fovea.nn.Initializer;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.Pooling;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training a network that is not in the zoo: the worked example of docs/networks.md
 * ({@code docs/examples/fashion-cnn.json}) trained from its file, and the same network built with
 * the graph API in Java, give bitwise the same parameters on Spark in local mode with real
 * Fashion-MNIST samples; a network that does not fit the data is one line naming both sides.
 */
class NetworkFileTrainingIT {
  static final Path EXAMPLE = Path.of("..", "docs", "examples", "fashion-cnn.json");
  @TempDir static Path tmp;
  static SparkSession spark;
  static Path data;

  @BeforeAll
  static void start() throws Exception {
    data = FashionMnist.subset(tmp, 1024, 400);
    spark = SparkSessions.create("NetworkFileTrainingIT", "local[2]", 2);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** The example network, written with the graph API. */
  static Network javaNetwork() {
    return Network.builder(Shape.of(1, 28, 28))
        .then(Convolution.conv2d("conv1", 32, 3, 1, 1, false)).then(BatchNorm.of("bn1"))
        .then(new ActivationLayer("relu1", Activation.of(Activation.Kind.RELU)))
        .then(Pooling.max2d("pool1", 2, 2, 0))
        .then(Convolution.conv2d("conv2", 64, 3, 1, 1, false)).then(BatchNorm.of("bn2"))
        .then(new ActivationLayer("relu2", Activation.of(Activation.Kind.RELU)))
        .then(Pooling.max2d("pool2", 2, 2, 0))
        .then(new Flatten("flatten"))
        .then(new Dense("fc1", 256, Initializer.HE_NORMAL))
        .then(new ActivationLayer("relu3", Activation.of(Activation.Kind.RELU)))
        .then(new Dropout("drop", 0.3, false))
        .then(new Dense("fc2", 10, Initializer.GLOROT_UNIFORM))
        .build();
  }

  private static TrainConfig.Builder config(String out) {
    return TrainConfig.builder().data(data.toString()).shards(tmp.resolve("shards").toString())
        .out(tmp.resolve(out).toString()).workers(2).batch(32).stepsPerRound(4).epochs(1).seed(5).backend("auto");
  }

  private static ModelFile.Model model(String out) throws Exception {
    try (InputStream in = Files.newInputStream(tmp.resolve(out).resolve("model.fovea"))) {
      return ModelFile.read(in, out);
    }
  }

  @Test
  void aNetworkFileAndTheSameNetworkBuiltInJavaTrainToTheSameParameters() throws Exception {
    assertTrue(Files.isRegularFile(EXAMPLE), EXAMPLE.toAbsolutePath() + " is the documented example");
    TrainingRun.Result fromFile = new TrainingRun(spark, config("file").model(EXAMPLE.toString()).build(), m -> { })
        .run();
    TrainingRun.Result fromJava = new TrainingRun(spark, config("java").network(javaNetwork()).build(), m -> { })
        .run();
    assertArrayEquals(fromFile.params(), fromJava.params(), "the file and the Java network train alike");
    assertTrue(fromFile.testAccuracy() > 0.6, "test accuracy after one epoch of 1,024 images: "
        + fromFile.testAccuracy());

    ModelFile.Model m = model("file");
    assertNull(m.zoo(), "a described network has no zoo name");
    assertEquals(javaNetwork().layout().size(), m.params().length);
    assertArrayEquals(fromFile.params(), m.params());
    // the model file carries the architecture: evaluate/predict rebuild it without the JSON file
    assertEquals(javaNetwork().summary(), m.network().summary());
  }

  @Test
  void aNetworkThatDoesNotFitTheDataIsOneLineNamingBothSides() throws Exception {
    Path wrong = tmp.resolve("five-classes.json");
    Files.writeString(wrong, Files.readString(EXAMPLE).replace("\"units\": 10", "\"units\": 5"));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "train", "--data",
        data.toString(), "--shards", tmp.resolve("shards").toString(), "--out", tmp.resolve("wrong").toString(),
        "--model", wrong.toString(), "--epochs", "1", "--master", "local[2]");
    assertEquals(2, code, err.toString());
    String line = err.toString().strip();
    assertFalse(line.contains("\n"), line);
    assertTrue(line.contains("five-classes.json") && line.contains("5 outputs") && line.contains("10 classes"),
        line);
    assertFalse(Files.exists(tmp.resolve("wrong").resolve("model.fovea")), "nothing written");
  }

  @Test
  void aBrokenNetworkFileFailsBeforeSparkStarts() {
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "train", "--model",
        tmp.resolve("missing.json").toString());
    assertEquals(2, code);
    assertTrue(err.toString().contains("missing.json: no such network file"), err.toString());
  }
}
