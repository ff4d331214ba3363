package dev.fovea.kernels;

/**
 * Batch normalisation over every axis but the channel axis 1 of {@code (N, C, ...)}: per channel
 * {@code dst = gamma · (src - mean) / sqrt(var + epsilon) + beta}.
 *
 * <p>Running averages follow PyTorch: {@code running ← (1 - momentum) · running + momentum ·
 * batch}, with the unbiased batch variance ({@code m / (m - 1)} times the biased one, m the number
 * of values per channel). Keras's {@code momentum=0.99} is PyTorch's {@code momentum=0.01}; Keras's
 * {@code epsilon} default is 1e-3.
 *
 * @param epsilon added to the variance, &gt; 0; default 1e-5 (PyTorch)
 * @param momentum weight of the new batch in the running averages, in [0, 1]; default 0.1
 *     (PyTorch)
 */
public record BatchNormParams(double epsilon, double momentum) {

  /** PyTorch's defaults: epsilon 1e-5, momentum 0.1. */
  public static final BatchNormParams DEFAULTS = new BatchNormParams(1e-5, 0.1);

  public BatchNormParams {
    if (!(epsilon > 0)) {
      throw new IllegalArgumentException("batch normalization: epsilon must be > 0, got " + epsilon);
    }
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException("batch normalization: momentum must be in [0, 1], got " + momentum);
    }
  }

  /**
   * Moves the running averages toward one training batch's statistics, in double, each rounded to
   * float once: the rule above, shared by every backend so they agree bit for bit.
   *
   * @param runningMean {@code (C)}, updated in place
   * @param runningVariance {@code (C)}, updated in place
   * @param mean the batch mean per channel
   * @param variance the biased batch variance per channel
   * @param count m, the values per channel in the batch (&gt; 1)
   */
  public void updateRunning(Tensor runningMean, Tensor runningVariance, double[] mean, double[] variance,
      long count) {
    double[] rm = runningMean.toDoubleArray();
    double[] rv = runningVariance.toDoubleArray();
    for (int k = 0; k < rm.length; k++) {
      rm[k] = (1 - momentum) * rm[k] + momentum * mean[k];
      rv[k] = (1 - momentum) * rv[k] + momentum * variance[k] * count / (count - 1);
    }
    runningMean.copyFrom(rm);
    runningVariance.copyFrom(rv);
  }

  /** {@code 1 / sqrt(variance + epsilon)} per channel, in double. */
  public double[] inverseStd(double[] variance) {
    double[] inv = new double[variance.length];
    for (int k = 0; k < inv.length; k++) {
      inv[k] = 1 / Math.sqrt(variance[k] + epsilon);
    }
    return inv;
  }
}
