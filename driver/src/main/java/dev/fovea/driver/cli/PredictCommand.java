package dev.fovea.driver.cli;

import dev.fovea.data.DataException;
import dev.fovea.data.image.Codecs;
import dev.fovea.data.image.Image;
import dev.fovea.data.image.ImageCodec;
import dev.fovea.driver.InputTransforms;
import dev.fovea.driver.TrainingRun;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Backends;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.ModelFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fovea predict}: the top classes of image files under a saved model, in this JVM. */
@Command(name = "predict", mixinStandardHelpOptions = true,
    description = "Classify image files (JPEG, PNG, BMP) with a saved model: top-k classes and probabilities;"
        + " each is resized and centre-cropped as evaluation does.")
final class PredictCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", paramLabel = "FILE", required = true, description = "a model.fovea, model.onnx or DL4J model.zip file")
  String model;

  @Option(names = "--top", description = "classes to show per image (default: ${DEFAULT-VALUE})")
  int top = 3;

  @Option(names = "--backend", description = "auto, reference or onednn (default: ${DEFAULT-VALUE})")
  String backend = "auto";

  @Option(names = "--size", paramLabel = "H,W", split = ",", description = "classify at this input size instead of"
      + " the model's (for networks whose features end in global or adaptive pooling; the same parameters)")
  int[] size;

  @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "image files")
  List<Path> images;

  static ModelFile.Model load(String file) throws IOException {
    Path p = Path.of(file);
    if (!Files.isRegularFile(p)) {
      throw new IllegalArgumentException(file + ": no such model file");
    }
    try (InputStream in = Files.newInputStream(p)) {
      if (file.toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
        return dev.fovea.nn.onnx.OnnxImport.read(in, Files.size(p), file);
      }
      if (dev.fovea.nn.dl4j.Dl4jImport.isDl4jFile(file)) {
        return dev.fovea.nn.dl4j.Dl4jImport.read(in, Files.size(p), file);
      }
      return ModelFile.read(in, Files.size(p), file);
    } catch (ModelFile.ModelFileException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * The image file as the model's normalised input (C, H, W): decoded by the codec to the model's
   * channels, then the evaluation transform of {@link InputTransforms#validation(int, int, Shape,
   * List, List)} (as it is at the input size, else shorter side to min(H, W) / 0.875 and the
   * centre crop) with the training set's per-channel mean and std.
   */
  static float[] sample(Path file, Shape input, List<List<Double>> norm) throws IOException {
    Image img;
    try {
      img = Codecs.best().decode(Files.readAllBytes(file), input.dim(0));
    } catch (ImageCodec.BadImageException e) {
      throw new DataException(file + ": " + e.getMessage(), e);
    }
    float[] out = new float[input.size()];
    InputTransforms.validation(img.height(), img.width(), input, norm.get(0), norm.get(1))
        .apply(img, new SplittableRandom(0), out, 0);
    return out;
  }

  /**
   * The model's network at {@code --size H,W} (null: at its own size); bad values, and networks whose
   * parameters depend on the input size, are refused with a message naming {@code file}.
   */
  static dev.fovea.nn.Network atSize(ModelFile.Model m, String file, int[] size) {
    if (size == null) {
      return m.network();
    }
    if (size.length != 2 || size[0] < 1 || size[1] < 1) {
      throw new IllegalArgumentException("invalid value " + Arrays.toString(size) + " for --size: must be H,W");
    }
    try {
      return m.network().withInputShape(Shape.of(m.inputShape().dim(0), size[0], size[1]));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": --size " + size[0] + "," + size[1] + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    ModelFile.Model m = load(model);
    List<List<Double>> norm = TrainingRun.normalization(m);
    dev.fovea.nn.Network net = atSize(m, model, size);
    Shape input = net.inputShape();
    int n = images.size();
    float[] all = new float[n * input.size()];
    for (int i = 0; i < n; i++) {
      System.arraycopy(sample(images.get(i), input, norm), 0, all, i * input.size(), input.size());
    }
    Tensor x = Tensor.wrap(all, input.prepend(n));
    try (Backend b = Backends.resolve(backend, w -> spec.commandLine().getErr().println("fovea: warning: " + w))
        .create(1)) {
      Tensor logits = net.forward(b, m.params(), m.buffers(), x);
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
