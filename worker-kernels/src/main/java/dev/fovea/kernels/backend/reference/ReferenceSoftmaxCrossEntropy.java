package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Tensor;

/**
 * Softmax over the last axis fused with cross-entropy against integer labels, with optional label
 * smoothing ε (PyTorch's {@code CrossEntropyLoss(label_smoothing=ε)}, Keras's {@code
 * label_smoothing}): the target of row n is {@code t[j] = (1 - ε) · [j = y] + ε / K}.
 *
 * <p>{@code dst[n, j] = exp(src[n, j] - m) / Σ_i exp(src[n, i] - m)} with {@code m = max_i src[n,
 * i]}, which keeps every exponent ≤ 0 and so is stable for logits of any size. The loss is {@code
 * -Σ_n Σ_j t[j] · (src[n, j] - m - log Σ_i exp(src[n, i] - m))}, never {@code log} of a rounded
 * probability. Its gradient in the logits is {@code dst - t} (with ε = 0: {@code dst -
 * onehot(y)}).
 */
final class ReferenceSoftmaxCrossEntropy {
  private ReferenceSoftmaxCrossEntropy() {}

  private static final String OP = "softmax cross-entropy";

  static double forward(Tensor src, int[] labels, Tensor dst) {
    return forward(src, labels, 0, dst);
  }

  private static void checkSmoothing(double labelSmoothing) {
    if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
      throw new IllegalArgumentException(OP + ": labelSmoothing must be in [0, 1], got " + labelSmoothing);
    }
  }

  static double forward(Tensor src, int[] labels, double labelSmoothing, Tensor dst) {
    checkSmoothing(labelSmoothing);
    int n = src.shape().dim(0);
    int k = src.shape().sampleSize();
    Checks.labels(OP, labels, n, k);
    if (dst.size() != src.size()) {
      throw new IllegalArgumentException(OP + ": dst " + dst.shape() + " differs from src " + src.shape());
    }
    double[] x = src.toDoubleArray();
    double[] y = new double[x.length];
    double loss = 0;
    for (int r = 0; r < n; r++) {
      int label = labels[r];
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
      double logSum = Math.log(sum);
      for (int j = 0; j < k; j++) {
        y[base + j] /= sum;
      }
      loss -= (1 - labelSmoothing) * (x[base + label] - m - logSum);
      if (labelSmoothing > 0) {
        double all = 0;
        for (int j = 0; j < k; j++) {
          all += x[base + j] - m - logSum;
        }
        loss -= labelSmoothing / k * all;
      }
    }
    dst.copyFrom(y);
    return loss;
  }

  static void backward(Tensor dst, int[] labels, double scale, Tensor diffSrc) {
    backward(dst, labels, 0, scale, diffSrc);
  }

  static void backward(Tensor dst, int[] labels, double labelSmoothing, double scale, Tensor diffSrc) {
    checkSmoothing(labelSmoothing);
    int n = dst.shape().dim(0);
    int k = dst.shape().sampleSize();
    Checks.labels(OP, labels, n, k);
    double[] g = dst.toDoubleArray();
    for (int r = 0; r < n; r++) {
      g[r * k + labels[r]] -= 1 - labelSmoothing;
      if (labelSmoothing > 0) {
        for (int j = 0; j < k; j++) {
          g[r * k + j] -= labelSmoothing / k;
        }
      }
    }
    for (int i = 0; i < g.length; i++) {
      g[i] *= scale;
    }
    diffSrc.copyFrom(g);
  }
}
