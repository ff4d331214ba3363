package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WeightInitTest {

  private static final int N = 200_000;

  private static float[] draw(WeightInit init, int fanIn, int fanOut, long seed) {
    float[] d = new float[N];
    init.fill(d, 0, N, fanIn, fanOut, new SplittableRandom(seed));
    return d;
  }

  private static double mean(float[] d) {
    double s = 0;
    for (float v : d) {
      s += v;
    }
    return s / d.length;
  }

  private static double std(float[] d) {
    double m = mean(d);
    double s = 0;
    for (float v : d) {
      s += (v - m) * (v - m);
    }
    return Math.sqrt(s / d.length);
  }

  private static double maxAbs(float[] d) {
    double m = 0;
    for (float v : d) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  @Test
  void constantsByHand() {
    float[] d = new float[5];
    WeightInit.ones().fill(d, 1, 3, 1, 1, new SplittableRandom(0));
    assertArrayEquals(new float[] {0, 1, 1, 1, 0}, d);
    WeightInit.constant(0.25).fill(d, 0, 5, 1, 1, new SplittableRandom(0));
    assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f, 0.25f}, d);
    WeightInit.zeros().fill(d, 0, 2, 1, 1, new SplittableRandom(0));
    assertEquals(0, d[1]);
  }

  @Test
  void seededDrawsRepeat() {
    assertArrayEquals(draw(WeightInit.heNormal(), 9, 9, 5), draw(WeightInit.heNormal(), 9, 9, 5));
  }

  /** Keras's defaults: stddev 0.05 and limits ±0.05, truncation at two stddev. */
  @Test
  void kerasDefaults() {
    float[] n = draw(WeightInit.randomNormal(), 1, 1, 1);
    assertEquals(0, mean(n), 1e-3);
    assertEquals(0.05, std(n), 1e-3);
    float[] u = draw(WeightInit.randomUniform(), 1, 1, 2);
    assertTrue(maxAbs(u) <= 0.05);
    assertEquals(0.1 / Math.sqrt(12), std(u), 1e-3);
    float[] t = draw(WeightInit.truncatedNormal(), 1, 1, 3);
    assertTrue(maxAbs(t) <= 0.1 + 1e-7);
    assertEquals(0.05 * WeightInit.TRUNCATED_STDDEV, std(t), 1e-3);
  }

  /** The variance-scaling kinds reach the variance they promise: scale / fan. */
  @Test
  void varianceScalingMatchesKeras() {
    int fanIn = 50;
    int fanOut = 30;
    double avg = (fanIn + fanOut) / 2.0;
    assertEquals(Math.sqrt(2.0 / fanIn), std(draw(WeightInit.heNormal(), fanIn, fanOut, 4)), 2e-3);
    assertEquals(Math.sqrt(2.0 / fanIn), std(draw(WeightInit.heUniform(), fanIn, fanOut, 5)), 2e-3);
    assertEquals(Math.sqrt(1.0 / fanIn), std(draw(WeightInit.lecunNormal(), fanIn, fanOut, 6)), 2e-3);
    assertEquals(Math.sqrt(1.0 / fanIn), std(draw(WeightInit.lecunUniform(), fanIn, fanOut, 7)), 2e-3);
    assertEquals(Math.sqrt(1.0 / avg), std(draw(WeightInit.glorotNormal(), fanIn, fanOut, 8)), 2e-3);
    assertEquals(Math.sqrt(1.0 / avg), std(draw(WeightInit.glorotUniform(), fanIn, fanOut, 9)), 2e-3);
    // truncated at two of the underlying stddev; uniform within its limit
    assertTrue(maxAbs(draw(WeightInit.heNormal(), fanIn, fanOut, 10))
        <= 2 * Math.sqrt(2.0 / fanIn) / WeightInit.TRUNCATED_STDDEV + 1e-6);
    assertTrue(maxAbs(draw(WeightInit.heUniform(), fanIn, fanOut, 11)) <= Math.sqrt(6.0 / fanIn));
    assertTrue(maxAbs(draw(WeightInit.glorotUniform(), fanIn, fanOut, 12)) <= Math.sqrt(6.0 / (fanIn + fanOut)));
  }

  /** Fovea's older enum keeps PyTorch's plain-normal He init, so existing seeds reproduce. */
  @Test
  void legacyHeNormalIsPyTorchsKaimingNormal() {
    float[] d = new float[N];
    Initializer.HE_NORMAL.fill(d, 0, N, 50, 30, new SplittableRandom(13));
    assertEquals(Math.sqrt(2.0 / 50), std(d), 2e-3);
    assertTrue(maxAbs(d) > 2.5 * Math.sqrt(2.0 / 50), "untruncated tails");
  }

  @Test
  void invalidArgumentsAreNamed() {
    assertEquals("initializer: RANDOM_NORMAL stddev must be > 0, got 0.0",
        assertThrows(IllegalArgumentException.class, () -> WeightInit.randomNormal(0, 0)).getMessage());
    assertEquals("initializer: RANDOM_UNIFORM needs minval < maxval, got 1.0, 0.0",
        assertThrows(IllegalArgumentException.class, () -> WeightInit.randomUniform(1, 0)).getMessage());
    assertEquals("initializer: HE_NORMAL needs fanIn >= 1, got 0", assertThrows(IllegalArgumentException.class,
        () -> WeightInit.heNormal().fill(new float[1], 0, 1, 0, 1, new SplittableRandom(0))).getMessage());
  }

  /** Orthogonal: W·Wᵀ = gain² · I for a wide (O, I · k²) weight, Wᵀ·W = gain² · I for a tall one. */
  @Test
  void orthogonalGivesOrthonormalRowsOrColumns() {
    for (int[] rc : new int[][] {{4, 18}, {12, 5}, {6, 6}}) {
      int rows = rc[0];
      int cols = rc[1];
      float[] w = new float[rows * cols];
      WeightInit.orthogonal(1.5).fill(w, 0, w.length, cols, rows, new SplittableRandom(3));
      boolean wide = rows <= cols;
      int m = Math.min(rows, cols);
      for (int a = 0; a < m; a++) {
        for (int b = 0; b < m; b++) {
          double dot = 0;
          for (int k = 0; k < Math.max(rows, cols); k++) {
            dot += wide ? w[a * cols + k] * w[b * cols + k] : w[k * cols + a] * w[k * cols + b];
          }
          assertEquals(a == b ? 2.25 : 0, dot, 1e-5, rows + "x" + cols + " (" + a + ", " + b + ")");
        }
      }
    }
    assertEquals(WeightInit.orthogonal(), WeightInit.of(WeightInit.Kind.ORTHOGONAL));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WeightInit.orthogonal().fill(new float[10], 0, 10, 3, 3, new SplittableRandom(1)));
    assertEquals("initializer: ORTHOGONAL needs a size that is a multiple of fanIn, got 10 and 3", e.getMessage());
  }
}
