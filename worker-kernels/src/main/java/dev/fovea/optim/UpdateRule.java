package dev.fovea.optim;

/**
 * One training update as configured: clip the gradient, take the scheduled learning rate, apply
 * the optimizer.
 *
 * @param optimizer the update rule and its base learning rate
 * @param schedule the learning rate per step; default {@link LearningRateSchedule.Constant}
 * @param clipping gradient clipping; default {@link GradientClipping#NONE}
 */
public record UpdateRule(Optimizer optimizer, LearningRateSchedule schedule, GradientClipping clipping) {

  public UpdateRule {
    if (optimizer == null || schedule == null || clipping == null) {
      throw new IllegalArgumentException("update rule: optimizer, schedule and clipping must not be null");
    }
  }

  /** The optimizer at its base rate, without clipping. */
  public static UpdateRule of(Optimizer optimizer) {
    return new UpdateRule(optimizer, new LearningRateSchedule.Constant(), GradientClipping.NONE);
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
}
