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

class ReferenceSigmoidCrossEntropyTest {

  @Test
  void exampleByHand() {
    Tensor src = Tensor.wrap(new double[] {0, Math.log(3)}, Shape.of(1, 2));
    Tensor t = Tensor.wrap(new double[] {1, 0.25}, Shape.of(1, 2));
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    double loss = ReferenceSigmoidCrossEntropy.forward(src, t, dst);
    // σ(0) = 1/2, σ(log 3) = 3/4: -log(1/2) - (0.25 log(3/4) + 0.75 log(1/4))
    assertEquals(Math.log(2) - 0.25 * Math.log(0.75) - 0.75 * Math.log(0.25), loss, 1e-15);
    assertEquals(0.75, dst.get(1), 1e-15);
  }

  @Test
  void stableForLogitsOf1e4() {
    Tensor src = Tensor.wrap(new float[] {1e4f, -1e4f}, Shape.of(1, 2));
    Tensor t = Tensor.wrap(new float[] {0, 0}, Shape.of(1, 2));
    double loss = ReferenceSigmoidCrossEntropy.forward(src, t, Tensor.zeros(src.shape()));
    assertEquals(1e4, loss, 1e-9);
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(8);
    Tensor src = random(Shape.of(3, 4), rng);
    Tensor t = random(src.shape(), rng);
    for (int i = 0; i < t.size(); i++) {
      t.set(i, Math.abs(t.get(i)));
    }
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceSigmoidCrossEntropy.forward(src, t, dst);
    Tensor diff = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceSigmoidCrossEntropy.backward(dst, t, 0.5, diff);
    check("logits", src, diff, v -> 0.5 * ReferenceSigmoidCrossEntropy.forward(src, t,
        Tensor.zeros(src.shape(), DType.FLOAT64)), 1e-7);
  }

  @Test
  void targetOutsideUnitIntervalIsNamed() {
    Tensor src = Tensor.zeros(Shape.of(1, 1));
    assertEquals("sigmoid cross-entropy: target 2.0 at 0 not in [0, 1]", assertThrows(IllegalArgumentException.class,
        () -> ReferenceSigmoidCrossEntropy.forward(src, Tensor.wrap(new float[] {2}, Shape.of(1, 1)), src))
        .getMessage());
  }
}
