package dev.fovea.kernels.compile;

import dev.fovea.kernels.NetworkGraph;
import java.nio.FloatBuffer;

/**
 * The losses against a target tensor (sigmoid binary cross-entropy, squared and absolute error)
 * over a head's outputs {@code y} and targets {@code t} of one shape, {@code n} samples of {@code
 * e} values each, row-major: the one formula every compiled step runs, equal to the reference
 * backend's ops ({@code sigmoidCrossEntropy*}, {@code squaredError*}, {@code absoluteError*}) as
 * {@code dev.fovea.nn.Loss} scales them, which are the specification:
 *
 * <pre>
 *   sigmoid_bce  Σ max(y, 0) - y·t + log(1 + e^-|y|)    gradient scale · (float σ(y) - t)
 *   mse          Σ (y - t)²                             gradient scale · 2 · (y - t)
 *   l1           Σ |y - t|                              gradient scale · sign(y - t)
 * </pre>
 *
 * each summed in double over the batch and divided by {@code e} (the sum over samples of the mean
 * per sample), the gradient computed in double from the float values and rounded once, with {@code
 * scale = weight / (n · e)} (the gradient of the weighted mean). Sigmoid targets must lie in [0, 1].
 */
public final class TargetLoss {
  private TargetLoss() {}

  /**
   * Writes the gradient of {@code weight} times the mean loss into {@code diff} and returns the
   * summed loss (divided by {@code e}); {@code t} holds {@code n · e} targets from {@code tOffset}.
   */
  public static double lossAndGradient(NetworkGraph.LossKind kind, FloatBuffer y, float[] t, int tOffset, int n,
      int e, double weight, FloatBuffer diff) {
    int size = n * e;
    double scale = weight / ((double) n * e);
    double sum = 0;
    switch (kind) {
      case MSE -> {
        for (int i = 0; i < size; i++) {
          double d = (double) y.get(i) - t[tOffset + i];
          sum += d * d;
          diff.put(i, (float) (scale * 2 * d));
        }
      }
      case L1 -> {
        for (int i = 0; i < size; i++) {
          double d = (double) y.get(i) - t[tOffset + i];
          sum += Math.abs(d);
          diff.put(i, (float) (scale * Math.signum(d)));
        }
      }
      case SIGMOID_BCE -> {
        for (int i = 0; i < size; i++) {
          double x = y.get(i);
          double target = t[tOffset + i];
          sum += Math.max(x, 0) - x * target + Math.log1p(Math.exp(-Math.abs(x)));
          diff.put(i, (float) (scale * ((float) sigmoid(x) - target)));
        }
      }
      default -> throw new IllegalArgumentException(kind + " reads labels, not targets");
    }
    return sum / e;
  }

  /**
   * Checks {@code size} targets from {@code tOffset} before a step runs: the sigmoid's must lie in
   * [0, 1] (the error names the first that does not).
   */
  public static void check(NetworkGraph.LossKind kind, float[] t, int tOffset, int size) {
    if (kind == NetworkGraph.LossKind.SIGMOID_BCE) {
      for (int i = 0; i < size; i++) {
        double target = t[tOffset + i];
        if (!(target >= 0 && target <= 1)) {
          throw new IllegalArgumentException("sigmoid cross-entropy: target " + target + " at " + i + " not in [0, 1]");
        }
      }
    }
  }

  /** {@code 1 / (1 + e^-x)} without overflow. */
  static double sigmoid(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double ex = Math.exp(x);
    return ex / (1 + ex);
  }
}
