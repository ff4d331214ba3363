package dev.fovea.kernels;

/**
 * An element-wise activation: a kind and its parameters. The formulas live in the reference
 * backend ({@code ReferenceEltwise}), which is their specification.
 *
 * @param kind the function
 * @param alpha first parameter (for {@link Kind#RELU}: the slope for negative inputs, 0 for plain
 *     ReLU)
 * @param beta second parameter (unused by the kinds that do not name it)
 */
public record Activation(Kind kind, double alpha, double beta) {

  /** The element-wise functions every backend implements. */
  public enum Kind {
    /** {@code y = x}. */
    IDENTITY,
    /** {@code y = x > 0 ? x : alpha * x}. */
    RELU
  }

  public static final Activation IDENTITY = new Activation(Kind.IDENTITY, 0, 0);
  public static final Activation RELU = new Activation(Kind.RELU, 0, 0);
}
