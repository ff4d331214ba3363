package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;

/**
 * Randomised leaky ReLU in training (Xu et al. 2015, PyTorch's {@code RReLU}): each element draws
 * its slope {@code a = lower + (upper - lower) · u}, with u from {@code new
 * SplittableRandom(seed).nextDouble()} once per element in row-major order, writes it to {@code
 * slope} (src's shape) and applies {@code dst = src ≥ 0 ? src : a · src}. Backward is parametric
 * ReLU's with that per-element slope and no slope gradient. At evaluation the slope is the mean
 * {@code (lower + upper) / 2}: the element-wise kind {@code RRELU}.
 */
final class ReferenceRrelu {
  private ReferenceRrelu() {}

  private static final String OP = "rrelu";

  static void forward(double lower, double upper, long seed, Tensor src, Tensor slope, Tensor dst) {
    if (!(lower >= 0 && lower <= upper && upper < 1)) {
      throw new IllegalArgumentException(OP + ": bounds must satisfy 0 <= lower <= upper < 1, got lower " + lower
          + ", upper " + upper);
    }
    Checks.shape(OP, "slope", slope, src.shape());
    Checks.shape(OP, "dst", dst, src.shape());
    SplittableRandom rng = new SplittableRandom(seed);
    double[] a = new double[src.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = lower + (upper - lower) * rng.nextDouble();
    }
    slope.copyFrom(a);
    ReferencePrelu.forward(src, slope, dst);
  }
}
