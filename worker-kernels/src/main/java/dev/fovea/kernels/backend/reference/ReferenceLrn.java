package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.LrnParams;
import dev.fovea.kernels.Tensor;

/**
 * Local response normalisation across channels (formula on {@link LrnParams}): for each {@code
 * (n, spatial position)}, with the window {@code W(c) = [c - floor(size/2), c + floor((size-1)/2)]
 * ∩ [0, C)},
 *
 * <pre>
 *   s[c]   = k + alpha / size · Σ_{c' ∈ W(c)} src[c']²
 *   dst[c] = src[c] · s[c]^(-beta)
 *   diffSrc[j] = diffDst[j] · s[j]^(-beta) - 2 · beta · alpha / size · src[j] · Σ_{c : j ∈ W(c)} diffDst[c] · src[c] · s[c]^(-beta-1)
 * </pre>
 */
final class ReferenceLrn {
  private ReferenceLrn() {}

  private static final String OP = "lrn";

  private static double[] scales(LrnParams p, double[] x, int n, int c, int inner) {
    double[] s = new double[x.length];
    int before = p.size() / 2;
    int after = (p.size() - 1) / 2;
    for (int b = 0; b < n; b++) {
      for (int q = 0; q < inner; q++) {
        for (int k = 0; k < c; k++) {
          double sum = 0;
          for (int j = Math.max(0, k - before); j <= Math.min(c - 1, k + after); j++) {
            double v = x[(b * c + j) * inner + q];
            sum += v * v;
          }
          s[(b * c + k) * inner + q] = p.k() + p.alpha() / p.size() * sum;
        }
      }
    }
    return s;
  }

  /** Overwrites {@code dst (N, C, ...)}. */
  static void forward(LrnParams p, Tensor src, Tensor dst) {
    Checks.rankAtLeast(OP, "source", src, 2);
    Checks.shape(OP, "dst", dst, src.shape());
    double[] x = src.toDoubleArray();
    double[] s = scales(p, x, src.shape().dim(0), src.shape().dim(1), Checks.inner(src.shape()));
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * Math.pow(s[i], -p.beta());
    }
    dst.copyFrom(y);
  }

  /** Overwrites {@code diffSrc (N, C, ...)}. */
  static void backward(LrnParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    Checks.rankAtLeast(OP, "source", src, 2);
    Checks.shape(OP, "diffDst", diffDst, src.shape());
    Checks.shape(OP, "diffSrc", diffSrc, src.shape());
    int n = src.shape().dim(0);
    int c = src.shape().dim(1);
    int inner = Checks.inner(src.shape());
    double[] x = src.toDoubleArray();
    double[] dy = diffDst.toDoubleArray();
    double[] s = scales(p, x, n, c, inner);
    double[] t = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      t[i] = dy[i] * x[i] * Math.pow(s[i], -p.beta() - 1);
    }
    int before = p.size() / 2;
    int after = (p.size() - 1) / 2;
    double coef = 2 * p.beta() * p.alpha() / p.size();
    double[] dx = new double[x.length];
    for (int b = 0; b < n; b++) {
      for (int q = 0; q < inner; q++) {
        for (int j = 0; j < c; j++) {
          int idx = (b * c + j) * inner + q;
          double sum = 0;
          // c with j in W(c): c - before <= j <= c + after
          for (int k = Math.max(0, j - after); k <= Math.min(c - 1, j + before); k++) {
            sum += t[(b * c + k) * inner + q];
          }
          dx[idx] = dy[idx] * Math.pow(s[idx], -p.beta()) - coef * x[idx] * sum;
        }
      }
    }
    diffSrc.copyFrom(dx);
  }
}
