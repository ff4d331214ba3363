package dev.fovea.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class NesterovTest {

  @Test
  void twoStepsByHand() {
    Nesterov n = Nesterov.DEFAULTS.withLearningRate(0.1);
    float[] w = {1};
    float[] v = new float[n.stateSize(1)];
    n.step(w, new float[] {0.5f}, v, 1);
    assertEquals(0.905, w[0], 1e-6); // v = 0.5; w -= 0.1·(0.5 + 0.9·0.5)
    n.step(w, new float[] {0.5f}, v, 2);
    assertEquals(0.7695, w[0], 1e-6); // v = 0.95; w -= 0.1·(0.5 + 0.855)
  }

  @Test
  void invalidHyperparametersAreNamed() {
    assertEquals("nesterov: momentum must be > 0, got 0.0",
        assertThrows(IllegalArgumentException.class, () -> new Nesterov(0.1, 0, 0)).getMessage());
  }
}
