package dev.fovea.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SgdTest {

  @Test
  void momentumAndWeightDecayByHand() {
    Sgd sgd = new Sgd(0.1, 0.9, 0.1);
    float[] w = {1};
    float[] v = new float[sgd.stateSize(1)];
    sgd.step(w, new float[] {0.5f}, v);
    assertEquals(0.94, w[0], 1e-6); // g' = 0.5 + 0.1·1 = 0.6, v = 0.6
    sgd.step(w, new float[] {0.5f}, v, 2, sgd.learningRate());
    assertEquals(0.8266, w[0], 1e-6); // g' = 0.594, v = 0.9·0.6 + 0.594 = 1.134
    assertEquals(1.134, v[0], 1e-6);
  }

  @Test
  void plainSgdAndScheduledRate() {
    float[] w = {1, -2};
    Sgd.DEFAULTS.step(w, new float[] {1, 1}, new float[2], 1, 0.5);
    assertEquals(0.5, w[0], 0);
    assertEquals(-2.5, w[1], 0);
  }

  @Test
  void invalidHyperparametersAreNamed() {
    assertEquals("sgd: momentum must be in [0, 1), got 1.0",
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0.1, 1, 0)).getMessage());
  }
}
