package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.DropoutParams;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;

/**
 * Inverted dropout, seeded. In training, with {@code u} drawn from {@code new
 * SplittableRandom(seed).nextDouble()} once per element in row-major order (or once per {@code (n,
 * c)} channel plane, in order, when {@code spatial}):
 *
 * <pre>
 *   mask = u ≥ rate ? 1 / (1 - rate) : 0,   dst = mask · src
 * </pre>
 *
 * At evaluation {@code mask = 1} and {@code dst = src}. Backward: {@code diffSrc = mask · diffDst}.
 * The draws are part of the specification, so every backend produces the same mask for a seed.
 */
final class ReferenceDropout {
  private ReferenceDropout() {}

  private static final String OP = "dropout";

  /** Overwrites {@code mask} and {@code dst}, both of {@code src}'s shape {@code (N, C, ...)}. */
  static void forward(DropoutParams p, boolean training, long seed, Tensor src, Tensor mask, Tensor dst) {
    Checks.shape(OP, "mask", mask, src.shape());
    Checks.shape(OP, "dst", dst, src.shape());
    int n = src.size();
    double[] m = new double[n];
    if (!training) {
      java.util.Arrays.fill(m, 1);
    } else {
      SplittableRandom rng = new SplittableRandom(seed);
      double keep = 1 / (1 - p.rate());
      if (p.spatial()) {
        Checks.rankAtLeast(OP, "spatial dropout source", src, 3);
        int inner = Checks.inner(src.shape());
        for (int plane = 0; plane < n / Math.max(inner, 1); plane++) {
          double v = rng.nextDouble() >= p.rate() ? keep : 0;
          java.util.Arrays.fill(m, plane * inner, (plane + 1) * inner, v);
        }
      } else {
        for (int i = 0; i < n; i++) {
          m[i] = rng.nextDouble() >= p.rate() ? keep : 0;
        }
      }
    }
    double[] y = src.toDoubleArray();
    for (int i = 0; i < n; i++) {
      y[i] *= m[i];
    }
    mask.copyFrom(m);
    dst.copyFrom(y);
  }

  /** Overwrites {@code diffSrc = mask · diffDst}; may be in place. */
  static void backward(Tensor mask, Tensor diffDst, Tensor diffSrc) {
    Checks.shape(OP, "diffDst", diffDst, mask.shape());
    Checks.shape(OP, "diffSrc", diffSrc, mask.shape());
    for (int i = 0; i < mask.size(); i++) {
      diffSrc.set(i, mask.get(i) * diffDst.get(i));
    }
  }
}
