package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Tensor;

/**
 * Squared error, the mean-squared-error loss before its division: for {@code src} and {@code
 * target} of one shape,
 *
 * <pre>
 *   loss = Σ (src - target)²              (PyTorch's MSELoss(reduction='sum'))
 *   diffSrc = scale · 2 · (src - target)   (scale = 1 / size gives MSELoss(reduction='mean'))
 * </pre>
 */
final class ReferenceSquaredError {
  private ReferenceSquaredError() {}

  private static final String OP = "squared error";

  static double forward(Tensor src, Tensor target) {
    Checks.shape(OP, "target", target, src.shape());
    double loss = 0;
    for (int i = 0; i < src.size(); i++) {
      double d = src.get(i) - target.get(i);
      loss += d * d;
    }
    return loss;
  }

  static void backward(Tensor src, Tensor target, double scale, Tensor diffSrc) {
    Checks.shape(OP, "target", target, src.shape());
    Checks.shape(OP, "diffSrc", diffSrc, src.shape());
    for (int i = 0; i < src.size(); i++) {
      diffSrc.set(i, scale * 2 * (src.get(i) - target.get(i)));
    }
  }
}
