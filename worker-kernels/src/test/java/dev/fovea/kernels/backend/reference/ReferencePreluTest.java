package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReferencePreluTest {

  @Test
  void perChannelByHand() {
    Tensor src = Tensor.wrap(new double[] {-1, 2, -3, 4}, Shape.of(1, 2, 2));
    Tensor slope = Tensor.wrap(new double[] {0.1, 0.5}, Shape.of(2));
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferencePrelu.forward(src, slope, dst);
    assertClose("dst", Tensor.wrap(new double[] {-0.1, 2, -1.5, 4}, src.shape()), dst, 1e-15);
    Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
    Tensor diffSlope = Tensor.wrap(new double[] {1, 1}, Shape.of(2));
    ReferencePrelu.backward(src, slope, Tensor.wrap(new double[] {1, 1, 1, 1}, src.shape()), diffSrc, diffSlope);
    assertClose("diffSrc", Tensor.wrap(new double[] {0.1, 1, 0.5, 1}, src.shape()), diffSrc, 1e-15);
    assertClose("diffSlope accumulates", Tensor.wrap(new double[] {0, -2}, Shape.of(2)), diffSlope, 1e-15);
  }

  /** Slope shared (1), per channel (3) and per element (the source's 24). */
  @ParameterizedTest
  @ValueSource(ints = {1, 3, 24})
  void gradientsMatchFiniteDifferences(int slopes) {
    SplittableRandom rng = new SplittableRandom(slopes);
    Tensor src = random(Shape.of(2, 3, 2, 2), rng);
    Tensor slope = random(slopes == 24 ? src.shape() : Shape.of(slopes), rng);
    Tensor r = random(src.shape(), rng);
    Function<Void, Double> loss = v -> {
      Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
      ReferencePrelu.forward(src, slope, dst);
      return dot(dst, r);
    };
    Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
    Tensor diffSlope = Tensor.zeros(slope.shape(), DType.FLOAT64);
    ReferencePrelu.backward(src, slope, r, diffSrc, diffSlope);
    check("src", src, diffSrc, loss, 1e-7);
    check("slope", slope, diffSlope, loss, 1e-7);
  }

  @Test
  void invalidSlopeIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReferencePrelu.forward(
        Tensor.zeros(Shape.of(1, 3, 2)), Tensor.zeros(Shape.of(2)), Tensor.zeros(Shape.of(1, 3, 2))));
    assertTrue(e.getMessage().startsWith("prelu: slope (2) must be (1), (C) or the source's shape"), e.getMessage());
  }
}
