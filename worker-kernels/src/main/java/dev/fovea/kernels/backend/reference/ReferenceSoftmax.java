package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Tensor;

/**
 * Softmax and log-softmax over each sample of {@code src (N, K)} (a source of higher rank is read
 * as {@code (N, K)} with K the size of one sample), shifted by the row maximum {@code m} so every
 * exponent is ≤ 0 and logits of any size (±1e4 included) stay finite:
 *
 * <pre>
 *   softmax:      dst[n, j] = exp(src[n, j] - m) / Σᵢ exp(src[n, i] - m)
 *   log-softmax:  dst[n, j] = src[n, j] - m - log Σᵢ exp(src[n, i] - m)
 * </pre>
 *
 * Backward from {@code dst} (overwriting {@code diffSrc}): softmax {@code diffSrc = dst ·
 * (diffDst - Σⱼ diffDst · dst)}; log-softmax {@code diffSrc = diffDst - exp(dst) · Σⱼ diffDst}.
 */
final class ReferenceSoftmax {
  private ReferenceSoftmax() {}

  private static final String OP = "softmax";

  static void forward(boolean log, Tensor src, Tensor dst) {
    Checks.shape(OP, "dst", dst, src.shape());
    int n = src.shape().dim(0);
    int k = src.shape().sampleSize();
    double[] x = src.toDoubleArray();
    double[] y = new double[x.length];
    for (int r = 0; r < n; r++) {
      int base = r * k;
      double m = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < k; j++) {
        m = Math.max(m, x[base + j]);
      }
      double sum = 0;
      for (int j = 0; j < k; j++) {
        sum += Math.exp(x[base + j] - m);
      }
      double logSum = Math.log(sum);
      for (int j = 0; j < k; j++) {
        y[base + j] = log ? x[base + j] - m - logSum : Math.exp(x[base + j] - m) / sum;
      }
    }
    dst.copyFrom(y);
  }

  static void backward(boolean log, Tensor dst, Tensor diffDst, Tensor diffSrc) {
    Checks.shape(OP, "diffDst", diffDst, dst.shape());
    Checks.shape(OP, "diffSrc", diffSrc, dst.shape());
    int n = dst.shape().dim(0);
    int k = dst.shape().sampleSize();
    double[] y = dst.toDoubleArray();
    double[] dy = diffDst.toDoubleArray();
    double[] dx = new double[y.length];
    for (int r = 0; r < n; r++) {
      int base = r * k;
      double s = 0;
      for (int j = 0; j < k; j++) {
        s += log ? dy[base + j] : dy[base + j] * y[base + j];
      }
      for (int j = 0; j < k; j++) {
        dx[base + j] = log ? dy[base + j] - Math.exp(y[base + j]) * s : y[base + j] * (dy[base + j] - s);
      }
    }
    diffSrc.copyFrom(dx);
  }
}
