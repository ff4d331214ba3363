package dev.fovea.driver.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Shape;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Zoo;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fovea predict} feeds each image through the evaluation transform: an image at the model's
 * input size as it is, any other size with its shorter side resized to {@code min(H, W) / 0.875}
 * and centre-cropped, so a 36×32 image under a 28×28 model (shorter side 32 = 28 / 0.875) gives
 * exactly its centre 28×28 pixels, where the earlier predict stretched the whole image.
 */
class PredictCommandTest {
  static final Shape INPUT = Shape.of(1, 28, 28);
  static final List<List<Double>> NORM = List.of(List.of(0.3), List.of(0.25));

  static BufferedImage grey(int w, int h, int dx, int dy) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int sx = x + dx;
        int sy = y + dy;
        img.getRaster().setSample(x, y, 0, (sx * 37 + sy * sy * 11 + (sx * sy) % 23) & 255);
      }
    }
    return img;
  }

  static Path png(Path dir, String name, BufferedImage img) throws IOException {
    Path p = dir.resolve(name);
    assertTrue(ImageIO.write(img, "png", p.toFile()));
    return p;
  }

  @Test
  void anImageOfAnotherSizeIsResizedAndCentreCropped(@TempDir Path tmp) throws IOException {
    Path big = png(tmp, "big.png", grey(36, 32, 0, 0));
    Path centre = png(tmp, "centre.png", grey(28, 28, 4, 2));
    Path corner = png(tmp, "corner.png", grey(28, 28, 0, 0));
    float[] b = PredictCommand.sample(big, INPUT, NORM);
    float[] c = PredictCommand.sample(centre, INPUT, NORM);
    assertEquals(784, b.length);
    assertArrayEquals(c, b, "the 36x32 image is its centre 28x28 crop, normalised");
    assertEquals(((grey(28, 28, 4, 2).getRaster().getSample(0, 0, 0) / 255.0) - 0.3) / 0.25, c[0], 1e-6);
    assertFalse(java.util.Arrays.equals(c, PredictCommand.sample(corner, INPUT, NORM)));

    // end to end, through the CLI, with a JPEG of yet another size beside them
    Path model = tmp.resolve("model.fovea");
    List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    ModelFile.Model m = new ModelFile.Model("lenet", INPUT, names,
        Zoo.lenet(INPUT, 10).layout().initialize(8), Map.of("normalization_mean", "0.3", "normalization_std", "0.25"));
    try (OutputStream out = Files.newOutputStream(model)) {
      ModelFile.write(m, out);
    }
    Path jpg = tmp.resolve("wide.jpg");
    assertTrue(ImageIO.write(grey(64, 40, 3, 1), "jpg", jpg.toFile()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "predict", "--model",
        model.toString(), "--backend", "reference", "--top", "10", big.toString(), centre.toString(), jpg.toString(), corner.toString());
    assertEquals(0, code, err.toString());
    List<String> lines = out.toString().lines().toList();
    assertEquals(4, lines.size(), out.toString());
    String centreLine = lines.get(1).substring(centre.toString().length());
    assertEquals(centreLine, lines.get(0).substring(big.toString().length()));
    // the printed probabilities tell crops apart, so a stretched or shifted image would not match
    assertFalse(centreLine.equals(lines.get(3).substring(corner.toString().length())), out.toString());
    assertTrue(lines.get(2).startsWith(jpg + ": "), lines.get(2));
  }

  /**
   * {@code --size}: a model whose features end in an adaptive pool classifies 32×32 images at 32×32
   * with its 28×28-trained parameters; LeNet (flatten before dense) is refused with the reason.
   */
  @Test
  void anotherInputSizeThroughAdaptivePooling(@TempDir Path tmp) throws IOException {
    dev.fovea.nn.Network net = dev.fovea.nn.Network.builder(INPUT)
        .then(dev.fovea.nn.Convolution.conv2d("conv", 4, 3, 1, 1, true))
        .then(dev.fovea.nn.AdaptivePooling.of2d("adapt", dev.fovea.kernels.PoolParams.Kind.AVG, 7, 7))
        .then(new dev.fovea.nn.Flatten("flat"))
        .then(new dev.fovea.nn.Dense("fc", 3, dev.fovea.nn.Initializer.GLOROT_UNIFORM))
        .build();
    Path model = tmp.resolve("adaptive.fovea");
    try (OutputStream out = Files.newOutputStream(model)) {
      ModelFile.write(new ModelFile.Model(net, null, List.of("x", "y", "z"), net.layout().initialize(2),
          new float[0], null, Map.of("normalization_mean", "0.3", "normalization_std", "0.25")), out);
    }
    Path img = png(tmp, "big.png", grey(32, 32, 0, 0));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "predict", "--model",
        model.toString(), "--backend", "reference", "--size", "32,32", img.toString());
    assertEquals(0, code, err.toString());
    assertTrue(out.toString().startsWith(img + ": "), out.toString());
    // at 28x28 the same image is cropped to its centre: other probabilities
    StringWriter at28 = new StringWriter();
    assertEquals(0, Fovea.run(new PrintWriter(at28, true), new PrintWriter(err, true), "predict", "--model",
        model.toString(), "--backend", "reference", img.toString()));
    assertFalse(out.toString().equals(at28.toString()), out + " vs " + at28);

    Path lenet = tmp.resolve("lenet.fovea");
    try (OutputStream o = Files.newOutputStream(lenet)) {
      ModelFile.write(new ModelFile.Model("lenet", INPUT, List.of("a", "b"), Zoo.lenet(INPUT, 2).layout()
          .initialize(1), Map.of("normalization_mean", "0.3", "normalization_std", "0.25")), o);
    }
    StringWriter err2 = new StringWriter();
    code = Fovea.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err2, true), "predict", "--model",
        lenet.toString(), "--backend", "reference", "--size", "32,32", img.toString());
    assertEquals(2, code);
    assertTrue(err2.toString().startsWith("fovea: error: " + lenet + ": --size 32,32: inputs (1, 32, 32) change the"
        + " parameters"), err2.toString());
  }
}
