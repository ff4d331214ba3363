package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.DropoutParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReferenceDropoutTest {

  private static Tensor[] run(DropoutParams p, boolean training, long seed, Tensor src) {
    Tensor mask = Tensor.zeros(src.shape(), DType.FLOAT64);
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceDropout.forward(p, training, seed, src, mask, dst);
    return new Tensor[] {mask, dst};
  }

  /** The mask follows the documented draws: kept where nextDouble() ≥ rate, scaled by 1 / (1 - rate). */
  @Test
  void maskFollowsTheSeededDrawsByHand() {
    Tensor src = Tensor.wrap(new double[] {1, 2, 3, 4, 5, 6}, Shape.of(1, 6));
    Tensor[] out = run(new DropoutParams(0.5, false), true, 42, src);
    SplittableRandom rng = new SplittableRandom(42);
    for (int i = 0; i < 6; i++) {
      double expected = rng.nextDouble() >= 0.5 ? 2 : 0;
      assertEquals(expected, out[0].get(i), 0);
      assertEquals(expected * (i + 1), out[1].get(i), 0);
    }
  }

  @Test
  void seededAndInvertedScaling() {
    Tensor src = Tensor.wrap(new double[20000], Shape.of(100, 200));
    for (int i = 0; i < src.size(); i++) {
      src.set(i, 1);
    }
    Tensor[] a = run(new DropoutParams(0.25, false), true, 7, src);
    Tensor[] b = run(new DropoutParams(0.25, false), true, 7, src);
    assertClose("same seed, same mask", a[0], b[0], 0);
    double sum = 0;
    int dropped = 0;
    for (int i = 0; i < src.size(); i++) {
      sum += a[1].get(i);
      dropped += a[0].get(i) == 0 ? 1 : 0;
      assertTrue(a[0].get(i) == 0 || a[0].get(i) == 1 / 0.75);
    }
    assertEquals(0.25, dropped / 20000.0, 0.01);
    assertEquals(1, sum / 20000, 0.02, "expectation preserved");
  }

  @Test
  void identityAtEvaluationAndRateZero() {
    Tensor src = random(Shape.of(2, 3, 4), new SplittableRandom(1));
    assertClose("evaluation", src, run(new DropoutParams(0.9, false), false, 1, src)[1], 0);
    assertClose("rate 0", src, run(new DropoutParams(0, true), true, 1, src)[1], 0);
  }

  @Test
  void spatialDropsWholeChannels() {
    Tensor src = random(Shape.of(4, 8, 3, 3), new SplittableRandom(2));
    Tensor mask = run(new DropoutParams(0.5, true), true, 3, src)[0];
    int droppedPlanes = 0;
    for (int plane = 0; plane < 32; plane++) {
      double first = mask.get(plane * 9);
      for (int i = 1; i < 9; i++) {
        assertEquals(first, mask.get(plane * 9 + i), 0);
      }
      droppedPlanes += first == 0 ? 1 : 0;
    }
    assertTrue(droppedPlanes > 0 && droppedPlanes < 32, "some but not all channels dropped: " + droppedPlanes);
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    for (boolean spatial : new boolean[] {false, true}) {
      DropoutParams p = new DropoutParams(0.3, spatial);
      SplittableRandom rng = new SplittableRandom(11);
      Tensor src = random(Shape.of(2, 3, 2, 2), rng);
      Tensor r = random(src.shape(), rng);
      Tensor mask = run(p, true, 5, src)[0];
      Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
      ReferenceDropout.backward(mask, r, diffSrc);
      check("dropout spatial=" + spatial, src, diffSrc, v -> dot(run(p, true, 5, src)[1], r), 1e-7);
    }
  }

  @Test
  void invalidRateIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DropoutParams(1, false));
    assertEquals("dropout: rate must be in [0, 1), got 1.0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new DropoutParams(-0.1, false));
    assertEquals("dropout: rate must be in [0, 1), got -0.1", e.getMessage());
  }
}
