package dev.fovea.optim;

import java.nio.FloatBuffer;
import java.util.List;

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
 * The norm is over all parameters (every segment) before any is clipped: the sum of squares in
 * double, segment by segment in the order given.
 *
 * @param mode how to clip
 * @param threshold the largest norm or absolute value, &gt; 0 (ignored by NONE)
 */
public record GradientClipping(Mode mode, double threshold) implements java.io.Serializable {

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
    return apply(List.of(FloatBuffer.wrap(grads)));
  }

  /**
   * Clips the gradient made of {@code grads} (every part of one vector) in place and returns its L2
   * norm before clipping.
   */
  public double apply(List<FloatBuffer> grads) {
    double sq = 0;
    for (FloatBuffer g : grads) {
      for (int i = 0, n = g.capacity(); i < n; i++) {
        double x = g.get(i);
        sq += x * x;
      }
    }
    double norm = Math.sqrt(sq);
    switch (mode) {
      case NORM -> {
        double coef = threshold / (norm + 1e-6);
        if (coef < 1) {
          for (FloatBuffer g : grads) {
            for (int i = 0, n = g.capacity(); i < n; i++) {
              g.put(i, (float) (g.get(i) * coef));
            }
          }
        }
      }
      case VALUE -> {
        for (FloatBuffer g : grads) {
          for (int i = 0, n = g.capacity(); i < n; i++) {
            g.put(i, (float) Math.max(-threshold, Math.min(threshold, g.get(i))));
          }
        }
      }
      case NONE -> { }
      default -> throw new AssertionError(mode);
    }
    return norm;
  }
}
