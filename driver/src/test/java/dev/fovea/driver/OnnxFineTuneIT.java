package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.driver.cli.Fovea;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import dev.fovea.nn.onnx.OnnxExport;
import dev.fovea.nn.onnx.OnnxImport;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fovea train --init-model model.onnx}: a LeNet in ONNX (as Fovea exports it) is fine-tuned
 * on Fashion-MNIST's last five classes with its convolutions frozen (bitwise unchanged from the ONNX
 * file's initializers) and a new classifier head.
 */
class OnnxFineTuneIT {

  @Test
  void fineTunesFromAnOnnxFileWithFrozenConvolutions(@TempDir Path tmp) throws Exception {
    Path b = FineTuneIT.task(tmp, "task-b", 5, 3000);
    Shape input = Shape.of(1, 28, 28);
    Network net = Zoo.lenet(input, 10);
    ModelFile.Model start = new ModelFile.Model("lenet", input, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
        net.layout().initialize(42), Map.of());
    Path onnx = tmp.resolve("start.onnx");
    try (OutputStream o = Files.newOutputStream(onnx)) {
      OnnxExport.write(start, o);
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertEquals(0, Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "train", "--data", b.toString(),
        "--out", tmp.resolve("b").toString(), "--epochs", "1", "--init-model", onnx.toString(),
        "--freeze", "conv1,conv2", "--replace-head", "fc2"), err.toString());
    assertTrue(out.toString().contains("starting from " + onnx), out.toString());
    ModelFile.Model before = OnnxImport.read(onnx);
    ModelFile.Model after = FineTuneIT.model(tmp.resolve("b/model.fovea"));
    for (String frozen : new String[] {"conv1.weights", "conv1.bias", "conv2.weights", "conv2.bias"}) {
      assertArrayEquals(FineTuneIT.slice(before, frozen), FineTuneIT.slice(after, frozen), frozen + " is bitwise unchanged");
    }
    assertFalse(Arrays.equals(FineTuneIT.slice(before, "fc1.weights"), FineTuneIT.slice(after, "fc1.weights")),
        "fc1 was fine-tuned");
    assertFalse(Arrays.equals(FineTuneIT.slice(before, "fc2.weights"), FineTuneIT.slice(after, "fc2.weights")),
        "fc2 is a new head");
  }

  /**
   * The same from a LeNet PyTorch exported (worker-kernels/src/test/resources/onnx/pytorch, made by
   * make_onnx.py there): its module names are the zoo LeNet's, so its weights are found by name.
   */
  @Test
  void fineTunesAPytorchExport(@TempDir Path tmp) throws Exception {
    Path b = FineTuneIT.task(tmp, "task-b", 5, 3000);
    Path onnx = Path.of("..", "worker-kernels", "src", "test", "resources", "onnx", "pytorch", "lenet.onnx");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertEquals(0, Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "train", "--data", b.toString(),
        "--out", tmp.resolve("b").toString(), "--epochs", "1", "--init-model", onnx.toString(),
        "--freeze", "conv1,conv2", "--replace-head", "fc2"), err.toString());
    assertTrue(out.toString().contains("copied [conv1.weights, conv1.bias, conv2.weights, conv2.bias, fc1.weights,"
        + " fc1.bias]"), out.toString());
    ModelFile.Model before = OnnxImport.read(onnx);
    ModelFile.Model after = FineTuneIT.model(tmp.resolve("b/model.fovea"));
    for (String frozen : new String[] {"conv1.weights", "conv1.bias", "conv2.weights", "conv2.bias"}) {
      assertArrayEquals(FineTuneIT.slice(before, frozen), FineTuneIT.slice(after, frozen), frozen + " is bitwise unchanged");
    }
    assertFalse(Arrays.equals(FineTuneIT.slice(before, "fc1.weights"), FineTuneIT.slice(after, "fc1.weights")));
    double accuracy = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(tmp.resolve("b/summary.json").toFile()).get("test_accuracy").asDouble();
    System.out.println("fine-tuned from PyTorch's LeNet (random weights, frozen convolutions), 1 epoch: " + accuracy);
    assertTrue(accuracy > 0.5, "accuracy " + accuracy);
  }
}
