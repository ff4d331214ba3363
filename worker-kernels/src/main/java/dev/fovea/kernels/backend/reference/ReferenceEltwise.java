package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Tensor;

/**
 * Element-wise activations: the formula of each {@link Activation.Kind} (repeated on the constant)
 * and its derivative {@code f'(x)}. Where a function has a kink, the derivative at the kink is the
 * one of the left piece for ReLU-like functions ({@code f'(0) = alpha} for RELU, as PyTorch), and
 * the documented piece otherwise; finite differences never land on a kink in the tests.
 *
 * <ul>
 *   <li>SIGMOID σ: {@code f' = σ(1 - σ)}; TANH: {@code 1 - tanh²}; ATAN: {@code 1 / (1 + x²)}.
 *   <li>ELU: {@code x > 0 ? 1 : alpha·eˣ}; SELU: λ times that with α fixed.
 *   <li>GELU_ERF: {@code Φ(x) + x·φ(x)}; GELU_TANH: {@code (1 + t)/2 + x/2·(1 - t²)·√(2/π)·(1 +
 *       3·0.044715·x²)} with t the tanh term.
 *   <li>SWISH: {@code s + alpha·x·s·(1 - s)} with {@code s = σ(alpha·x)}; MISH: {@code t + x·(1 -
 *       t²)·σ(x)} with {@code t = tanh(softplus(x))}; SOFTPLUS: {@code σ(x)}; SOFTSIGN: {@code 1 /
 *       (1 + |x|)²}.
 *   <li>HARD_SIGMOID: 1/6 on (-3, 3), else 0; HARD_TANH: 1 on (-1, 1), else 0; HARD_SWISH: 0
 *       below -3, 1 above 3, {@code (2x + 3) / 6} between; RELU6: 1 on (0, 6), else 0.
 *   <li>ISRU: {@code (1 + alpha·x²)^(-3/2)}; ISRLU: that for x &lt; 0, 1 otherwise.
 *   <li>SQNL: {@code 1 - x/2} on [0, 2], {@code 1 + x/2} on [-2, 0), 0 outside.
 *   <li>BIPOLAR_RELU: even channels (index along axis 1) {@code x > 0 ? 1 : 0}, odd channels {@code x
 *       < 0 ? 1 : 0}.
 *   <li>PFLU: {@code (1 + (x³ + 2x) / (1 + x²)^(3/2)) / 2}; FPFLU: 1 for x ≥ 0, {@code 1 + (x³ + 2x)
 *       / (1 + x²)^(3/2)} below.
 *   <li>KERAS_RELU: 0 at and above the maximum beta, 1 on [gamma, beta), alpha below gamma.
 *   <li>BINARY_STEP: 0 everywhere (by definition; nothing below it learns).
 * </ul>
 */
final class ReferenceEltwise {
  private ReferenceEltwise() {}

  private static final double SELU_LAMBDA = 1.0507009873554805;
  private static final double SELU_ALPHA = 1.6732632423543772;
  private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
  private static final double GELU_C = 0.044715;

