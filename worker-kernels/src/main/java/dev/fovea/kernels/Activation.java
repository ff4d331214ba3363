package dev.fovea.kernels;

/**
 * An element-wise activation: a kind and its parameters. The formulas and derivatives live in the
 * reference backend ({@code ReferenceEltwise}), which is their specification; each constant below
 * repeats its formula. Use {@link #of(Kind)} for a kind with its documented default parameters.
 *
 * <p>Activations with a learned parameter (parametric ReLU) or with randomness in training
 * (randomised leaky ReLU) have their own ops, {@link Backend#preluForward} and {@link
 * Backend#rreluForward}; {@link Kind#RRELU} here is its evaluation form.
 *
 * @param kind the function
 * @param alpha first parameter (for {@link Kind#RELU}: the slope for negative inputs, 0 for plain
 *     ReLU)
 * @param beta second parameter (unused by the kinds that do not name it)
 * @param gamma third parameter ({@link Kind#KERAS_RELU}'s threshold; unused by the other kinds)
 */
public record Activation(Kind kind, double alpha, double beta, double gamma) {

  /** The element-wise functions every backend implements. IDENTITY and RELU stay first. */
  public enum Kind {
    /** {@code y = x}. */
    IDENTITY,
    /** {@code y = x > 0 ? x : alpha · x}; with alpha ≠ 0 this is leaky ReLU (Keras default 0.3, PyTorch 0.01). */
    RELU,
    /** {@code y = 1 / (1 + exp(-x))}. */
    SIGMOID,
    /** {@code y = tanh(x)}. */
    TANH,
    /** {@code y = atan(x)}. */
    ATAN,
    /**
     * Randomised leaky ReLU at evaluation: {@code y = x ≥ 0 ? x : (alpha + beta) / 2 · x} with
     * alpha the lower and beta the upper bound of the training slope (PyTorch defaults 1/8, 1/3).
     */
    RRELU,
    /** {@code y = x > 0 ? x : alpha · (exp(x) - 1)}, alpha default 1. */
    ELU,
    /**
     * {@code y = λ · (x > 0 ? x : α · (exp(x) - 1))} with λ = 1.0507009873554805 and α =
     * 1.6732632423543772 (Klambauer et al. 2017).
     */
    SELU,
    /** {@code y = x · Φ(x) = x / 2 · (1 + erf(x / √2))} (PyTorch {@code approximate='none'}). */
    GELU_ERF,
    /** {@code y = x / 2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))} (PyTorch {@code approximate='tanh'}). */
    GELU_TANH,
    /** {@code y = x · sigmoid(alpha · x)}, alpha (β in the paper) default 1, where it is SiLU. */
    SWISH,
    /** {@code y = x · tanh(softplus(x))}. */
    MISH,
    /** {@code y = log(1 + exp(x))}, computed without overflow. */
    SOFTPLUS,
    /** {@code y = x / (1 + |x|)}. */
    SOFTSIGN,
    /** {@code y = min(max(x + 3, 0), 6) / 6} (PyTorch and Keras 3). */
    HARD_SIGMOID,
    /** {@code y = min(max(x, -1), 1)}. */
    HARD_TANH,
    /** {@code y = x · min(max(x + 3, 0), 6) / 6}. */
    HARD_SWISH,
    /** {@code y = min(max(x, 0), 6)}. */
    RELU6,
    /** Inverse square root unit: {@code y = x / sqrt(1 + alpha · x²)}, alpha default 1. */
    ISRU,
    /** Inverse square root linear unit: {@code y = x ≥ 0 ? x : x / sqrt(1 + alpha · x²)}, alpha default 1. */
    ISRLU,
    /**
     * Square nonlinearity: {@code y = 1} for x &gt; 2, {@code x - x²/4} on [0, 2], {@code x + x²/4}
     * on [-2, 0), {@code -1} for x &lt; -2.
     */
    SQNL,
    /**
     * Bipolar ReLU (Eidnes and Nøkland 2017), per unit: on a tensor {@code (N, C, ...)} every element
     * of channel c is {@code relu(x)} when c is even and {@code -relu(-x) = min(x, 0)} when c is odd,
     * so a convolutional layer's feature maps alternate and a dense layer's {@code (N, K)} units
     * alternate (the paper's convention); on a rank-1 tensor the element index decides.
     */
    BIPOLAR_RELU,
    /**
     * {@code y = x ≥ 0 ? 1 : 0}. Its derivative is zero everywhere by definition (undefined at 0),
     * so nothing below a binary step receives a gradient and cannot learn.
     */
    BINARY_STEP,
    /**
     * Power function linear unit (Zhu et al., "PFLU and FPFLU: Two novel non-monotonic activation
     * functions in convolutional neural networks", Neurocomputing 2021): {@code y = x · (1 + x /
     * sqrt(1 + x²)) / 2}.
     */
    PFLU,
    /**
     * Faster PFLU (same paper): {@code y = x} for x ≥ 0 and {@code y = x + x² / sqrt(1 + x²)} for x
     * &lt; 0 (twice PFLU's negative part, so that the two pieces meet with slope 1 at 0).
     */
    FPFLU,
    /**
     * Keras's {@code relu(x, negative_slope=alpha, max_value=beta, threshold=gamma)} in full: {@code y
     * = beta} for x ≥ beta, {@code x} for gamma ≤ x &lt; beta, {@code alpha · (x - gamma)} below
     * gamma. No maximum is {@code beta = +∞} ({@link #kerasRelu}); {@link #of} gives plain ReLU.
     */
    KERAS_RELU
  }

