package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Tensor;

/**
 * Negative log-likelihood of integer labels, given log-probabilities {@code src (N, K)} (the output
 * of log-softmax; PyTorch's {@code NLLLoss(reduction='sum')}):
 *
 * <pre>
 *   loss = -Σₙ src[n, labels[n]]
 *   diffSrc[n, j] = -scale · [j = labels[n]]      (overwritten)
 * </pre>
 */
final class ReferenceNll {
  private ReferenceNll() {}

  private static final String OP = "nll";

  static double forward(Tensor src, int[] labels) {
    int n = src.shape().dim(0);
    int k = src.shape().sampleSize();
    Checks.labels(OP, labels, n, k);
    double loss = 0;
    for (int r = 0; r < n; r++) {
      loss -= src.get(r * k + labels[r]);
    }
    return loss;
  }

  static void backward(int[] labels, double scale, Tensor diffSrc) {
    int n = diffSrc.shape().dim(0);
    int k = diffSrc.shape().sampleSize();
    Checks.labels(OP, labels, n, k);
    double[] g = new double[diffSrc.size()];
    for (int r = 0; r < n; r++) {
      g[r * k + labels[r]] = -scale;
    }
    diffSrc.copyFrom(g);
  }
}
