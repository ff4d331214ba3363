package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReferenceAbsoluteErrorTest {

  @Test
  void exampleByHand() {
    Tensor src = Tensor.wrap(new double[] {1, 2, 3}, Shape.of(1, 3));
    Tensor t = Tensor.wrap(new double[] {1, 0, 6}, Shape.of(1, 3));
    assertEquals(5, ReferenceAbsoluteError.forward(src, t), 0);
    Tensor diff = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceAbsoluteError.backward(src, t, 0.5, diff);
    assertEquals(0, diff.get(0), 0); // equal: the subgradient 0
    assertEquals(0.5, diff.get(1), 0);
    assertEquals(-0.5, diff.get(2), 0);
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    // random values are never equal to their targets, where |.| has no derivative
    SplittableRandom rng = new SplittableRandom(11);
    Tensor src = random(Shape.of(2, 3, 2), rng);
    Tensor t = random(src.shape(), rng);
    Tensor diff = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceAbsoluteError.backward(src, t, 1.0 / 12, diff);
    check("src", src, diff, v -> ReferenceAbsoluteError.forward(src, t) / 12, 1e-7);
  }

  @Test
  void shapeMismatchIsNamed() {
    assertEquals("absolute error: target is (3), expected (1, 3)", assertThrows(IllegalArgumentException.class,
        () -> ReferenceAbsoluteError.forward(Tensor.zeros(Shape.of(1, 3)), Tensor.zeros(Shape.of(3)))).getMessage());
  }
}
