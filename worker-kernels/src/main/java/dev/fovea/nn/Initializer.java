package dev.fovea.nn;

import java.util.SplittableRandom;

/**
 * How a parameter slice starts. Fan-in and fan-out follow Keras: for a weight of shape {@code (O,
 * I, k...)} fan-in is {@code I · Πk} and fan-out {@code O · Πk}; for {@code (O, K)} they are K and O.
 *
 * <p>These constants keep their original draws so that existing seeds reproduce. {@link #HE_NORMAL}
 * is PyTorch's {@code kaiming_normal_} (a plain normal), not Keras's {@code he_normal} (a truncated
 * normal); the full set of Keras initialisers, with their defaults and the PyTorch differences, is
 * {@link WeightInit}.
 */
public enum Initializer implements ParamInit {
  /** All zeros (biases). */
  ZEROS,
  /**
   * Normal with mean 0 and standard deviation {@code sqrt(2 / fanIn)} (He et al. 2015), untruncated
   * as PyTorch's {@code kaiming_normal_}; Keras's truncated form is {@link WeightInit#heNormal()}.
   */
  HE_NORMAL,
  /** Uniform on {@code [-l, l]} with {@code l = sqrt(6 / (fanIn + fanOut))} (Glorot and Bengio 2010). */
  GLOROT_UNIFORM,
  /** All ones (batch-norm scale and running variance). */
  ONES,
  /** 0.25 everywhere, PyTorch's {@code PReLU} starting slope. */
  QUARTER;

  /** Fills {@code dst[offset, offset + count)} with draws from {@code rng}. */
  @Override
  public void fill(float[] dst, int offset, int count, int fanIn, int fanOut, SplittableRandom rng) {
    switch (this) {
      case ZEROS -> java.util.Arrays.fill(dst, offset, offset + count, 0f);
      case ONES -> java.util.Arrays.fill(dst, offset, offset + count, 1f);
      case QUARTER -> java.util.Arrays.fill(dst, offset, offset + count, 0.25f);
      case HE_NORMAL -> {
        double std = Math.sqrt(2.0 / fanIn);
        for (int i = 0; i < count; i++) {
          dst[offset + i] = (float) (std * gaussian(rng));
        }
      }
      case GLOROT_UNIFORM -> {
        double limit = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < count; i++) {
          dst[offset + i] = (float) (limit * (2 * rng.nextDouble() - 1));
        }
      }
      default -> throw new AssertionError(this);
    }
  }

  /** A standard normal draw by the Box–Muller transform, so the stream depends only on the seed. */
  static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2);
  }
}
