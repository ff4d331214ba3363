package dev.fovea.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RmsPropTest {

  @Test
  void twoStepsByHand() {
    RmsProp r = RmsProp.DEFAULTS;
    float[] w = {1};
    float[] s = new float[r.stateSize(1)];
    r.step(w, new float[] {0.5f}, s, 1);
    assertEquals(0.9, w[0], 1e-6); // s = 0.01·0.25, step 0.01·0.5/0.05
    r.step(w, new float[] {0.5f}, s, 2);
    assertEquals(0.9 - 0.01 * 0.5 / Math.sqrt(0.004975), w[0], 1e-6);
  }

  @Test
  void momentumByHand() {
    RmsProp r = new RmsProp(0.01, 0.99, 1e-8, 0.9, 0);
    float[] w = {1};
    float[] s = new float[2];
    r.step(w, new float[] {0.5f}, s, 1);
    assertEquals(0.9, w[0], 1e-6);
    r.step(w, new float[] {0.5f}, s, 2);
    assertEquals(0.9 - 0.01 * (0.9 * 10 + 0.5 / Math.sqrt(0.004975)), w[0], 1e-5);
  }
}
