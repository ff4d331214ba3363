package dev.fovea.driver.cli;

import dev.fovea.data.DataException;
import dev.fovea.data.batch.Normalizer;
import dev.fovea.driver.TrainingRun;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Backends;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.ModelFile;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fovea predict}: the top classes of image files under a saved model, in this JVM. */
@Command(name = "predict", mixinStandardHelpOptions = true,
    description = "Classify image files (PNG, JPEG, BMP, GIF) with a saved model: top-k classes and probabilities.")
final class PredictCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", paramLabel = "FILE", required = true, description = "a model.fovea file")
  String model;

  @Option(names = "--top", description = "classes to show per image (default: ${DEFAULT-VALUE})")
  int top = 3;

  @Option(names = "--backend", description = "auto, reference or onednn (default: ${DEFAULT-VALUE})")
  String backend = "auto";

  @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "image files")
  List<Path> images;

  static ModelFile.Model load(String file) throws IOException {
    Path p = Path.of(file);
    if (!Files.isRegularFile(p)) {
      throw new IllegalArgumentException(file + ": no such model file");
    }
    try (InputStream in = Files.newInputStream(p)) {
      return ModelFile.read(in, file);
    } catch (ModelFile.ModelFileException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The image as (C, H, W) unsigned bytes for the model's input: grey or RGB, resized bilinearly. */
  static byte[] pixels(Path file, Shape input) throws IOException {
    BufferedImage img = ImageIO.read(file.toFile());
    if (img == null) {
      throw new DataException(file + ": not an image this JVM can decode");
    }
    int c = input.dim(0);
    int h = input.dim(1);
    int w = input.dim(2);
    BufferedImage scaled = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    Graphics2D g = scaled.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(img, 0, 0, w, h, null);
    g.dispose();
    byte[] out = new byte[c * h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = scaled.getRGB(x, y);
        if (c == 1) {
          out[y * w + x] = (byte) scaled.getRaster().getSample(x, y, 0);
        } else {
          out[y * w + x] = (byte) (rgb >> 16);
          out[h * w + y * w + x] = (byte) (rgb >> 8);
          out[2 * h * w + y * w + x] = (byte) rgb;
        }
      }
    }
    return out;
  }

  @Override
  public Integer call() throws Exception {
    ModelFile.Model m = load(model);
    Normalizer norm = TrainingRun.normalizer(m);
    Shape input = m.inputShape();
    int n = images.size();
    byte[] all = new byte[n * input.size()];
    for (int i = 0; i < n; i++) {
      System.arraycopy(pixels(images.get(i), input), 0, all, i * input.size(), input.size());
    }
    int[] order = new int[n];
    Arrays.setAll(order, i -> i);
    Tensor x = norm.batch(new dev.fovea.data.shard.SampleBlock(all, new int[n], input.size()), order, 0, n).images();
    try (Backend b = Backends.resolve(backend, w -> spec.commandLine().getErr().println("fovea: warning: " + w))
        .create(1)) {
      Tensor logits = m.network().forward(b, m.params(), m.buffers(), x);
      int k = m.classNames().size();
      for (int i = 0; i < n; i++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
          max = Math.max(max, logits.get(i * k + j));
        }
        double[] p = new double[k];
        double sum = 0;
        for (int j = 0; j < k; j++) {
          p[j] = Math.exp(logits.get(i * k + j) - max);
          sum += p[j];
        }
        final double total = sum;
        Integer[] idx = new Integer[k];
        Arrays.setAll(idx, j -> j);
        Arrays.sort(idx, Comparator.comparingDouble(j -> -p[j]));
        StringBuilder line = new StringBuilder(images.get(i).toString()).append(':');
        for (int t = 0; t < Math.min(top, k); t++) {
          line.append(String.format(" %s %.4f%s", m.classNames().get(idx[t]), p[idx[t]] / total,
              t < Math.min(top, k) - 1 ? "," : ""));
        }
        spec.commandLine().getOut().println(line);
      }
    }
    return 0;
  }
}
