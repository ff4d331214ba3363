package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The loss a network is trained with, one per network (its main output and every auxiliary head),
 * with the kind of target it reads. Every loss is written once, as backend ops (the reference
 * backend's file of each op is its formula); this enum only says which op, and how it is scaled:
 *
 * <table>
 *   <caption>losses, per sample; the batch's loss is their sum, its gradient that of their mean</caption>
 *   <tr><th>name</th><th>target</th><th>per sample</th><th>op</th></tr>
 *   <tr><td>{@code softmax_cross_entropy}</td><td>class</td><td>{@code -log softmax(y)[label]}</td>
 *       <td>{@code softmaxCrossEntropy*}</td></tr>
 *   <tr><td>{@code sigmoid_bce}</td><td>multi_hot</td><td>mean over the K labels of the binary
 *       cross-entropy of {@code σ(y)}</td><td>{@code sigmoidCrossEntropy*}</td></tr>
 *   <tr><td>{@code mse}</td><td>image, float_vector</td><td>mean over the E values of {@code (y -
 *       t)²}</td><td>{@code squaredError*}</td></tr>
 *   <tr><td>{@code l1}</td><td>image, float_vector</td><td>mean over the E values of {@code |y -
 *       t|}</td><td>{@code absoluteError*}</td></tr>
 *   <tr><td>{@code pixel_softmax_cross_entropy}</td><td>mask (H, W)</td><td>mean over the H·W pixels
 *       of {@code -log softmax(y[:, p])[mask[p]]}, the output {@code (K, H, W)} giving K class
 *       logits per pixel</td><td>{@code softmaxCrossEntropy*} over the pixels as rows</td></tr>
 * </table>
 *
 * <p>So MSE is PyTorch's {@code MSELoss()} (mean over every value of the batch) and the summed loss
 * a run reports, divided by the samples, is the same mean; per-pixel cross-entropy is PyTorch's
 * {@code CrossEntropyLoss()} over {@code (N, K, H, W)} logits and {@code (N, H, W)} class targets.
 */
public enum Loss {
  SOFTMAX_CROSS_ENTROPY("softmax_cross_entropy", List.of("class")),
  SIGMOID_BCE("sigmoid_bce", List.of("multi_hot")),
  MSE("mse", List.of("image", "float_vector")),
  L1("l1", List.of("image", "float_vector")),
  PIXEL_SOFTMAX_CROSS_ENTROPY("pixel_softmax_cross_entropy", List.of("mask"));

  private final String id;
  private final List<String> targets;

  Loss(String id, List<String> targets) {
    this.id = id;
    this.targets = targets;
  }

  /** The name in network files and on the command line, e.g. {@code mse}. */
  public String id() {
    return id;
  }

  /**
   * The shard-set target kinds this loss trains towards ({@code dev.fovea.data.shard.TargetSpec}'s
   * kinds: {@code class}, {@code multi_hot}, {@code float_vector}, {@code image}, {@code mask}).
   */
  public List<String> targetKinds() {
    return targets;
  }

  /** Whether the loss reads the integer labels (else a target tensor of the output's shape). */
  public boolean readsLabels() {
    return this == SOFTMAX_CROSS_ENTROPY;
  }

  /**
   * The rank the network's output must have: 1 (class logits) for softmax cross-entropy, 3 ({@code
   * (K, H, W)}) for per-pixel cross-entropy, 0 where any shape compares with targets of that shape.
   */
  public int outputRank() {
    return switch (this) {
      case SOFTMAX_CROSS_ENTROPY -> 1;
      case PIXEL_SOFTMAX_CROSS_ENTROPY -> 3;
      default -> 0;
    };
  }

  /**
   * The per-sample target shape that fits an {@code output} of this loss: {@code (H, W)} for a
   * per-pixel cross-entropy output {@code (K, H, W)}, the output's own shape for the others (for
   * softmax cross-entropy, whose targets are labels, the logits' shape).
   */
  public Shape targetShape(Shape output) {
    if (this == PIXEL_SOFTMAX_CROSS_ENTROPY) {
      return Shape.of(output.dim(1), output.dim(2));
    }
    return output;
  }

  /** The loss named {@code name} ({@link #id()}, any case); the error lists the valid names. */
  public static Loss parse(String name) {
    for (Loss l : values()) {
      if (l.id.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
        return l;
      }
    }
    throw new IllegalArgumentException("unknown loss '" + name + "': must be one of "
        + String.join(", ", Arrays.stream(values()).map(Loss::id).toList()));
  }

  /**
   * The summed loss of a batch of outputs {@code dst (N, ...)}, and into {@code diff} (same shape,
   * overwritten) the gradient of {@code weight} times its mean over the N samples.
   *
   * @param labels N class indices (read by {@link #SOFTMAX_CROSS_ENTROPY})
   * @param targets {@code (N, ...)} of {@code dst}'s shape (read by the others)
   */
  public double lossAndGradient(Backend backend, Tensor dst, int[] labels, Tensor targets, double weight,
      Tensor diff) {
    int n = dst.shape().dim(0);
    if (readsLabels()) {
      if (labels == null || labels.length != n) {
        throw new IllegalArgumentException(id + ": " + (labels == null ? "no" : labels.length) + " labels for a batch"
            + " of " + n);
      }
      Tensor probs = Tensor.zeros(dst.shape(), dst.dtype());
      double loss = backend.softmaxCrossEntropyForward(dst, labels, probs);
      backend.softmaxCrossEntropyBackward(probs, labels, weight / n, diff);
      return loss;
    }
    if (this == PIXEL_SOFTMAX_CROSS_ENTROPY) {
      return pixelLossAndGradient(backend, dst, targets, weight, diff);
    }
    if (targets == null || !targets.shape().equals(dst.shape())) {
      throw new IllegalArgumentException(id + ": targets " + (targets == null ? "missing" : "of " + targets.shape())
          + " for outputs of " + dst.shape());
    }
    Tensor t = targets.dtype() == dst.dtype() ? targets : converted(targets, dst);
    int per = dst.size() / n;
    double scale = weight / ((double) n * per);
    double sum = switch (this) {
      case MSE -> {
        double l = backend.squaredErrorForward(dst, t);
        backend.squaredErrorBackward(dst, t, scale, diff);
        yield l;
      }
      case L1 -> {
        double l = backend.absoluteErrorForward(dst, t);
        backend.absoluteErrorBackward(dst, t, scale, diff);
        yield l;
      }
      case SIGMOID_BCE -> {
        Tensor probs = Tensor.zeros(dst.shape(), dst.dtype());
        double l = backend.sigmoidCrossEntropyForward(dst, t, probs);
        backend.sigmoidCrossEntropyBackward(probs, t, scale, diff);
        yield l;
      }
      default -> throw new IllegalStateException(id);
    };
    return sum / per;
  }

  /**
   * Per-pixel softmax cross-entropy of {@code dst (N, K, H, W)} against {@code targets (N, H, W)}
   * (a class in [0, K) per pixel): the pixels become the rows {@code (N·H·W, K)} of the backend's
   * softmax cross-entropy (a reorder on the host, as the op reads rows), whose gradient is
   * reordered back. Returns the sum over samples of the mean over pixels.
   */
  private double pixelLossAndGradient(Backend backend, Tensor dst, Tensor targets, double weight, Tensor diff) {
    Shape s = dst.shape();
    if (s.rank() != 4) {
      throw new IllegalArgumentException(id + ": outputs of " + s + " are not (N, K, H, W)");
    }
    int n = s.dim(0);
    int k = s.dim(1);
    int hw = s.dim(2) * s.dim(3);
    Shape want = Shape.of(n, s.dim(2), s.dim(3));
    if (targets == null || !targets.shape().equals(want)) {
      throw new IllegalArgumentException(id + ": targets " + (targets == null ? "missing" : "of " + targets.shape())
          + " for outputs of " + s + " (want masks of " + want + ")");
    }
    int rows = n * hw;
    int[] labels = new int[rows];
    for (int r = 0; r < rows; r++) {
      double v = targets.get(r);
      if (!(v >= 0 && v < k) || v != Math.rint(v)) {
        throw new IllegalArgumentException(id + ": sample " + r / hw + ", pixel " + r % hw + " has class " + v
            + ", not one of the output's " + k + " classes");
      }
      labels[r] = (int) v;
    }
    Tensor logits = Tensor.zeros(Shape.of(rows, k), dst.dtype());
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < k; c++) {
        for (int p = 0; p < hw; p++) {
          logits.set((i * hw + p) * k + c, dst.get((i * k + c) * hw + p));
        }
      }
    }
    Tensor probs = Tensor.zeros(logits.shape(), dst.dtype());
    double sum = backend.softmaxCrossEntropyForward(logits, labels, probs);
    Tensor rowDiff = Tensor.zeros(logits.shape(), dst.dtype());
    backend.softmaxCrossEntropyBackward(probs, labels, weight / rows, rowDiff);
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < k; c++) {
        for (int p = 0; p < hw; p++) {
          diff.set((i * k + c) * hw + p, rowDiff.get((i * hw + p) * k + c));
        }
      }
    }
    return sum / hw;
  }

  private static Tensor converted(Tensor targets, Tensor like) {
    Tensor t = Tensor.zeros(targets.shape(), like.dtype());
    for (int i = 0; i < t.size(); i++) {
      t.set(i, targets.get(i));
    }
    return t;
  }
}
