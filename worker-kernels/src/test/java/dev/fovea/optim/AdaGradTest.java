package dev.fovea.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AdaGradTest {

  @Test
  void initialAccumulatorAndStepsByHand() {
    AdaGrad a = new AdaGrad(0.1, 0.1, 1e-10, 0);
    float[] w = {1};
    float[] s = new float[a.stateSize(1)];
    a.initState(s);
    assertEquals(0.1f, s[0]);
    a.step(w, new float[] {0.5f}, s, 1);
    assertEquals(1 - 0.1 * 0.5 / Math.sqrt(0.35), w[0], 1e-6);
    a.step(w, new float[] {0.5f}, s, 2);
    assertEquals(1 - 0.1 * 0.5 / Math.sqrt(0.35) - 0.1 * 0.5 / Math.sqrt(0.6), w[0], 1e-6);
  }
}
