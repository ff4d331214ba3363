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
import org.junit.jupiter.api.Test;

class ReferenceInnerProductTest {

  @Test
  void exampleByHand() {
    Tensor src = Tensor.wrap(new double[] {1, 2, 3, 4, 5, 6}, Shape.of(2, 3));
    Tensor w = Tensor.wrap(new double[] {1, 0, -1, 0.5, 0.5, 0.5}, Shape.of(2, 3));
    Tensor b = Tensor.wrap(new double[] {0, 1}, Shape.of(2));
    Tensor dst = Tensor.zeros(Shape.of(2, 2), DType.FLOAT64);
    ReferenceInnerProduct.forward(src, w, b, dst);
    assertClose("dst", Tensor.wrap(new double[] {-2, 4, -2, 8.5}, Shape.of(2, 2)), dst, 0);
  }

  @Test
  void shapeMismatchIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReferenceInnerProduct.forward(
        Tensor.zeros(Shape.of(2, 3), DType.FLOAT64), Tensor.zeros(Shape.of(2, 4), DType.FLOAT64), null,
        Tensor.zeros(Shape.of(2, 2), DType.FLOAT64)));
    assertTrue(e.getMessage().contains("inner product: weights (2, 4)"), e.getMessage());
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(11);
    Tensor src = random(Shape.of(3, 2, 2, 2), rng);
    Tensor w = random(Shape.of(5, 8), rng);
    Tensor b = random(Shape.of(5), rng);
    Tensor r = random(Shape.of(3, 5), rng);
    java.util.function.Function<Void, Double> loss = v -> {
      Tensor dst = Tensor.zeros(Shape.of(3, 5), DType.FLOAT64);
      ReferenceInnerProduct.forward(src, w, b, dst);
      return dot(dst, r);
    };
    Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceInnerProduct.backwardData(r, w, diffSrc);
    Tensor diffW = Tensor.zeros(w.shape(), DType.FLOAT64);
    Tensor diffB = Tensor.zeros(b.shape(), DType.FLOAT64);
    ReferenceInnerProduct.backwardWeights(src, r, diffW, diffB);
    check("src", src, diffSrc, loss, 1e-7);
    check("weights", w, diffW, loss, 1e-7);
    check("bias", b, diffB, loss, 1e-7);
  }
}
