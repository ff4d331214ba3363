package dev.fovea.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class UpdateRuleTest {

  @Test
  void clipsThenStepsAtTheScheduledRate() {
    UpdateRule rule = new UpdateRule(Sgd.DEFAULTS.withLearningRate(1),
        new LearningRateSchedule.LinearWarmup(4, new LearningRateSchedule.Constant()), GradientClipping.byNorm(1));
    float[] w = {0, 0};
    float[] g = {3, 4};
    double norm = rule.apply(w, g, new float[2], 0);
    assertEquals(5, norm, 0);
    assertEquals(-0.25 * 0.6, w[0], 1e-6); // rate 1 · 1/4, gradient clipped to (0.6, 0.8)
    assertEquals(-0.25 * 0.8, w[1], 1e-6);
  }

  @Test
  void adamSeesOneBasedSteps() {
    UpdateRule rule = UpdateRule.of(Adam.DEFAULTS.withLearningRate(0.1));
    float[] w = {1};
    float[] s = new float[2];
    rule.apply(w, new float[] {0.5f}, s, 0);
    assertEquals(0.9, w[0], 1e-6);
  }
}
