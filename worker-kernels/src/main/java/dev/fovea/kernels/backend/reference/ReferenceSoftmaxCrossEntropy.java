package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Tensor;

/**
 * Softmax over the last axis fused with cross-entropy against integer labels.
 *
 * <p>{@code dst[n, j] = exp(src[n, j] - m) / Σ_i exp(src[n, i] - m)} with {@code m = max_i src[n,
 * i]}, which keeps every exponent ≤ 0 and so is stable for logits of any size. The loss is {@code
 * Σ_n -(src[n, y] - m - log Σ_i exp(src[n, i] - m))}, never {@code log} of a rounded
 * probability. Its gradient in the logits is {@code dst - onehot(y)}.
 */
final class ReferenceSoftmaxCrossEntropy {
  private ReferenceSoftmaxCrossEntropy() {}

  static double forward(Tensor src, int[] labels, Tensor dst) {
    int n = src.shape().dim(0);
    int k = src.shape().sampleSize();
    if (labels.length != n) {
      throw new IllegalArgumentException("softmax cross-entropy: " + labels.length + " labels for " + n + " rows");
    }
    if (dst.size() != src.size()) {
      throw new IllegalArgumentException("softmax cross-entropy: dst " + dst.shape() + " differs from src " + src.shape());
    }
    double[] x = src.toDoubleArray();
    double[] y = new double[x.length];
    double loss = 0;
    for (int r = 0; r < n; r++) {
      int label = labels[r];
      if (label < 0 || label >= k) {
        throw new IllegalArgumentException("softmax cross-entropy: label " + label + " of row " + r + " not in [0, " + k + ")");
      }
      int base = r * k;
      double m = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < k; j++) {
        m = Math.max(m, x[base + j]);
      }
      double sum = 0;
      for (int j = 0; j < k; j++) {
        double e = Math.exp(x[base + j] - m);
        y[base + j] = e;
        sum += e;
      }
      for (int j = 0; j < k; j++) {
        y[base + j] /= sum;
      }
      loss -= x[base + label] - m - Math.log(sum);
    }
    dst.copyFrom(y);
    return loss;
  }

  static void backward(Tensor dst, int[] labels, double scale, Tensor diffSrc) {
    int n = dst.shape().dim(0);
    int k = dst.shape().sampleSize();
    double[] g = dst.toDoubleArray();
    for (int r = 0; r < n; r++) {
      g[r * k + labels[r]] -= 1;
    }
    for (int i = 0; i < g.length; i++) {
      g[i] *= scale;
    }
    diffSrc.copyFrom(g);
  }
}
