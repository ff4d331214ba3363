package dev.fovea.optim;

/**
 * Gradient clipping applied to the flat gradient vector before an update.
 *
 * <ul>
 *   <li>{@link Mode#NORM}: when the L2 norm ‖g‖ of the whole vector exceeds {@code threshold},
 *       scale it by {@code threshold / (‖g‖ + 1e-6)} (PyTorch's {@code clip_grad_norm_}).
 *   <li>{@link Mode#VALUE}: clamp each element to {@code [-threshold, threshold]} (PyTorch's {@code
 *       clip_grad_value_}, Keras's {@code clipvalue}).
 *   <li>{@link Mode#NONE}: leave the gradient alone.
 * </ul>
 *
 * @param mode how to clip
 * @param threshold the largest norm or absolute value, &gt; 0 (ignored by NONE)
 */
public record GradientClipping(Mode mode, double threshold) {

  /** What is bounded. */
  public enum Mode {
    NONE,
    NORM,
    VALUE
  }

  /** No clipping (the default). */
  public static final GradientClipping NONE = new GradientClipping(Mode.NONE, Double.POSITIVE_INFINITY);

  public GradientClipping {
    if (mode == null) {
      throw new IllegalArgumentException("gradient clipping: mode must not be null");
    }
    if (mode != Mode.NONE && !(threshold > 0)) {
      throw new IllegalArgumentException("gradient clipping: threshold must be > 0, got " + threshold);
    }
  }

  public static GradientClipping byNorm(double maxNorm) {
    return new GradientClipping(Mode.NORM, maxNorm);
  }

  public static GradientClipping byValue(double maxValue) {
    return new GradientClipping(Mode.VALUE, maxValue);
  }

  /** Clips {@code grads} in place and returns its L2 norm before clipping. */
  public double apply(float[] grads) {
    double sq = 0;
    for (float g : grads) {
      sq += (double) g * g;
    }
    double norm = Math.sqrt(sq);
    switch (mode) {
      case NORM -> {
        double coef = threshold / (norm + 1e-6);
        if (coef < 1) {
          for (int i = 0; i < grads.length; i++) {
            grads[i] = (float) (grads[i] * coef);
          }
        }
      }
      case VALUE -> {
        for (int i = 0; i < grads.length; i++) {
          grads[i] = (float) Math.max(-threshold, Math.min(threshold, grads[i]));
        }
      }
      case NONE -> { }
      default -> throw new AssertionError(mode);
    }
    return norm;
  }
}
