package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReferenceSumTest {

  @Test
  void residualAdditionByHand() {
    Tensor a = Tensor.wrap(new double[] {1, 2, 3}, Shape.of(1, 3));
    Tensor b = Tensor.wrap(new double[] {10, 20, 30}, Shape.of(1, 3));
    ReferenceSum.forward(new double[] {1, -0.5}, new Tensor[] {a, b}, a);
    assertClose("in place into the first source", Tensor.wrap(new double[] {-4, -8, -12}, a.shape()), a, 0);
  }

  /** The gradient of each source is the same op with one source: scales[i] · diffDst. */
  @Test
  void gradientMatchesFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(3);
    Shape s = Shape.of(2, 3, 2, 2);
    Tensor[] srcs = {random(s, rng), random(s, rng), random(s, rng)};
    double[] scales = {1, 0.5, -2};
    Tensor r = random(s, rng);
    for (int i = 0; i < 3; i++) {
      Tensor diff = Tensor.zeros(s, DType.FLOAT64);
      ReferenceSum.forward(new double[] {scales[i]}, new Tensor[] {r}, diff);
      check("source " + i, srcs[i], diff, v -> {
        Tensor dst = Tensor.zeros(s, DType.FLOAT64);
        ReferenceSum.forward(scales, srcs, dst);
        return dot(dst, r);
      }, 1e-7);
    }
  }

  @Test
  void invalidArgumentsAreNamed() {
    Tensor a = Tensor.zeros(Shape.of(2, 2));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReferenceSum.forward(new double[] {1}, new Tensor[] {a, a}, a));
    assertEquals("sum: 1 scales for 2 sources (need one per source, at least one)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ReferenceSum.forward(new double[] {1}, new Tensor[] {Tensor.zeros(Shape.of(4))}, a));
    assertEquals("sum: source is (4), expected (2, 2)", e.getMessage());
  }
}
