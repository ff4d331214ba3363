package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReferenceBatchNormalizationTest {

  private static Tensor zeros(int c) {
    return Tensor.zeros(Shape.of(c), DType.FLOAT64);
  }

  /** One channel holding 1 and 3: mean 2, biased variance 1, unbiased 2. */
  @Test
  void trainingThenEvaluationByHand() {
    BatchNormParams p = new BatchNormParams(1e-5, 0.1);
    Tensor src = Tensor.wrap(new double[] {1, 3}, Shape.of(2, 1));
    Tensor rm = zeros(1);
    Tensor rv = Tensor.wrap(new double[] {1}, Shape.of(1));
    Tensor mean = zeros(1);
    Tensor inv = zeros(1);
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    Tensor gamma = Tensor.wrap(new double[] {2}, Shape.of(1));
    Tensor beta = Tensor.wrap(new double[] {0.5}, Shape.of(1));
    ReferenceBatchNormalization.forward(p, true, src, gamma, beta, rm, rv, mean, inv, dst);
    double s = 1 / Math.sqrt(1 + 1e-5);
    assertClose("dst", Tensor.wrap(new double[] {0.5 - 2 * s, 0.5 + 2 * s}, src.shape()), dst, 1e-15);
    assertEquals(0.2, rm.get(0), 1e-15);
    assertEquals(0.9 * 1 + 0.1 * 2, rv.get(0), 1e-15);
    assertEquals(2, mean.get(0), 0);
    assertEquals(s, inv.get(0), 1e-15);
    // evaluation: (x - 0.2) / sqrt(1.1 + eps) · 2 + 0.5, running statistics unchanged
    ReferenceBatchNormalization.forward(p, false, Tensor.wrap(new double[] {1.2, 0.2}, Shape.of(2, 1)), gamma, beta,
        rm, rv, mean, inv, dst);
    double e = 1 / Math.sqrt(1.1 + 1e-5);
    assertClose("eval", Tensor.wrap(new double[] {2 * e + 0.5, 0.5}, src.shape()), dst, 1e-15);
    assertEquals(0.2, rm.get(0), 1e-15);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void gradientsMatchFiniteDifferences(boolean training) {
    BatchNormParams p = new BatchNormParams(1e-3, 0.3);
    SplittableRandom rng = new SplittableRandom(training ? 1 : 2);
    Shape shape = Shape.of(3, 2, 2, 3);
    Tensor src = random(shape, rng);
    Tensor gamma = random(Shape.of(2), rng);
    Tensor beta = random(Shape.of(2), rng);
    Tensor rm = random(Shape.of(2), rng);
    Tensor rv = Tensor.wrap(new double[] {0.7, 1.3}, Shape.of(2));
    Tensor r = random(shape, rng);
    Function<Void, Double> loss = v -> {
      Tensor dst = Tensor.zeros(shape, DType.FLOAT64);
      ReferenceBatchNormalization.forward(p, training, src, gamma, beta, copy(rm), copy(rv), zeros(2), zeros(2), dst);
      return dot(dst, r);
    };
    Tensor mean = zeros(2);
    Tensor inv = zeros(2);
    ReferenceBatchNormalization.forward(p, training, src, gamma, beta, copy(rm), copy(rv), mean, inv,
        Tensor.zeros(shape, DType.FLOAT64));
    Tensor diffSrc = Tensor.zeros(shape, DType.FLOAT64);
    Tensor diffGamma = zeros(2);
    Tensor diffBeta = zeros(2);
    ReferenceBatchNormalization.backward(p, training, src, gamma, mean, inv, r, diffSrc, diffGamma, diffBeta);
    check("src", src, diffSrc, loss, 1e-7);
    check("gamma", gamma, diffGamma, loss, 1e-7);
    check("beta", beta, diffBeta, loss, 1e-7);
  }

  private static Tensor copy(Tensor t) {
    return Tensor.wrap(t.toDoubleArray(), t.shape());
  }

  @Test
  void invalidArgumentsAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BatchNormParams(0, 0.1));
    assertEquals("batch normalization: epsilon must be > 0, got 0.0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BatchNormParams(1e-5, 1.5));
    assertEquals("batch normalization: momentum must be in [0, 1], got 1.5", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ReferenceBatchNormalization.forward(
        BatchNormParams.DEFAULTS, true, Tensor.zeros(Shape.of(1, 2)), null, null, zeros(2), zeros(2), zeros(2),
        zeros(2), Tensor.zeros(Shape.of(1, 2))));
    assertEquals("batch normalization: training needs more than 1 value per channel, source (1, 2)", e.getMessage());
  }
}
