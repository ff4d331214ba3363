package dev.fovea.kernels;

/**
 * The closed set of ops a backend implements. Layers, blocks and networks are composed from these
 * ops in Java and are never added to a backend (STYLE.md 2).
 *
 * <p>Vocabulary, the same from this API down to native code: {@code src}, {@code weights}, {@code
 * bias}, {@code dst}, {@code diffSrc}, {@code diffWeights}, {@code diffBias}, {@code diffDst}. Every
 * backward method says whether it overwrites or accumulates into its outputs. Parameter gradients
 * accumulate, so a network zeroes them once per step; gradients of activations overwrite.
 *
 * <p>Tensors may be FLOAT32 or FLOAT64; a backend may support only FLOAT32 and says so by throwing
 * {@link UnsupportedOperationException}. The reference backend supports both and computes in double.
 *
 * <p>A backend instance is used by one thread at a time; create one per task.
 */
public interface Backend extends AutoCloseable {

  /** A short lower-case name: {@code reference}, {@code onednn}, {@code cuda}. */
  String name();

  /**
   * Convolution: {@code dst = conv(src, weights) + bias}. Shapes as in {@link ConvParams}: src
   * {@code (N, C, in...)}, weights {@code (OC, C / groups, k...)}, bias {@code (OC)} or null, dst
   * {@code (N, OC, out...)} (overwritten).
   */
  void convolutionForward(ConvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst);

  /**
   * Gradient of convolution with respect to its source: {@code diffSrc (N, C, in...)} is
   * overwritten from {@code diffDst (N, OC, out...)} and {@code weights (OC, C / groups, k...)}.
   */
  void convolutionBackwardData(ConvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc);

  /**
   * Gradient of convolution with respect to weights and bias: accumulates into {@code diffWeights
   * (OC, C / groups, k...)} and, when not null, {@code diffBias (OC)}.
   */
  void convolutionBackwardWeights(ConvParams p, Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias);

  /**
   * Pooling forward: {@code dst (N, C, out...)} is overwritten from {@code src (N, C, in...)}. Max
   * pooling takes the first maximum in row-major window order.
   */
  void poolingForward(PoolParams p, Tensor src, Tensor dst);

  /**
   * Pooling backward: {@code diffSrc (N, C, in...)} is overwritten. Max pooling routes each {@code
   * diffDst} element to the first maximum of its window in {@code src}.
   */
  void poolingBackward(PoolParams p, Tensor src, Tensor diffDst, Tensor diffSrc);

  /** Element-wise activation: {@code dst = f(src)}, any shape, overwritten; may be in place. */
  void eltwiseForward(Activation f, Tensor src, Tensor dst);

  /**
   * Gradient of an activation: {@code diffSrc = f'(src) * diffDst}, any shape, overwritten; may
   * be in place over {@code diffDst}.
   */
  void eltwiseBackward(Activation f, Tensor src, Tensor diffDst, Tensor diffSrc);

  /**
   * Fully connected: {@code dst (N, O) = src (N, K) · weightsᵀ + bias}, with weights {@code (O, K)}
   * (PyTorch's {@code Linear} layout) and bias {@code (O)} or null. dst is overwritten.
   */
  void innerProductForward(Tensor src, Tensor weights, Tensor bias, Tensor dst);

  /** {@code diffSrc (N, K) = diffDst (N, O) · weights (O, K)}, overwritten. */
  void innerProductBackwardData(Tensor diffDst, Tensor weights, Tensor diffSrc);

  /**
   * Accumulates {@code diffWeights (O, K) += diffDstᵀ · src} and, when not null, {@code diffBias
   * (O) += Σₙ diffDst}.
   */
  void innerProductBackwardWeights(Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias);

  /**
   * Softmax fused with cross-entropy against integer labels. Writes the probabilities {@code dst
   * (N, K)} from the logits {@code src (N, K)} and returns the summed (not averaged) loss {@code
   * -Σₙ log dst[n, labels[n]]}, computed stably for logits of any magnitude.
   */
  double softmaxCrossEntropyForward(Tensor src, int[] labels, Tensor dst);

  /**
   * Gradient of the loss returned by {@link #softmaxCrossEntropyForward}, multiplied by {@code
   * scale} (use 1/N for a mean loss): {@code diffSrc (N, K) = scale · (dst - onehot(labels))},
   * overwritten.
   */
  void softmaxCrossEntropyBackward(Tensor dst, int[] labels, double scale, Tensor diffSrc);

  /** Releases native resources; a heap backend has none. */
  @Override
  default void close() {}
}
