package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Tensor;

/**
 * Sigmoid fused with binary cross-entropy, for multi-label outputs (PyTorch's {@code
 * BCEWithLogitsLoss}, Keras's {@code BinaryCrossentropy(from_logits=True)}): for logits x and
 * targets t in [0, 1] of one shape,
 *
 * <pre>
 *   dst  = σ(x)
 *   loss = Σ max(x, 0) - x · t + log(1 + exp(-|x|))        (= -Σ t·log σ(x) + (1-t)·log(1-σ(x)), stably)
 *   diffSrc = scale · (σ(x) - t)
 * </pre>
 *
 * The loss is summed, not averaged; targets are data and get no gradient.
 */
final class ReferenceSigmoidCrossEntropy {
  private ReferenceSigmoidCrossEntropy() {}

  private static final String OP = "sigmoid cross-entropy";

  static double forward(Tensor src, Tensor targets, Tensor dst) {
    Checks.shape(OP, "targets", targets, src.shape());
    Checks.shape(OP, "dst", dst, src.shape());
    double loss = 0;
    double[] y = new double[src.size()];
    for (int i = 0; i < y.length; i++) {
      double x = src.get(i);
      double t = targets.get(i);
      if (!(t >= 0 && t <= 1)) {
        throw new IllegalArgumentException(OP + ": target " + t + " at " + i + " not in [0, 1]");
      }
      y[i] = ReferenceEltwise.sigmoid(x);
      loss += Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    }
    dst.copyFrom(y);
    return loss;
  }

  static void backward(Tensor dst, Tensor targets, double scale, Tensor diffSrc) {
    Checks.shape(OP, "targets", targets, dst.shape());
    Checks.shape(OP, "diffSrc", diffSrc, dst.shape());
    for (int i = 0; i < dst.size(); i++) {
      diffSrc.set(i, scale * (dst.get(i) - targets.get(i)));
    }
  }
}
