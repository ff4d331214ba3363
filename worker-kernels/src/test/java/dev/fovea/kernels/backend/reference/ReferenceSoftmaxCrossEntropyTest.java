package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReferenceSoftmaxCrossEntropyTest {

  @Test
  void uniformLogitsGiveLogK() {
    Tensor src = Tensor.wrap(new double[] {0, 0, 0, 0}, Shape.of(1, 4));
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    double loss = ReferenceSoftmaxCrossEntropy.forward(src, new int[] {2}, dst);
    assertEquals(Math.log(4), loss, 1e-15);
    assertEquals(0.25, dst.get(3), 1e-15);
  }

  @Test
  void stableForHugeLogits() {
    Tensor src = Tensor.wrap(new float[] {1e4f, -1e4f, 0f}, Shape.of(1, 3));
    Tensor dst = Tensor.zeros(src.shape());
    double right = ReferenceSoftmaxCrossEntropy.forward(src, new int[] {0}, dst);
    assertEquals(0, right, 1e-12);
    double wrong = ReferenceSoftmaxCrossEntropy.forward(src, new int[] {1}, dst);
    assertEquals(2e4, wrong, 1e-6);
    assertTrue(Double.isFinite(wrong));
    assertEquals(1.0, dst.get(0), 0);
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(5);
    Tensor src = random(Shape.of(4, 6), rng);
    int[] labels = {0, 5, 2, 2};
    Tensor probs = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceSoftmaxCrossEntropy.forward(src, labels, probs);
    Tensor diff = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceSoftmaxCrossEntropy.backward(probs, labels, 0.25, diff);
    check("logits", src, diff, v -> 0.25 * ReferenceSoftmaxCrossEntropy.forward(src, labels,
        Tensor.zeros(src.shape(), DType.FLOAT64)), 1e-7);
  }

  /** Two classes with probabilities 1/4 and 3/4, label 1, ε = 0.2: targets 0.1 and 0.9. */
  @Test
  void labelSmoothingByHand() {
    Tensor src = Tensor.wrap(new double[] {0, Math.log(3)}, Shape.of(1, 2));
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    double loss = ReferenceSoftmaxCrossEntropy.forward(src, new int[] {1}, 0.2, dst);
    assertEquals(-(0.1 * Math.log(0.25) + 0.9 * Math.log(0.75)), loss, 1e-15);
    Tensor diff = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceSoftmaxCrossEntropy.backward(dst, new int[] {1}, 0.2, 2, diff);
    assertEquals(2 * (0.25 - 0.1), diff.get(0), 1e-15);
    assertEquals(2 * (0.75 - 0.9), diff.get(1), 1e-15);
  }

  @Test
  void smoothedGradientMatchesFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(6);
    Tensor src = random(Shape.of(3, 5), rng);
    int[] labels = {4, 0, 2};
    Tensor probs = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceSoftmaxCrossEntropy.forward(src, labels, 0.1, probs);
    Tensor diff = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceSoftmaxCrossEntropy.backward(probs, labels, 0.1, 1.0 / 3, diff);
    check("smoothed logits", src, diff, v -> ReferenceSoftmaxCrossEntropy.forward(src, labels, 0.1,
        Tensor.zeros(src.shape(), DType.FLOAT64)) / 3, 1e-7);
  }

  @Test
  void invalidArgumentsAreNamed() {
    Tensor t = Tensor.zeros(Shape.of(1, 3));
    org.junit.jupiter.api.Assertions.assertEquals("softmax cross-entropy: labelSmoothing must be in [0, 1], got 1.5",
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> ReferenceSoftmaxCrossEntropy.forward(t, new int[] {0}, 1.5, t)).getMessage());
    org.junit.jupiter.api.Assertions.assertEquals("softmax cross-entropy: label 3 of row 0 not in [0, 3)",
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> ReferenceSoftmaxCrossEntropy.forward(t, new int[] {3}, t)).getMessage());
  }
}
