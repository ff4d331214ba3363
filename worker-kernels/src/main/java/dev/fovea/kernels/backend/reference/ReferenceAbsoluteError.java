package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Tensor;

/**
 * Absolute error, the L1 loss before its division: for {@code src} and {@code target} of one shape,
 *
 * <pre>
 *   loss = Σ |src - target|                  (PyTorch's L1Loss(reduction='sum'))
 *   diffSrc = scale · sign(src - target)      (sign(0) = 0, PyTorch's subgradient)
 * </pre>
 */
final class ReferenceAbsoluteError {
  private ReferenceAbsoluteError() {}

  private static final String OP = "absolute error";

  static double forward(Tensor src, Tensor target) {
    Checks.shape(OP, "target", target, src.shape());
    double loss = 0;
    for (int i = 0; i < src.size(); i++) {
      loss += Math.abs(src.get(i) - target.get(i));
    }
    return loss;
  }

  static void backward(Tensor src, Tensor target, double scale, Tensor diffSrc) {
    Checks.shape(OP, "target", target, src.shape());
    Checks.shape(OP, "diffSrc", diffSrc, src.shape());
    for (int i = 0; i < src.size(); i++) {
      diffSrc.set(i, scale * Math.signum(src.get(i) - target.get(i)));
    }
  }
}
