package dev.fovea.kernels.compile;

import dev.fovea.kernels.Backend;
import java.nio.FloatBuffer;

/**
 * Softmax cross-entropy against integer labels from log-probabilities {@code y = log softmax(x)}
 * {@code (N, K)} row-major, as a device's log-softmax kernel leaves them: the one formula the
 * native backends' per-op path and every compiled step share (the reference backend's, from the
 * logits in double, is the specification they are tested against).
 *
 * <p>Loss {@code -Σ_n y[n, label_n]} summed in double; probabilities {@code p = exp(y)} rounded to
 * float; gradient {@code scale · (p - onehot(label))} computed in double and rounded once.
 */
public final class SoftmaxCrossEntropy {
  private SoftmaxCrossEntropy() {}

  private static final String OP = "softmax cross-entropy";

  /** The summed loss of {@code n} rows of {@code k} log-probabilities in {@code logp}, after checking the labels. */
  public static double loss(FloatBuffer logp, int[] labels, int n, int k) {
    Backend.checkLabels(OP, labels, n, k);
    double l = 0;
    for (int r = 0; r < n; r++) {
      l -= logp.get(r * k + labels[r]);
    }
    return l;
  }

  /** The probability of a log-probability, rounded to float. */
  public static float probability(float logp) {
    return (float) Math.exp(logp);
  }

  /** The gradient in the logit of probability {@code p} of a class, {@code target} its label's or not. */
  public static float gradient(float p, boolean target, double scale) {
    return (float) (scale * (p - (target ? 1.0 : 0.0)));
  }

  /** Writes {@code scale ·} the gradient in the logits of {@code n} rows of {@code k} log-probabilities into {@code diff}. */
  public static void gradient(FloatBuffer logp, int[] labels, int n, int k, double scale, FloatBuffer diff) {
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < k; j++) {
        diff.put(r * k + j, gradient(probability(logp.get(r * k + j)), j == labels[r], scale));
      }
    }
  }
}
