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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReferencePaddingTest {

  @Test
  void asymmetric2dByHand() {
    Tensor src = Tensor.wrap(new double[] {1, 2, 3, 4}, Shape.of(1, 1, 2, 2));
    int[] begin = {1, 0};
    int[] end = {0, 2};
    Tensor dst = Tensor.zeros(ReferencePadding.outputShape(begin, end, src.shape()), DType.FLOAT64);
    assertEquals(Shape.of(1, 1, 3, 4), dst.shape());
    ReferencePadding.forward(begin, end, src, dst);
    assertClose("dst", Tensor.wrap(new double[] {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}, dst.shape()), dst, 0);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(Shape.of(2, 2, 3), new int[] {2}, new int[] {1}),
        Arguments.of(Shape.of(1, 2, 3, 2), new int[] {1, 0}, new int[] {2, 3}),
        Arguments.of(Shape.of(1, 1, 2, 2, 2), new int[] {0, 1, 1}, new int[] {1, 0, 1}));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void gradientMatchesFiniteDifferences(Shape in, int[] begin, int[] end) {
    SplittableRandom rng = new SplittableRandom(in.rank());
    Tensor src = random(in, rng);
    Shape out = ReferencePadding.outputShape(begin, end, in);
    Tensor r = random(out, rng);
    Tensor diffSrc = Tensor.zeros(in, DType.FLOAT64);
    ReferencePadding.backward(begin, end, r, diffSrc);
    check("padding " + in, src, diffSrc, v -> {
      Tensor dst = Tensor.zeros(out, DType.FLOAT64);
      ReferencePadding.forward(begin, end, src, dst);
      return dot(dst, r);
    }, 1e-7);
  }

  @Test
  void negativePaddingIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReferencePadding.outputShape(new int[] {-1, 0}, new int[] {0, 0}, Shape.of(1, 1, 2, 2)));
    assertEquals("padding: padding must be >= 0, got [-1, 0]/[0, 0]", e.getMessage());
  }
}
