package dev.fovea.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.optim.LearningRateSchedule.Constant;
import dev.fovea.optim.LearningRateSchedule.CosineDecay;
import dev.fovea.optim.LearningRateSchedule.ExponentialDecay;
import dev.fovea.optim.LearningRateSchedule.LinearWarmup;
import dev.fovea.optim.LearningRateSchedule.StepDecay;
import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

  @Test
  void eachScheduleByHand() {
    assertEquals(0.3, new Constant().rate(0.3, 1000), 0);
    assertEquals(0.01 * 0.3, new StepDecay(10, 0.1).rate(0.3, 25), 1e-15);
    assertEquals(0.3, new StepDecay(10, 0.1).rate(0.3, 9), 0);
    assertEquals(0.3 * Math.sqrt(0.5), new ExponentialDecay(100, 0.5, false).rate(0.3, 50), 1e-15);
    assertEquals(0.3, new ExponentialDecay(100, 0.5, true).rate(0.3, 50), 0);
    assertEquals(0.15, new ExponentialDecay(100, 0.5, true).rate(0.3, 150), 1e-15);
    assertEquals(0.15, new CosineDecay(100, 0).rate(0.3, 50), 1e-15);
    assertEquals(0, new CosineDecay(100, 0).rate(0.3, 100), 1e-15);
    assertEquals(0.03, new CosineDecay(100, 0.1).rate(0.3, 500), 1e-15);
  }

  @Test
  void warmupComposesWithAnySchedule() {
    LearningRateSchedule s = new LinearWarmup(5, new CosineDecay(10, 0));
    assertEquals(0.2, s.rate(1, 0), 1e-15);
    assertEquals(1, s.rate(1, 4), 1e-15);
    assertEquals(1, s.rate(1, 5), 1e-15);
    assertEquals(0.5, s.rate(1, 10), 1e-15);
    assertEquals(0, s.rate(1, 15), 1e-15);
    LearningRateSchedule w = new LinearWarmup(2, new StepDecay(3, 0.5));
    assertEquals(0.5, w.rate(1, 5), 1e-15); // warmup steps 0, 1; then StepDecay at its step 3: one decay
    assertEquals(1, w.rate(1, 4), 1e-15);
  }

  @Test
  void invalidArgumentsAreNamed() {
    assertEquals("cosine decay: alpha must be in [0, 1], got 2.0",
        assertThrows(IllegalArgumentException.class, () -> new CosineDecay(10, 2)).getMessage());
    assertEquals("step decay: stepSize must be >= 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> new StepDecay(0, 0.1)).getMessage());
  }
}
