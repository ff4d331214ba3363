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
}
