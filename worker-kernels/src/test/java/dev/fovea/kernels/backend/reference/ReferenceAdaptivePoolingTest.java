package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReferenceAdaptivePoolingTest {

  /** PyTorch's windows for 5 → 3: [0, 2), [1, 4), [3, 5); 5 → 7 repeats cells. */
  @Test
  void windowsAsPyTorch() {
    assertEquals(0, ReferenceAdaptivePooling.start(0, 5, 3));
    assertEquals(2, ReferenceAdaptivePooling.end(0, 5, 3));
    assertEquals(1, ReferenceAdaptivePooling.start(1, 5, 3));
    assertEquals(4, ReferenceAdaptivePooling.end(1, 5, 3));
    assertEquals(3, ReferenceAdaptivePooling.start(2, 5, 3));
    assertEquals(5, ReferenceAdaptivePooling.end(2, 5, 3));
    assertEquals(2, ReferenceAdaptivePooling.start(3, 5, 7));
    assertEquals(3, ReferenceAdaptivePooling.end(3, 5, 7));
  }

  @Test
  void averageAndMaxByHand() {
    Tensor src = Tensor.wrap(new double[] {1, 5, 2, 8, 3}, Shape.of(1, 1, 5));
    Tensor dst = Tensor.zeros(Shape.of(1, 1, 3), DType.FLOAT64);
    ReferenceAdaptivePooling.forward(PoolParams.Kind.AVG, src, dst);
    assertClose("avg 5 to 3", Tensor.wrap(new double[] {3, 5, 5.5}, Shape.of(1, 1, 3)), dst, 1e-15);
    ReferenceAdaptivePooling.forward(PoolParams.Kind.MAX, src, dst);
    assertClose("max 5 to 3", Tensor.wrap(new double[] {5, 8, 8}, Shape.of(1, 1, 3)), dst, 0);
    Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceAdaptivePooling.backward(PoolParams.Kind.MAX, src, Tensor.wrap(new double[] {1, 2, 4},
        Shape.of(1, 1, 3)), diffSrc);
    assertClose("max backward: both windows with 8 route to it", Tensor.wrap(new double[] {0, 1, 0, 6, 0},
        Shape.of(1, 1, 5)), diffSrc, 0);
    ReferenceAdaptivePooling.backward(PoolParams.Kind.AVG, src, Tensor.wrap(new double[] {2, 3, 4},
        Shape.of(1, 1, 3)), diffSrc);
    assertClose("avg backward", Tensor.wrap(new double[] {1, 2, 1, 3, 2}, Shape.of(1, 1, 5)), diffSrc, 1e-15);
    // 2D, 3x3 to 2x2: windows [0, 2) and [1, 3) on each axis
    Tensor img = Tensor.wrap(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, Shape.of(1, 1, 3, 3));
    Tensor out = Tensor.zeros(Shape.of(1, 1, 2, 2), DType.FLOAT64);
    ReferenceAdaptivePooling.forward(PoolParams.Kind.AVG, img, out);
    assertClose("avg 3x3 to 2x2", Tensor.wrap(new double[] {3, 4, 6, 7}, out.shape()), out, 1e-15);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReferenceAdaptivePooling.forward(PoolParams.Kind.AVG, img, Tensor.zeros(Shape.of(1, 2, 2, 2))));
    assertTrue(e.getMessage().startsWith("adaptive pooling: source (1, 1, 3, 3) and destination (1, 2, 2, 2)"),
        e.getMessage());
    assertEquals(null, PoolParams.adaptiveUniform(PoolParams.Kind.AVG, img.shape(), out.shape()));
    assertEquals(3, PoolParams.adaptiveUniform(PoolParams.Kind.AVG, Shape.of(1, 1, 12, 6), Shape.of(1, 1, 4, 2))
        .kernel()[0]);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(PoolParams.Kind.AVG, Shape.of(2, 2, 7, 5), Shape.of(2, 2, 3, 4)),
        Arguments.of(PoolParams.Kind.MAX, Shape.of(2, 2, 7, 5), Shape.of(2, 2, 3, 4)),
        Arguments.of(PoolParams.Kind.AVG, Shape.of(1, 3, 10), Shape.of(1, 3, 4)),
        Arguments.of(PoolParams.Kind.MAX, Shape.of(1, 2, 3, 4, 5), Shape.of(1, 2, 2, 3, 2)),
        Arguments.of(PoolParams.Kind.AVG, Shape.of(1, 2, 3, 3), Shape.of(1, 2, 5, 4)));
  }

  @ParameterizedTest(name = "{0} {1} to {2}")
  @MethodSource("cases")
  void gradientMatchesFiniteDifferences(PoolParams.Kind kind, Shape in, Shape out) {
    SplittableRandom rng = new SplittableRandom(in.hashCode() + kind.ordinal());
    Tensor src = random(in, rng);
    Tensor r = random(out, rng);
    Tensor diffSrc = Tensor.zeros(in, DType.FLOAT64);
    ReferenceAdaptivePooling.backward(kind, src, r, diffSrc);
    check(kind + " " + in, src, diffSrc, v -> {
      Tensor dst = Tensor.zeros(out, DType.FLOAT64);
      ReferenceAdaptivePooling.forward(kind, src, dst);
      return dot(dst, r);
    }, 1e-7);
  }
}
