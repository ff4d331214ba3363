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
}
