package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Activation.Kind;
import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ReferenceEltwiseTest {

  @Test
  void reluAndLeakyReluByHand() {
    Tensor src = Tensor.wrap(new double[] {-2, -0.5, 0, 3}, Shape.of(4));
    Tensor dst = Tensor.zeros(Shape.of(4), DType.FLOAT64);
    ReferenceEltwise.forward(Activation.RELU, src, dst);
    assertClose("relu", Tensor.wrap(new double[] {0, 0, 0, 3}, Shape.of(4)), dst, 0);
    ReferenceEltwise.forward(new Activation(Activation.Kind.RELU, 0.1, 0), src, dst);
    assertClose("leaky", Tensor.wrap(new double[] {-0.2, -0.05, 0, 3}, Shape.of(4)), dst, 1e-15);
  }

  private static double f(Activation a, double x) {
    return ReferenceEltwise.value(a, x, 0);
  }

  private static double f(Kind k, double x) {
    return f(Activation.of(k), x);
  }

  /** Values worked out by hand (or from the closed forms PyTorch documents) at a few points. */
  @Test
  void everyKindByHand() {
    assertEquals(0.5, f(Kind.SIGMOID, 0), 1e-15);
    assertEquals(1 / (1 + Math.exp(-2)), f(Kind.SIGMOID, 2), 1e-15);
    assertEquals(Math.tanh(0.5), f(Kind.TANH, 0.5), 1e-15);
    assertEquals(Math.PI / 4, f(Kind.ATAN, 1), 1e-15);
    assertEquals(-2 * (1.0 / 8 + 1.0 / 3) / 2, f(Kind.RRELU, -2), 1e-15);
    assertEquals(Math.exp(-1) - 1, f(Kind.ELU, -1), 1e-15);
    assertEquals(1.0507009873554805 * 2, f(Kind.SELU, 2), 1e-15);
    assertEquals(1.0507009873554805 * 1.6732632423543772 * (Math.exp(-1) - 1), f(Kind.SELU, -1), 1e-15);
    // torch.nn.functional.gelu(torch.tensor(1.0)) = 0.8413447460685429 (= Φ(1))
    assertEquals(0.8413447460685429, f(Kind.GELU_ERF, 1), 1e-15);
    assertEquals(-0.15865525393145707, f(Kind.GELU_ERF, -1), 1e-15);
    // torch.nn.functional.gelu(torch.tensor(1.0, dtype=float64), approximate='tanh') = 0.8411919906082768
    assertEquals(0.8411919906082768, f(Kind.GELU_TANH, 1), 1e-15);
    assertEquals(1 / (1 + Math.exp(-1)), f(Kind.SWISH, 1), 1e-15);
    assertEquals(2 / (1 + Math.exp(-2 * 2.0)), f(new Activation(Kind.SWISH, 2, 0), 2), 1e-15);
    assertEquals(Math.tanh(Math.log1p(Math.E)), f(Kind.MISH, 1), 1e-15);
    assertEquals(Math.log(2), f(Kind.SOFTPLUS, 0), 1e-15);
    assertEquals(1e4, f(Kind.SOFTPLUS, 1e4), 1e-12);
    assertEquals(0, f(Kind.SOFTPLUS, -1e4), 1e-300);
    assertEquals(-2.0 / 3, f(Kind.SOFTSIGN, -2), 1e-15);
    assertEquals(0.5, f(Kind.HARD_SIGMOID, 0), 0);
    assertEquals(1, f(Kind.HARD_SIGMOID, 4), 0);
    assertEquals(-1, f(Kind.HARD_TANH, -3), 0);
    assertEquals(1 * 4.0 / 6, f(Kind.HARD_SWISH, 1), 1e-15);
    assertEquals(6, f(Kind.RELU6, 7), 0);
    assertEquals(1 / Math.sqrt(2), f(Kind.ISRU, 1), 1e-15);
    assertEquals(1, f(Kind.ISRLU, 1), 0);
    assertEquals(-1 / Math.sqrt(2), f(Kind.ISRLU, -1), 1e-15);
    assertEquals(0.75, f(Kind.SQNL, 1), 0);
    assertEquals(-0.75, f(Kind.SQNL, -1), 0);
    assertEquals(1, f(Kind.SQNL, 3), 0);
    assertEquals(1, f(Kind.BINARY_STEP, 0), 0);
    assertEquals(0, f(Kind.BINARY_STEP, -0.1), 0);
    Tensor src = Tensor.wrap(new double[] {-1, -1, 2, 2}, Shape.of(4));
    Tensor dst = Tensor.zeros(Shape.of(4), DType.FLOAT64);
    ReferenceEltwise.forward(Activation.of(Kind.BIPOLAR_RELU), src, dst);
    assertClose("bipolar relu on a vector: relu on even, -relu(-x) on odd elements",
        Tensor.wrap(new double[] {0, -1, 2, 0}, Shape.of(4)), dst, 0);
  }

  /**
   * Bipolar ReLU alternates per channel of a convolutional output and per unit of a dense output,
   * never along the width of one feature map.
   */
  @Test
  void bipolarReluAlternatesPerChannelAndPerUnit() {
    Tensor maps = Tensor.wrap(new double[] {-1, 2, -3, 4, -1, 2, -3, 4, -5, 6, 7, -8}, Shape.of(1, 3, 2, 2));
    Tensor dst = Tensor.zeros(maps.shape(), DType.FLOAT64);
    ReferenceEltwise.forward(Activation.of(Kind.BIPOLAR_RELU), maps, dst);
    assertClose("channels 0 and 2 relu, channel 1 min(x, 0)", Tensor.wrap(new double[] {0, 2, 0, 4, -1, 0, -3, 0,
        0, 6, 7, 0}, maps.shape()), dst, 0);
    Tensor diff = Tensor.zeros(maps.shape(), DType.FLOAT64);
    Tensor ones = Tensor.wrap(new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, maps.shape());
    ReferenceEltwise.backward(Activation.of(Kind.BIPOLAR_RELU), maps, ones, diff);
    assertClose("gradient per channel", Tensor.wrap(new double[] {0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0}, maps.shape()),
        diff, 0);
    Tensor units = Tensor.wrap(new double[] {-1, -1, 2, 2, 3, -3, -4, 4}, Shape.of(2, 4));
    Tensor out = Tensor.zeros(units.shape(), DType.FLOAT64);
    ReferenceEltwise.forward(Activation.of(Kind.BIPOLAR_RELU), units, out);
    assertClose("dense units alternate, rows alike", Tensor.wrap(new double[] {0, -1, 2, 0, 3, -3, 0, 0},
        units.shape()), out, 0);
  }

  /** PFLU and FPFLU at points worked out by hand: sqrt(1 + 1) = √2, sqrt(1 + 4) = √5. */
  @Test
  void powerFunctionLinearUnitsByHand() {
    assertEquals(0, f(Kind.PFLU, 0), 0);
    assertEquals((1 + 1 / Math.sqrt(2)) / 2, f(Kind.PFLU, 1), 1e-15);
    assertEquals(-(1 - 1 / Math.sqrt(2)) / 2, f(Kind.PFLU, -1), 1e-15);
    assertEquals(-2 * (1 - 2 / Math.sqrt(5)) / 2, f(Kind.PFLU, -2), 1e-15);
    assertEquals(2, f(Kind.FPFLU, 2), 0);
    assertEquals(-1 + 1 / Math.sqrt(2), f(Kind.FPFLU, -1), 1e-15);
    assertEquals(-2 + 4 / Math.sqrt(5), f(Kind.FPFLU, -2), 1e-15);
    // non-monotonic below zero, tending to 0 from below: a minimum, then back towards zero
    assertTrue(f(Kind.PFLU, -10) > f(Kind.PFLU, -1) && f(Kind.PFLU, -10) < 0);
    assertTrue(f(Kind.FPFLU, -10) > f(Kind.FPFLU, -1) && f(Kind.FPFLU, -10) < 0);
    // slopes at 0: PFLU 1/2, FPFLU 1 from both sides
    assertEquals(0.5, ReferenceEltwise.derivative(Activation.of(Kind.PFLU), 0, 0), 0);
    assertEquals(1, ReferenceEltwise.derivative(Activation.of(Kind.FPFLU), -1e-9, 0), 1e-8);
  }

  /** Keras's relu(x, negative_slope, max_value, threshold) at the points of its documentation's cases. */
  @Test
  void kerasReluInFull() {
    Activation plain = Activation.of(Kind.KERAS_RELU);
    assertEquals(0, f(plain, -3), 0);
    assertEquals(1e6, f(plain, 1e6), 0);
    Activation full = Activation.kerasRelu(0.1, 6.0, 1.0);
    assertEquals(6, f(full, 7), 0); // x >= max_value: max_value
    assertEquals(6, f(full, 6), 0);
    assertEquals(3, f(full, 3), 0); // threshold <= x < max_value: x
    assertEquals(1, f(full, 1), 0);
    assertEquals(0.1 * (0.5 - 1), f(full, 0.5), 1e-15); // below the threshold: negative_slope * (x - threshold)
    assertEquals(0.1 * (-4 - 1), f(full, -4), 1e-15);
    assertEquals(0, ReferenceEltwise.derivative(full, 7, 0), 0);
    assertEquals(1, ReferenceEltwise.derivative(full, 3, 0), 0);
    assertEquals(0.1, ReferenceEltwise.derivative(full, -4, 0), 0);
    assertEquals(Double.POSITIVE_INFINITY, Activation.kerasRelu(0, null, 0).beta());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Activation.kerasRelu(0, 1.0, 2));
    assertEquals("eltwise: KERAS_RELU max_value (beta) must be >= threshold (gamma), got 1.0 and 2.0",
        e.getMessage());
  }

  @Test
  void erfIsAccurate() {
    assertEquals(0.8427007929497149, ReferenceEltwise.erf(1), 1e-15);
    assertEquals(-0.9953222650189527, ReferenceEltwise.erf(-2), 1e-15);
    assertEquals(0.9999779095030014, ReferenceEltwise.erf(3), 1e-15);
    assertEquals(1.0, ReferenceEltwise.erf(7), 0);
  }

  @Test
  void binaryStepPassesNoGradient() {
    Tensor src = Tensor.wrap(new double[] {-1, 0.5}, Shape.of(2));
    Tensor diff = Tensor.zeros(Shape.of(2), DType.FLOAT64);
    ReferenceEltwise.backward(Activation.of(Kind.BINARY_STEP), src, Tensor.wrap(new double[] {3, 4}, Shape.of(2)),
        diff);
    assertClose("zero gradient", Tensor.wrap(new double[] {0, 0}, Shape.of(2)), diff, 0);
  }

  @Test
  void invalidParametersAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Activation(Kind.RRELU, 0.5, 0.2));
    assertTrue(e.getMessage().startsWith("eltwise: rrelu bounds") && e.getMessage().contains("0.5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Activation(Kind.ISRU, -1, 0));
    assertTrue(e.getMessage().contains("alpha must be >= 0, got -1.0"), e.getMessage());
  }

  /** Every kind with non-default parameters, on inputs in [-4, 4) so every piece (±1, ±2, ±3) is hit. */
  @ParameterizedTest
  @EnumSource(Activation.Kind.class)
  void gradientMatchesFiniteDifferences(Activation.Kind kind) {
    Activation f = switch (kind) {
      case RRELU -> new Activation(kind, 0.1, 0.3);
      case RELU, ELU, ISRU, ISRLU -> new Activation(kind, 0.7, 0);
      case SWISH -> new Activation(kind, 1.3, 0);
      case KERAS_RELU -> Activation.kerasRelu(0.3, 2.5, 0.5);
      default -> Activation.of(kind);
    };
    SplittableRandom rng = new SplittableRandom(kind.ordinal());
    Tensor src = random(Shape.of(5, 8), rng);
    for (int i = 0; i < src.size(); i++) {
      src.set(i, 4 * src.get(i));
    }
    Tensor r = random(src.shape(), rng);
    Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceEltwise.backward(f, src, r, diffSrc);
    check(kind.name(), src, diffSrc, v -> {
      Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
      ReferenceEltwise.forward(f, src, dst);
      return dot(dst, r);
    }, 1e-7);
  }
}
