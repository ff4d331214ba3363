package dev.fovea.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AdamTest {

  /** With a constant gradient the bias-corrected step is lr · sign(g) (PyTorch's formulas). */
  @Test
  void firstStepsByHand() {
    Adam adam = Adam.DEFAULTS.withLearningRate(0.1);
    float[] w = {1};
    float[] s = new float[adam.stateSize(1)];
    adam.step(w, new float[] {0.5f}, s, 1);
    assertEquals(0.9, w[0], 1e-6);
    assertEquals(0.05, s[0], 1e-7); // m = 0.1·0.5
    assertEquals(0.00025, s[1], 1e-9); // v = 0.001·0.25
    // second step with g = -1: m = -0.055, v = 0.00124975, m̂ = -0.055 / 0.19, v̂ = 0.00124975 / 0.001999
    adam.step(w, new float[] {-1f}, s, 2);
    double mhat = -0.055 / 0.19;
    double vhat = 0.00124975 / (1 - 0.999 * 0.999);
    assertEquals(0.9 - 0.1 * mhat / (Math.sqrt(vhat) + 1e-8), w[0], 1e-6);
    assertEquals(0.936610, w[0], 1e-6);
  }

  @Test
  void coupledWeightDecay() {
    Adam adam = new Adam(0.1, 0.9, 0.999, 1e-8, 1);
    float[] w = {1};
    adam.step(w, new float[] {-0.5f}, new float[2], 1);
    assertEquals(0.9, w[0], 1e-6); // g' = -0.5 + 1 = 0.5
  }

  @Test
  void invalidArgumentsAreNamed() {
    assertEquals("adam: beta2 must be in [0, 1), got 1.0",
        assertThrows(IllegalArgumentException.class, () -> new Adam(1e-3, 0.9, 1, 1e-8, 0)).getMessage());
    assertEquals("adam: params, grads and state have lengths 1, 1, 1; expected 1, 1, 2",
        assertThrows(IllegalArgumentException.class,
            () -> Adam.DEFAULTS.step(new float[1], new float[1], new float[1], 1)).getMessage());
    assertEquals("adam: step must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
        () -> Adam.DEFAULTS.step(new float[1], new float[1], new float[2], 0)).getMessage());
  }
}