  public static final Activation IDENTITY = new Activation(Kind.IDENTITY, 0, 0);
  public static final Activation RELU = new Activation(Kind.RELU, 0, 0);

  /** The kind with two parameters and {@code gamma = 0}. */
  public Activation(Kind kind, double alpha, double beta) {
    this(kind, alpha, beta, 0);
  }

  public Activation {
    if (kind == null) {
      throw new IllegalArgumentException("eltwise: kind must not be null");
    }
    if (kind == Kind.RRELU && !(alpha >= 0 && alpha <= beta && beta < 1)) {
      throw new IllegalArgumentException("eltwise: rrelu bounds must satisfy 0 <= lower <= upper < 1, got lower "
          + alpha + ", upper " + beta);
    }
    if ((kind == Kind.ISRU || kind == Kind.ISRLU) && !(alpha >= 0)) {
      throw new IllegalArgumentException("eltwise: " + kind + " alpha must be >= 0, got " + alpha);
    }
    if (kind == Kind.KERAS_RELU && !(beta >= gamma)) {
      throw new IllegalArgumentException("eltwise: KERAS_RELU max_value (beta) must be >= threshold (gamma), got "
          + beta + " and " + gamma);
    }
  }

  /**
   * The kind with its default parameters: ELU, ISRU, ISRLU and SWISH alpha 1; RRELU bounds 1/8 and
   * 1/3; KERAS_RELU Keras's defaults (slope 0, no maximum, threshold 0); every other kind alpha =
   * beta = gamma = 0 (plain ReLU for RELU).
   */
  public static Activation of(Kind kind) {
    return switch (kind) {
      case ELU, ISRU, ISRLU, SWISH -> new Activation(kind, 1, 0);
      case RRELU -> new Activation(kind, 1.0 / 8, 1.0 / 3);
      case KERAS_RELU -> new Activation(kind, 0, Double.POSITIVE_INFINITY, 0);
      default -> new Activation(kind, 0, 0);
    };
  }

  /**
   * Keras's {@code relu(x, negative_slope, max_value, threshold)}; {@code maxValue} null is Keras's
   * {@code None} (no maximum).
   */
  public static Activation kerasRelu(double negativeSlope, Double maxValue, double threshold) {
    return new Activation(Kind.KERAS_RELU, negativeSlope, maxValue == null ? Double.POSITIVE_INFINITY : maxValue,
        threshold);
  }

  /** Leaky ReLU with the given slope for negative inputs. */
  public static Activation leakyRelu(double slope) {
    return new Activation(Kind.RELU, slope, 0);
  }
}
