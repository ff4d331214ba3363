package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
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

class ReferencePoolingTest {

  @Test
  void maxPoolExampleByHand() {
    Tensor src = Tensor.wrap(new double[] {1, 5, 2, 0, 3, 4, 8, 1, 0, 0, 7, 6, 9, 1, 2, 3}, Shape.of(1, 1, 4, 4));
    Tensor dst = Tensor.zeros(Shape.of(1, 1, 2, 2), DType.FLOAT64);
    ReferencePooling.forward(PoolParams.max2d(2), src, dst);
    assertClose("dst", Tensor.wrap(new double[] {5, 8, 9, 7}, Shape.of(1, 1, 2, 2)), dst, 0);
    Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferencePooling.backward(PoolParams.max2d(2), src, Tensor.wrap(new double[] {1, 2, 3, 4}, dst.shape()), diffSrc);
    assertClose("diffSrc", Tensor.wrap(new double[] {0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 4, 0, 3, 0, 0, 0},
        src.shape()), diffSrc, 0);
  }

  @Test
  void averagePoolPaddingCountsAsDocumented() {
    double[] ones = {1, 1, 1, 1};
    PoolParams excl = new PoolParams(PoolParams.Kind.AVG, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1},
        new int[] {0, 0}, false);
    PoolParams incl = new PoolParams(PoolParams.Kind.AVG, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1},
        new int[] {0, 0}, true);
    Tensor a = Tensor.zeros(Shape.of(1, 1, 2, 2), DType.FLOAT64);
    ReferencePooling.forward(excl, Tensor.wrap(ones, Shape.of(1, 1, 2, 2)), a);
    assertClose("exclude padding", Tensor.wrap(new double[] {1, 1, 1, 1}, a.shape()), a, 0);
    ReferencePooling.forward(incl, Tensor.wrap(ones, Shape.of(1, 1, 2, 2)), a);
    assertClose("include padding", Tensor.wrap(new double[] {0.25, 0.5, 0.5, 1}, a.shape()), a, 0);
  }

  @Test
  void invalidKernelIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PoolParams.max2d(0));
    assertTrue(e.getMessage().startsWith("pooling: invalid kernel"), e.getMessage());
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("max 2x2", PoolParams.max2d(2), Shape.of(2, 3, 6, 6)),
        Arguments.of("max 3x3 s2 p1", new PoolParams(PoolParams.Kind.MAX, new int[] {3, 3}, new int[] {2, 2},
            new int[] {1, 1}, new int[] {1, 1}, false), Shape.of(1, 2, 7, 7)),
        Arguments.of("avg 3x3 s2 p1", new PoolParams(PoolParams.Kind.AVG, new int[] {3, 3}, new int[] {2, 2},
            new int[] {1, 1}, new int[] {1, 1}, false), Shape.of(1, 2, 7, 6)),
        Arguments.of("avg 1d incl pad", new PoolParams(PoolParams.Kind.AVG, new int[] {3}, new int[] {2},
            new int[] {1}, new int[] {1}, true), Shape.of(2, 2, 9)),
        Arguments.of("max 3d", new PoolParams(PoolParams.Kind.MAX, new int[] {2, 2, 2}, new int[] {1, 2, 2},
            new int[] {0, 0, 0}, new int[] {0, 0, 0}, false), Shape.of(1, 2, 3, 4, 4)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientMatchesFiniteDifferences(String name, PoolParams p, Shape srcShape) {
    SplittableRandom rng = new SplittableRandom(name.hashCode());
    Tensor src = random(srcShape, rng);
    Shape dstShape = p.outputShape(srcShape);
    Tensor r = random(dstShape, rng);
    Tensor diffSrc = Tensor.zeros(srcShape, DType.FLOAT64);
    ReferencePooling.backward(p, src, r, diffSrc);
    check(name, src, diffSrc, v -> {
      Tensor dst = Tensor.zeros(dstShape, DType.FLOAT64);
      ReferencePooling.forward(p, src, dst);
      return dot(dst, r);
    }, 1e-7);
  }

  @Test
  void globalPoolingByHand() {
    Tensor src = Tensor.wrap(new double[] {1, 5, 2, 0, -1, -2, -3, -6}, Shape.of(1, 2, 2, 2));
    Tensor dst = Tensor.zeros(Shape.of(1, 2, 1, 1), DType.FLOAT64);
    ReferencePooling.forward(PoolParams.global(PoolParams.Kind.MAX, src.shape()), src, dst);
    assertClose("global max", Tensor.wrap(new double[] {5, -1}, dst.shape()), dst, 0);
    ReferencePooling.forward(PoolParams.global(PoolParams.Kind.AVG, src.shape()), src, dst);
    assertClose("global average", Tensor.wrap(new double[] {2, -3}, dst.shape()), dst, 0);
  }

  @Test
  void globalPoolingGradients() {
    for (PoolParams.Kind kind : PoolParams.Kind.values()) {
      for (Shape s : new Shape[] {Shape.of(2, 3, 5), Shape.of(2, 2, 3, 4), Shape.of(1, 2, 2, 3, 2)}) {
        gradientMatchesFiniteDifferences("global " + kind + " " + s, PoolParams.global(kind, s), s);
      }
    }
  }

  @Test
  void samePaddingFollowsTensorFlow() {
    // in 5, k 2, s 2 -> 3 outputs; total padding 1 at the end
    PoolParams p = PoolParams.same(PoolParams.Kind.MAX, new int[] {2, 3}, new int[] {2, 1}, new int[] {5, 4});
    assertTrue(p.padBegin()[0] == 0 && p.padEnd()[0] == 1 && p.padBegin()[1] == 1 && p.padEnd()[1] == 1);
    org.junit.jupiter.api.Assertions.assertEquals(Shape.of(1, 1, 3, 4), p.outputShape(Shape.of(1, 1, 5, 4)));
  }
}
