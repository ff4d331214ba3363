package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReferenceSoftmaxTest {

  @Test
  void exampleByHand() {
    Tensor src = Tensor.wrap(new double[] {0, Math.log(3), 5, 5}, Shape.of(2, 2));
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceSoftmax.forward(false, src, dst);
    assertClose("softmax", Tensor.wrap(new double[] {0.25, 0.75, 0.5, 0.5}, src.shape()), dst, 1e-15);
    ReferenceSoftmax.forward(true, src, dst);
    assertClose("log-softmax", Tensor.wrap(new double[] {Math.log(0.25), Math.log(0.75), Math.log(0.5),
        Math.log(0.5)}, src.shape()), dst, 1e-15);
  }

  @Test
  void stableForLogitsOf1e4() {
    Tensor src = Tensor.wrap(new float[] {1e4f, -1e4f, 0f}, Shape.of(1, 3));
    Tensor dst = Tensor.zeros(src.shape());
    ReferenceSoftmax.forward(false, src, dst);
    assertEquals(1, dst.get(0), 0);
    assertEquals(0, dst.get(1), 0);
    ReferenceSoftmax.forward(true, src, dst);
    assertEquals(0, dst.get(0), 0);
    assertEquals(-2e4, dst.get(1), 0);
    assertEquals(-1e4, dst.get(2), 0);
    for (int i = 0; i < 3; i++) {
      assertTrue(Double.isFinite(dst.get(i)));
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void gradientMatchesFiniteDifferences(boolean log) {
    SplittableRandom rng = new SplittableRandom(log ? 1 : 2);
    Tensor src = random(Shape.of(3, 2, 3), rng);
    Tensor r = random(src.shape(), rng);
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceSoftmax.forward(log, src, dst);
    Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceSoftmax.backward(log, dst, r, diffSrc);
    check(log ? "log-softmax" : "softmax", src, diffSrc, v -> {
      Tensor y = Tensor.zeros(src.shape(), DType.FLOAT64);
      ReferenceSoftmax.forward(log, src, y);
      return dot(y, r);
    }, 1e-7);
  }
}
