package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Tensor;

/**
 * Element-wise weighted sum of tensors of one shape (ResNet's shortcut addition):
 *
 * <pre>
 *   dst = Σᵢ scales[i] · srcs[i]
 * </pre>
 *
 * Its gradient is {@code diffSrcs[i] = scales[i] · diffDst}, which is this same op with one
 * source, so the op has no separate backward. {@code dst} is overwritten and may be one of the
 * sources.
 */
final class ReferenceSum {
  private ReferenceSum() {}

  private static final String OP = "sum";

  static void forward(double[] scales, Tensor[] srcs, Tensor dst) {
    if (srcs.length == 0 || scales.length != srcs.length) {
      throw new IllegalArgumentException(OP + ": " + scales.length + " scales for " + srcs.length
          + " sources (need one per source, at least one)");
    }
    for (Tensor s : srcs) {
      Checks.shape(OP, "source", s, dst.shape());
    }
    double[] y = new double[dst.size()];
    for (int t = 0; t < srcs.length; t++) {
      for (int i = 0; i < y.length; i++) {
        y[i] += scales[t] * srcs[t].get(i);
      }
    }
    dst.copyFrom(y);
  }
}
