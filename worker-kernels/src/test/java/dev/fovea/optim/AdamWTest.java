package dev.fovea.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AdamWTest {

  @Test
  void decoupledDecayByHand() {
    AdamW adamw = new AdamW(0.1, 0.9, 0.999, 1e-8, 0.1);
    float[] w = {1};
    float[] s = new float[adamw.stateSize(1)];
    adamw.step(w, new float[] {0.5f}, s, 1);
    assertEquals(1 * (1 - 0.01) - 0.1, w[0], 1e-6); // decay by lr·wd, then Adam's first step of lr
    assertEquals(0.05, s[0], 1e-7); // the moments see the raw gradient
  }

  @Test
  void defaultsArePyTorchs() {
    assertEquals(0.01, AdamW.DEFAULTS.weightDecay());
    assertEquals(1e-3, AdamW.DEFAULTS.learningRate());
  }
}
