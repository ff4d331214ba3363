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

class ReferenceNllTest {

  @Test
  void exampleByHand() {
    Tensor logp = Tensor.wrap(new double[] {-0.1, -2.5, -3, -0.2}, Shape.of(2, 2));
    assertEquals(2.7, ReferenceNll.forward(logp, new int[] {1, 1}), 1e-15);
    Tensor diff = Tensor.zeros(logp.shape(), DType.FLOAT64);
    ReferenceNll.backward(new int[] {1, 0}, 0.5, diff);
    assertEquals(-0.5, diff.get(1), 0);
    assertEquals(-0.5, diff.get(2), 0);
    assertEquals(0, diff.get(0), 0);
  }

  /** NLL of log-softmax is the softmax cross-entropy. */
  @Test
  void logSoftmaxThenNllIsCrossEntropy() {
    SplittableRandom rng = new SplittableRandom(10);
    Tensor src = random(Shape.of(4, 7), rng);
    int[] labels = {0, 6, 3, 3};
    Tensor logp = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceSoftmax.forward(true, src, logp);
    assertEquals(ReferenceSoftmaxCrossEntropy.forward(src, labels, Tensor.zeros(src.shape(), DType.FLOAT64)),
        ReferenceNll.forward(logp, labels), 1e-12);
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(11);
    Tensor src = random(Shape.of(3, 4), rng);
    int[] labels = {2, 0, 3};
    Tensor diff = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceNll.backward(labels, 0.3, diff);
    check("log-probabilities", src, diff, v -> 0.3 * ReferenceNll.forward(src, labels), 1e-7);
  }

  @Test
  void badLabelIsNamed() {
    assertEquals("nll: label -1 of row 0 not in [0, 2)", assertThrows(IllegalArgumentException.class,
        () -> ReferenceNll.forward(Tensor.zeros(Shape.of(1, 2)), new int[] {-1})).getMessage());
  }
}
