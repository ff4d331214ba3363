package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReferenceRreluTest {

  @Test
  void slopesFollowTheSeededDrawsByHand() {
    Tensor src = Tensor.wrap(new double[] {-1, -2, 3, -4}, Shape.of(1, 4));
    Tensor slope = Tensor.zeros(src.shape(), DType.FLOAT64);
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceRrelu.forward(0.125, 1.0 / 3, 9, src, slope, dst);
    SplittableRandom rng = new SplittableRandom(9);
    for (int i = 0; i < 4; i++) {
      double a = 0.125 + (1.0 / 3 - 0.125) * rng.nextDouble();
      assertEquals(a, slope.get(i), 0);
      assertTrue(a >= 0.125 && a < 1.0 / 3);
      assertEquals(src.get(i) >= 0 ? src.get(i) : a * src.get(i), dst.get(i), 0);
    }
  }

  /** Evaluation uses the mean slope: the element-wise RRELU kind. */
  @Test
  void evaluationIsTheMeanSlope() {
    Tensor src = Tensor.wrap(new double[] {-3, 3}, Shape.of(2));
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceEltwise.forward(new Activation(Activation.Kind.RRELU, 0.1, 0.3), src, dst);
    assertClose("dst", Tensor.wrap(new double[] {-0.6, 3}, src.shape()), dst, 1e-15);
  }

  /** Backward is parametric ReLU's with the drawn per-element slope. */
  @Test
  void gradientMatchesFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(2);
    Tensor src = random(Shape.of(2, 3, 4), rng);
    Tensor r = random(src.shape(), rng);
    Tensor slope = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceRrelu.forward(0.1, 0.4, 5, src, slope, Tensor.zeros(src.shape(), DType.FLOAT64));
    Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferencePrelu.backward(src, slope, r, diffSrc, null);
    check("rrelu", src, diffSrc, v -> {
      Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
      ReferenceRrelu.forward(0.1, 0.4, 5, src, Tensor.zeros(src.shape(), DType.FLOAT64), dst);
      return dot(dst, r);
    }, 1e-7);
  }

  @Test
  void invalidBoundsAreNamed() {
    Tensor t = Tensor.zeros(Shape.of(2));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReferenceRrelu.forward(0.5, 0.2, 1, t, t, t));
    assertEquals("rrelu: bounds must satisfy 0 <= lower <= upper < 1, got lower 0.5, upper 0.2", e.getMessage());
  }
}