  /** f(x) for an element of channel {@code index} (only BIPOLAR_RELU reads it; see {@link Channels}). */
  static double value(Activation f, double x, int index) {
    double a = f.alpha();
    return switch (f.kind()) {
      case IDENTITY -> x;
      case RELU -> x > 0 ? x : a * x;
      case SIGMOID -> sigmoid(x);
      case TANH -> Math.tanh(x);
      case ATAN -> Math.atan(x);
      case RRELU -> x >= 0 ? x : (a + f.beta()) / 2 * x;
      case ELU -> x > 0 ? x : a * Math.expm1(x);
      case SELU -> SELU_LAMBDA * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
      case GELU_ERF -> x * phiCdf(x);
      case GELU_TANH -> 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x)));
      case SWISH -> x * sigmoid(a * x);
      case MISH -> x * Math.tanh(softplus(x));
      case SOFTPLUS -> softplus(x);
      case SOFTSIGN -> x / (1 + Math.abs(x));
      case HARD_SIGMOID -> clamp(x + 3, 0, 6) / 6;
      case HARD_TANH -> clamp(x, -1, 1);
      case HARD_SWISH -> x * clamp(x + 3, 0, 6) / 6;
      case RELU6 -> clamp(x, 0, 6);
      case ISRU -> x / Math.sqrt(1 + a * x * x);
      case ISRLU -> x >= 0 ? x : x / Math.sqrt(1 + a * x * x);
      case SQNL -> x > 2 ? 1 : x >= 0 ? x - x * x / 4 : x >= -2 ? x + x * x / 4 : -1;
      case BIPOLAR_RELU -> (index & 1) == 0 ? Math.max(x, 0) : Math.min(x, 0);
      case BINARY_STEP -> x >= 0 ? 1 : 0;
      case PFLU -> x * (1 + x / Math.sqrt(1 + x * x)) / 2;
      case FPFLU -> x >= 0 ? x : x + x * x / Math.sqrt(1 + x * x);
      case KERAS_RELU -> x >= f.beta() ? f.beta() : x >= f.gamma() ? x : a * (x - f.gamma());
    };
  }

  /** f'(x) for an element of channel {@code index}. */
  static double derivative(Activation f, double x, int index) {
    double a = f.alpha();
    return switch (f.kind()) {
      case IDENTITY -> 1;
      case RELU -> x > 0 ? 1 : a;
      case SIGMOID -> {
        double s = sigmoid(x);
        yield s * (1 - s);
      }
      case TANH -> {
        double t = Math.tanh(x);
        yield 1 - t * t;
      }
      case ATAN -> 1 / (1 + x * x);
      case RRELU -> x >= 0 ? 1 : (a + f.beta()) / 2;
      case ELU -> x > 0 ? 1 : a * Math.exp(x);
      case SELU -> SELU_LAMBDA * (x > 0 ? 1 : SELU_ALPHA * Math.exp(x));
      case GELU_ERF -> phiCdf(x) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      case GELU_TANH -> {
        double t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x));
        yield 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * x * x);
      }
      case SWISH -> {
        double s = sigmoid(a * x);
        yield s + a * x * s * (1 - s);
      }
      case MISH -> {
        double t = Math.tanh(softplus(x));
        yield t + x * (1 - t * t) * sigmoid(x);
      }
      case SOFTPLUS -> sigmoid(x);
      case SOFTSIGN -> {
        double d = 1 + Math.abs(x);
        yield 1 / (d * d);
      }
      case HARD_SIGMOID -> x > -3 && x < 3 ? 1.0 / 6 : 0;
      case HARD_TANH -> x > -1 && x < 1 ? 1 : 0;
      case HARD_SWISH -> x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6;
      case RELU6 -> x > 0 && x < 6 ? 1 : 0;
      case ISRU -> Math.pow(1 + a * x * x, -1.5);
      case ISRLU -> x >= 0 ? 1 : Math.pow(1 + a * x * x, -1.5);
      case SQNL -> x > 2 || x < -2 ? 0 : x >= 0 ? 1 - x / 2 : 1 + x / 2;
      case BIPOLAR_RELU -> (index & 1) == 0 ? (x > 0 ? 1 : 0) : (x < 0 ? 1 : 0);
      case BINARY_STEP -> 0;
      case PFLU -> (1 + pfluSlope(x)) / 2;
      case FPFLU -> x >= 0 ? 1 : 1 + pfluSlope(x);
      case KERAS_RELU -> x >= f.beta() ? 0 : x >= f.gamma() ? 1 : a;
    };
  }

  /** The logistic function, without overflow for any x. */
  /** The derivative of {@code x² / sqrt(1 + x²)}: {@code (x³ + 2x) / (1 + x²)^(3/2)}. */
  private static double pfluSlope(double x) {
    double s = Math.sqrt(1 + x * x);
    return (x * x * x + 2 * x) / (s * s * s);
  }

  /**
   * The index along axis 1 of each element of a row-major tensor of {@code shape} as {@code (i /
   * inner) % channels}: the channel of {@code (N, C, ...)}, the unit of {@code (N, K)}; on a rank-1
   * tensor the element index itself ({@code inner = 1}, {@code channels} = its size).
   */
  private record Channels(int inner, int channels) {
    static Channels of(dev.fovea.kernels.Shape shape) {
      if (shape.rank() < 2) {
        return new Channels(1, Math.max(shape.size(), 1));
      }
      int inner = 1;
      for (int a = 2; a < shape.rank(); a++) {
        inner *= shape.dim(a);
      }
      return new Channels(Math.max(inner, 1), shape.dim(1));
    }

    int of(int i) {
      return (i / inner) % channels;
    }
  }

  static double sigmoid(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }

  /** {@code log(1 + exp(x))} without overflow. */
  static double softplus(double x) {
    return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  private static double clamp(double x, double lo, double hi) {
    return Math.min(Math.max(x, lo), hi);
  }

  /** The standard normal CDF {@code Φ(x) = (1 + erf(x / √2)) / 2}. */
  static double phiCdf(double x) {
    return 0.5 * (1 + erf(x / Math.sqrt(2)));
  }

  /**
   * The error function to double precision: {@code erf(x) = 2/√π · e^(-x²) · Σₙ 2ⁿ x^(2n+1) / (1 ·
   * 3 ⋯ (2n+1))}, a series of positive terms (no cancellation); {@code |erf(x)| = 1} to double
   * precision beyond |x| = 6.
   */
  static double erf(double x) {
    double ax = Math.abs(x);
    if (ax > 6) {
      return Math.signum(x);
    }
    double term = ax;
    double sum = ax;
    for (int n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= 2 * ax * ax / (2 * n + 1);
      sum += term;
    }
    double r = 2 / Math.sqrt(Math.PI) * Math.exp(-ax * ax) * sum;
    return x < 0 ? -r : r;
  }

  static void forward(Activation f, Tensor src, Tensor dst) {
    check(src, dst);
    int n = src.size();
    Channels ch = Channels.of(src.shape());
    for (int i = 0; i < n; i++) {
      dst.set(i, value(f, src.get(i), ch.of(i)));
    }
  }

  static void backward(Activation f, Tensor src, Tensor diffDst, Tensor diffSrc) {
    check(src, diffDst);
    check(src, diffSrc);
    int n = src.size();
    Channels ch = Channels.of(src.shape());
    for (int i = 0; i < n; i++) {
      diffSrc.set(i, derivative(f, src.get(i), ch.of(i)) * diffDst.get(i));
    }
  }

  private static void check(Tensor a, Tensor b) {
    if (a.size() != b.size()) {
      throw new IllegalArgumentException("eltwise: tensors " + a.shape() + " and " + b.shape() + " differ in size");
    }
  }
}
