package dev.fovea.optim;

import java.util.ArrayList;
import java.util.List;

/**
 * One training update as configured: clip the gradient, take the scheduled learning rate, apply
 * the optimizer. This is what a trainer hands down to a backend that keeps parameters resident
 * ({@code dev.fovea.kernels.ResidentNetwork#step}): the object is the whole specification of the
 * update, {@link #apply(List, long)} its formula.
 *
 * @param optimizer the update rule and its base learning rate
 * @param schedule the learning rate per step; default {@link LearningRateSchedule.Constant}
 * @param clipping gradient clipping; default {@link GradientClipping#NONE}
 */
public record UpdateRule(Optimizer optimizer, LearningRateSchedule schedule, GradientClipping clipping)
    implements java.io.Serializable {

  public UpdateRule {
    if (optimizer == null || schedule == null || clipping == null) {
      throw new IllegalArgumentException("update rule: optimizer, schedule and clipping must not be null");
    }
  }

  /** The optimizer at its base rate, without clipping. */
  public static UpdateRule of(Optimizer optimizer) {
    return new UpdateRule(optimizer, new LearningRateSchedule.Constant(), GradientClipping.NONE);
  }

  /** The optimizer at its base rate with {@code clipping}. */
  public static UpdateRule of(Optimizer optimizer, GradientClipping clipping) {
    return new UpdateRule(optimizer, new LearningRateSchedule.Constant(), clipping);
  }

  /** This rule with {@code optimizer} in place of its own (e.g. one that keeps frozen parameters). */
  public UpdateRule withOptimizer(Optimizer o) {
    return new UpdateRule(o, schedule, clipping);
  }

  /** The number of optimizer state floats for {@code paramCount} parameters. */
  public int stateSize(int paramCount) {
    return optimizer.stateSize(paramCount);
  }

  /**
   * Applies the update after {@code step} completed steps ({@code step = 0} first): clips {@code
   * grads} in place, then updates {@code params} and {@code state}. Returns the gradient norm
   * before clipping.
   */
  public double apply(float[] params, float[] grads, float[] state, long step) {
    double norm = clipping.apply(grads);
    optimizer.step(params, grads, state, step + 1, schedule.rate(optimizer.learningRate(), step));
    return norm;
  }

  /**
   * The same update over a parameter vector held as {@code segments} (together the whole vector):
   * the gradient norm is taken over all of them before any is clipped, then each is updated.
   * Returns the norm before clipping.
   */
  public double apply(List<Segment> segments, long step) {
    List<java.nio.FloatBuffer> grads = new ArrayList<>(segments.size());
    for (Segment s : segments) {
      grads.add(s.grads());
    }
    double norm = clipping.apply(grads);
    optimizer.update(segments, step + 1, schedule.rate(optimizer.learningRate(), step));
    return norm;
  }
}
