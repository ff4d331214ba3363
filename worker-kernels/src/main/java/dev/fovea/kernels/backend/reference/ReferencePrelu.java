package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * Parametric ReLU (He et al. 2015, PyTorch's {@code PReLU}) with a learned slope that is shared
 * (slope {@code (1)}), per channel (slope {@code (C)} for src {@code (N, C, ...)}), or per element
 * (slope of src's shape, as randomised leaky ReLU draws it):
 *
 * <pre>
 *   dst = src > 0 ? src : a · src                  a the slope that applies to the element
 *   diffSrc = diffDst · (src > 0 ? 1 : a)          overwritten
 *   diffSlope[a] += Σ_{elements using a, src ≤ 0} diffDst · src     accumulated
 * </pre>
 */
final class ReferencePrelu {
  private ReferencePrelu() {}

  private static final String OP = "prelu";

  /** Maps element i of src to its slope index. */
  private interface SlopeIndex {
    int of(int i);
  }

  private static SlopeIndex index(Tensor src, Tensor slope) {
    Shape s = src.shape();
    if (slope.shape().equals(Shape.of(1))) {
      return i -> 0;
    }
    if (slope.shape().equals(s)) {
      return i -> i;
    }
    if (s.rank() >= 2 && slope.shape().equals(Shape.of(s.dim(1)))) {
      int inner = Checks.inner(s);
      int c = s.dim(1);
      return i -> (i / inner) % c;
    }
    throw new IllegalArgumentException(OP + ": slope " + slope.shape() + " must be (1), (C) or the source's shape "
        + s);
  }

  static void forward(Tensor src, Tensor slope, Tensor dst) {
    Checks.shape(OP, "dst", dst, src.shape());
    SlopeIndex ix = index(src, slope);
    for (int i = 0; i < src.size(); i++) {
      double x = src.get(i);
      dst.set(i, x > 0 ? x : slope.get(ix.of(i)) * x);
    }
  }

  static void backward(Tensor src, Tensor slope, Tensor diffDst, Tensor diffSrc, Tensor diffSlope) {
    Checks.shape(OP, "diffDst", diffDst, src.shape());
    Checks.shape(OP, "diffSrc", diffSrc, src.shape());
    SlopeIndex ix = index(src, slope);
    double[] ds = new double[slope.size()];
    for (int i = 0; i < src.size(); i++) {
      double x = src.get(i);
      double g = diffDst.get(i);
      if (x > 0) {
        diffSrc.set(i, g);
      } else {
        diffSrc.set(i, slope.get(ix.of(i)) * g);
        ds[ix.of(i)] += g * x;
      }
    }
    if (diffSlope != null) {
      Checks.shape(OP, "diffSlope", diffSlope, slope.shape());
      diffSlope.addFrom(ds);
    }
  }
}
