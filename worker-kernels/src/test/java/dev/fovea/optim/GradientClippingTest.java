package dev.fovea.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class GradientClippingTest {

  @Test
  void byNormScalesTheWholeVector() {
    float[] g = {3, 4};
    assertEquals(5, GradientClipping.byNorm(1).apply(g), 0);
    assertEquals(0.6, g[0], 1e-6);
    assertEquals(0.8, g[1], 1e-6);
    float[] small = {0.3f, 0.4f};
    GradientClipping.byNorm(1).apply(small);
    assertArrayEquals(new float[] {0.3f, 0.4f}, small);
  }

  @Test
  void byValueClampsEachElement() {
    float[] g = {3, -4, 0.5f};
    GradientClipping.byValue(1).apply(g);
    assertArrayEquals(new float[] {1, -1, 0.5f}, g);
  }

  @Test
  void invalidThresholdIsNamed() {
    assertEquals("gradient clipping: threshold must be > 0, got -1.0",
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.byNorm(-1)).getMessage());
  }
}
