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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ReferenceConcatTest {

  @Test
  void channelsByHand() {
    Tensor a = Tensor.wrap(new double[] {1, 2, 3, 4}, Shape.of(2, 1, 2));
    Tensor b = Tensor.wrap(new double[] {5, 6, 7, 8, 9, 10, 11, 12}, Shape.of(2, 2, 2));
    Tensor dst = Tensor.zeros(Shape.of(2, 3, 2), DType.FLOAT64);
    ReferenceConcat.forward(1, new Tensor[] {a, b}, dst);
    assertClose("dst", Tensor.wrap(new double[] {1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12}, dst.shape()), dst, 0);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3})
  void gradientMatchesFiniteDifferences(int axis) {
    SplittableRandom rng = new SplittableRandom(axis);
    int[] d = {2, 3, 2, 2};
    Tensor[] srcs = new Tensor[3];
    for (int i = 0; i < 3; i++) {
      int[] di = d.clone();
      di[axis] = i + 1;
      srcs[i] = random(Shape.of(di), rng);
    }
    Shape out = ReferenceConcat.outputShape(axis, new Shape[] {srcs[0].shape(), srcs[1].shape(), srcs[2].shape()});
    assertEquals(6, out.dim(axis));
    Tensor r = random(out, rng);
    Tensor[] diffs = new Tensor[3];
    for (int i = 0; i < 3; i++) {
      diffs[i] = Tensor.zeros(srcs[i].shape(), DType.FLOAT64);
    }
    ReferenceConcat.backward(axis, r, diffs);
    for (int i = 0; i < 3; i++) {
      check("concat axis " + axis + " source " + i, srcs[i], diffs[i], v -> {
        Tensor dst = Tensor.zeros(out, DType.FLOAT64);
        ReferenceConcat.forward(axis, srcs, dst);
        return dot(dst, r);
      }, 1e-7);
    }
  }

  @Test
  void invalidArgumentsAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReferenceConcat.outputShape(1,
        new Shape[] {Shape.of(1, 2, 3, 3), Shape.of(1, 2, 4, 3)}));
    assertEquals("concat: source (1, 2, 4, 3) does not match (1, 2, 3, 3) off axis 1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ReferenceConcat.outputShape(4,
        new Shape[] {Shape.of(1, 2, 3, 3)}));
    assertEquals("concat: axis 4 not in [0, 4)", e.getMessage());
  }
}
