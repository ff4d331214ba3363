package dev.fovea.kernels;

/**
 * Local response normalisation across channels (AlexNet, GoogLeNet), PyTorch's {@code
 * LocalResponseNorm}: for {@code src (N, C, ...)}
 *
 * <pre>
 *   dst[n, c] = src[n, c] / (k + alpha / size · Σ_{c' = c - floor(size/2)}^{c + floor((size-1)/2)} src[n, c']²)^beta
 * </pre>
 *
 * with channels outside {@code [0, C)} contributing zero. AlexNet used size 5, alpha 1e-4 · 5 in
 * this form (its paper writes alpha without the division by size), beta 0.75, k 2.
 *
 * @param size channels in the window, ≥ 1
 * @param alpha scale, ≥ 0; PyTorch default 1e-4
 * @param beta exponent, ≥ 0; PyTorch default 0.75
 * @param k additive constant, &gt; 0; PyTorch default 1
 */
public record LrnParams(int size, double alpha, double beta, double k) {

  public LrnParams {
    if (size < 1) {
      throw new IllegalArgumentException("lrn: size must be >= 1, got " + size);
    }
    if (!(alpha >= 0)) {
      throw new IllegalArgumentException("lrn: alpha must be >= 0, got " + alpha);
    }
    if (!(beta >= 0)) {
      throw new IllegalArgumentException("lrn: beta must be >= 0, got " + beta);
    }
    if (!(k > 0)) {
      throw new IllegalArgumentException("lrn: k must be > 0, got " + k);
    }
  }

  /** PyTorch's defaults for a window of {@code size} channels: alpha 1e-4, beta 0.75, k 1. */
  public static LrnParams of(int size) {
    return new LrnParams(size, 1e-4, 0.75, 1);
  }
}
