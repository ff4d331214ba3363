package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.idx.IdxReader;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.cli.Fovea;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.ParamLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transfer learning through the driver: a LeNet trained on Fashion-MNIST's first five classes
 * (clothes) is fine-tuned on the other five (shoes, shirts, bags) with its convolutions frozen and
 * a new classifier head.
 */
class FineTuneIT {

  /** Writes the samples of classes [from, from + 5), relabelled 0..4, as an MNIST-layout folder. */
  static Path task(Path parent, String name, int from, int trainLimit) throws IOException {
    Path dir = parent.resolve(name);
    Files.createDirectories(dir);
    for (String split : new String[] {"train", "t10k"}) {
      IdxReader.Images img;
      byte[] labels;
      try (InputStream in = Files.newInputStream(FashionMnist.dir().resolve(split + "-images-idx3-ubyte.gz"))) {
        img = IdxReader.readImages(in, split);
      }
      try (InputStream in = Files.newInputStream(FashionMnist.dir().resolve(split + "-labels-idx1-ubyte.gz"))) {
        labels = IdxReader.readLabels(in, split);
      }
      int limit = split.equals("train") ? trainLimit : 2000;
      byte[] px = new byte[limit * 784];
      byte[] lb = new byte[limit];
      int n = 0;
      for (int i = 0; i < labels.length && n < limit; i++) {
        if (labels[i] >= from && labels[i] < from + 5) {
          System.arraycopy(img.pixels(), i * 784, px, n * 784, 784);
          lb[n++] = (byte) (labels[i] - from);
        }
      }
      FashionMnist.writeImages(dir.resolve(split + "-images-idx3-ubyte.gz"), n, 28, 28,
          Arrays.copyOf(px, n * 784));
      FashionMnist.writeLabels(dir.resolve(split + "-labels-idx1-ubyte.gz"), Arrays.copyOf(lb, n));
    }
    return dir;
  }

  static ModelFile.Model model(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return ModelFile.read(in, file.toString());
    }
  }

  static float[] slice(ModelFile.Model m, String name) {
    ParamLayout.Slice s = m.network().layout().slice(name);
    return Arrays.copyOfRange(m.params(), s.offset(), s.offset() + s.size());
  }

  @Test
  void fineTunesWithFrozenConvolutionsAndANewHead(@TempDir Path tmp) throws Exception {
    Path a = task(tmp, "task-a", 0, 6000);
    Path b = task(tmp, "task-b", 5, 3000);
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    assertEquals(0, Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "train", "--data", a.toString(),
        "--out", tmp.resolve("a").toString(), "--epochs", "2"), err.toString());
    assertEquals(0, Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "train", "--data", b.toString(),
        "--out", tmp.resolve("b").toString(), "--epochs", "1", "--init-model",
        tmp.resolve("a/model.fovea").toString(), "--freeze", "conv1,conv2", "--replace-head", "fc2"), err.toString());
    assertTrue(out.toString().contains("starting from " + tmp.resolve("a/model.fovea")), out.toString());

    ModelFile.Model before = model(tmp.resolve("a/model.fovea"));
    ModelFile.Model after = model(tmp.resolve("b/model.fovea"));
    for (String frozen : new String[] {"conv1.weights", "conv1.bias", "conv2.weights", "conv2.bias"}) {
      assertArrayEquals(slice(before, frozen), slice(after, frozen), frozen + " is bitwise unchanged");
    }
    assertFalse(Arrays.equals(slice(before, "fc1.weights"), slice(after, "fc1.weights")), "fc1 was fine-tuned");
    double accuracy = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(tmp.resolve("b/summary.json").toFile()).get("test_accuracy").asDouble();
    // stated bar: one epoch on 3,000 images of the new five classes, convolutions frozen
    assertTrue(accuracy >= 0.80, "accuracy on the new task " + accuracy);

    StringWriter e2 = new StringWriter();
    assertEquals(2, Fovea.run(new PrintWriter(new StringWriter(), true), new PrintWriter(e2, true), "train",
        "--data", b.toString(), "--out", tmp.resolve("c").toString(), "--init-model",
        tmp.resolve("a/model.fovea").toString(), "--freeze", "conv9"));
    assertTrue(e2.toString().contains("conv9"), e2.toString());
  }
}
