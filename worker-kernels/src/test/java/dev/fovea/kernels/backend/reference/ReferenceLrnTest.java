package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.LrnParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ReferenceLrnTest {

  /** Channels 1, 2, 3 with size 3, alpha 3 (alpha / size = 1), beta 1, k 1. */
  @Test
  void exampleByHand() {
    Tensor src = Tensor.wrap(new double[] {1, 2, 3}, Shape.of(1, 3, 1, 1));
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceLrn.forward(new LrnParams(3, 3, 1, 1), src, dst);
    // s = 1 + (1 + 4), 1 + (1 + 4 + 9), 1 + (4 + 9)
    assertClose("dst", Tensor.wrap(new double[] {1.0 / 6, 2.0 / 15, 3.0 / 14}, src.shape()), dst, 1e-15);
    // size 2 looks at channels c - 1 and c (PyTorch pads size / 2 before, (size - 1) / 2 after)
    ReferenceLrn.forward(new LrnParams(2, 2, 1, 1), src, dst);
    assertClose("size 2", Tensor.wrap(new double[] {1.0 / 2, 2.0 / 6, 3.0 / 14}, src.shape()), dst, 1e-15);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 5})
  void gradientMatchesFiniteDifferences(int size) {
    LrnParams p = new LrnParams(size, 0.8, 0.75, 1.5);
    SplittableRandom rng = new SplittableRandom(size);
    Tensor src = random(Shape.of(2, 5, 2, 3), rng);
    Tensor r = random(src.shape(), rng);
    Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceLrn.backward(p, src, r, diffSrc);
    check("lrn size " + size, src, diffSrc, v -> {
      Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
      ReferenceLrn.forward(p, src, dst);
      return dot(dst, r);
    }, 1e-7);
  }

  @Test
  void invalidArgumentsAreNamed() {
    assertEquals("lrn: size must be >= 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> LrnParams.of(0)).getMessage());
    assertEquals("lrn: k must be > 0, got 0.0",
        assertThrows(IllegalArgumentException.class, () -> new LrnParams(5, 1e-4, 0.75, 0)).getMessage());
  }
}
