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

  // Ops added for the complete CNN toolbox (issue 3). Existing signatures above are unchanged.

  /**
   * Transposed convolution, the adjoint of convolution ({@link DeconvParams}): {@code dst (N, OC,
   * out...) = convᵀ(src (N, C, in...), weights (C, OC / groups, k...)) + bias (OC)}; bias may be
   * null; dst is overwritten. Output size as PyTorch's {@code ConvTranspose2d}.
   */
  void deconvolutionForward(DeconvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst);

  /**
   * Gradient of transposed convolution in its source: {@code diffSrc (N, C, in...)} is overwritten
   * from {@code diffDst (N, OC, out...)} and {@code weights (C, OC / groups, k...)}; this is the
   * forward convolution of diffDst.
   */
  void deconvolutionBackwardData(DeconvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc);

  /**
   * Gradient of transposed convolution in weights and bias: accumulates into {@code diffWeights (C,
   * OC / groups, k...)} and, when not null, {@code diffBias (OC)}, from {@code src (N, C, in...)}
   * and {@code diffDst (N, OC, out...)}.
   */
  void deconvolutionBackwardWeights(DeconvParams p, Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias);

  /**
   * Max pooling that also returns where each maximum came from: {@code dst (N, C, out...)} and
   * {@code indices} (one per dst element, the row-major index of the first maximum within its
   * {@code (n, c)} plane of {@code src (N, C, in...)}, PyTorch's {@code return_indices=True}) are
   * overwritten. Backward is {@link #poolingBackward}; the indices feed {@link
   * #maxUnpoolingForward}. Throws for a kind other than MAX.
   */
  void poolingForwardWithIndices(PoolParams p, Tensor src, Tensor dst, int[] indices);

  /**
   * Max-unpooling (PyTorch's {@code MaxUnpool1d/2d/3d}): {@code dst (N, C, in...)} is overwritten with
   * zeros and {@code src (N, C, out...)} placed at {@code indices} from {@link
   * #poolingForwardWithIndices}. {@link PoolParams#unpoolShape} gives PyTorch's default dst
   * shape.
   */
  void maxUnpoolingForward(Tensor src, int[] indices, Tensor dst);

  /**
   * Gradient of max-unpooling: {@code diffSrc (N, C, out...)} is overwritten by gathering {@code
   * diffDst (N, C, in...)} at {@code indices}.
   */
  void maxUnpoolingBackward(int[] indices, Tensor diffDst, Tensor diffSrc);

  /**
   * Adaptive max or average pooling (PyTorch's {@code AdaptiveAvgPool2d} / {@code
   * AdaptiveMaxPool2d}, 1 to 3 spatial axes): {@code dst (N, C, out...)} is overwritten from {@code
   * src (N, C, in...)}, output cell {@code i} of an axis pooling source cells {@code [floor(i · in /
   * out), ceil((i + 1) · in / out))}; the output size is dst's shape. Max takes the first maximum.
   */
  void adaptivePoolingForward(PoolParams.Kind kind, Tensor src, Tensor dst);

  /**
   * Gradient of adaptive pooling: {@code diffSrc (N, C, in...)} is overwritten from {@code diffDst
   * (N, C, out...)} and the forward source {@code src}.
   */
  void adaptivePoolingBackward(PoolParams.Kind kind, Tensor src, Tensor diffDst, Tensor diffSrc);

  /**
   * Nearest or bilinear 2D resampling ({@link ResamplingParams}): {@code dst (N, C, H', W')} is
   * overwritten from {@code src (N, C, H, W)}; the output size is dst's shape.
   */
  void resamplingForward(ResamplingParams p, Tensor src, Tensor dst);

  /**
   * Gradient of resampling: {@code diffSrc (N, C, H, W)} is overwritten from {@code diffDst (N, C,
   * H', W')}.
   */
  void resamplingBackward(ResamplingParams p, Tensor diffDst, Tensor diffSrc);

  /**
   * Inverted dropout ({@link DropoutParams}), seeded: in training the keep/scale factors are drawn
   * from {@code new SplittableRandom(seed)} (one {@code nextDouble()} per element, or per {@code (n,
   * c)} channel when spatial, in row-major order; kept when the draw is ≥ rate) and written to
   * {@code mask}; {@code dst = mask · src}. At evaluation {@code mask = 1} and {@code dst = src}.
   * {@code src (N, C, ...)}, mask and dst of its shape, overwritten.
   */
  void dropoutForward(DropoutParams p, boolean training, long seed, Tensor src, Tensor mask, Tensor dst);

  /**
   * Gradient of dropout: {@code diffSrc = mask · diffDst}, any shape, overwritten; may be in place.
   */
  void dropoutBackward(Tensor mask, Tensor diffDst, Tensor diffSrc);

  /**
   * Batch normalisation per channel of {@code src (N, C, ...)} ({@link BatchNormParams}). Training
   * uses the batch statistics and updates {@code runningMean (C)} and {@code runningVariance (C)} in
   * place; evaluation uses the running statistics and leaves them unchanged. Either way the mean and
   * {@code 1 / sqrt(var + epsilon)} used are written to {@code saveMean (C)} and {@code saveInvStd
   * (C)} for the backward pass, and {@code dst} (src's shape) is overwritten. {@code gamma (C)} and
   * {@code beta (C)} may be null (1 and 0).
   */
  void batchNormalizationForward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, Tensor saveMean, Tensor saveInvStd, Tensor dst);

  /**
   * Gradient of batch normalisation, with the statistics its forward call saved and the same
   * {@code training} flag: {@code diffSrc (N, C, ...)} is overwritten; {@code diffGamma (C)} and
   * {@code diffBeta (C)} accumulate (each may be null).
   */
  void batchNormalizationBackward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor diffDst, Tensor diffSrc, Tensor diffGamma, Tensor diffBeta);

  /**
   * Local response normalisation across channels ({@link LrnParams}, PyTorch's {@code
   * LocalResponseNorm}): {@code dst (N, C, ...)} is overwritten from {@code src (N, C, ...)}.
   */
  void lrnForward(LrnParams p, Tensor src, Tensor dst);

  /**
   * Gradient of local response normalisation: {@code diffSrc (N, C, ...)} is overwritten.
   */
  void lrnBackward(LrnParams p, Tensor src, Tensor diffDst, Tensor diffSrc);

  /**
   * Concatenation along {@code axis} (1 for channels: {@code (N, C₁, H, W), (N, C₂, H, W) → (N, C₁
   * + C₂, H, W)}); dst is overwritten.
   */
  void concatForward(int axis, Tensor[] srcs, Tensor dst);

  /**
   * Gradient of concatenation: splits {@code diffDst} along {@code axis} into {@code diffSrcs}, each
   * overwritten.
   */
  void concatBackward(int axis, Tensor diffDst, Tensor[] diffSrcs);

  /**
   * Element-wise weighted sum {@code dst = Σᵢ scales[i] · srcs[i]} of tensors of one shape (ResNet's
   * shortcut: scales {1, 1}); dst is overwritten and may be one of the sources. The gradient {@code
   * diffSrcs[i] = scales[i] · diffDst} is this op with one source.
   */
  void sumForward(double[] scales, Tensor[] srcs, Tensor dst);

  /**
   * Zero padding of the spatial axes: {@code dst (N, C, in + padBegin + padEnd...)} is overwritten
   * with {@code src (N, C, in...)} at offset padBegin and zeros around it.
   */
  void paddingForward(int[] padBegin, int[] padEnd, Tensor src, Tensor dst);

  /**
   * Gradient of zero padding: {@code diffSrc (N, C, in...)} is overwritten with the interior of
   * {@code diffDst (N, C, in + padBegin + padEnd...)}.
   */
  void paddingBackward(int[] padBegin, int[] padEnd, Tensor diffDst, Tensor diffSrc);

  /**
   * Parametric ReLU: {@code dst = src > 0 ? src : slope · src} for {@code src (N, C, ...)} with a
   * {@code slope} of shape {@code (1)} (shared), {@code (C)} (per channel) or src's shape (per
   * element); dst is overwritten.
   */
  void preluForward(Tensor src, Tensor slope, Tensor dst);

  /**
   * Gradient of parametric ReLU: {@code diffSrc} (src's shape) is overwritten; {@code diffSlope}
   * (slope's shape, may be null) accumulates {@code Σ diffDst · src} over the elements at or below
   * zero that use each slope. Also the backward pass of {@link #rreluForward}, with its slope.
   */
  void preluBackward(Tensor src, Tensor slope, Tensor diffDst, Tensor diffSrc, Tensor diffSlope);

  /**
   * Randomised leaky ReLU in training: draws a slope in {@code [lower, upper)} per element from
   * {@code new SplittableRandom(seed)} (one {@code nextDouble()} per element, row-major), writes it
   * to {@code slope} (src's shape) and applies {@code dst = src ≥ 0 ? src : slope · src}; both
   * overwritten. Backward: {@link #preluBackward} with that slope. At evaluation use the
   * element-wise kind {@code RRELU} (slope {@code (lower + upper) / 2}).
   */
  void rreluForward(double lower, double upper, long seed, Tensor src, Tensor slope, Tensor dst);

  /**
   * Softmax ({@code log = false}) or log-softmax ({@code log = true}) over each sample of {@code
   * src (N, K)}, stable for logits of any size; dst is overwritten.
   */
  void softmaxForward(boolean log, Tensor src, Tensor dst);

  /**
   * Gradient of softmax or log-softmax from its output {@code dst (N, K)}: {@code diffSrc (N, K)}
   * is overwritten.
   */
  void softmaxBackward(boolean log, Tensor dst, Tensor diffDst, Tensor diffSrc);

  /**
   * Softmax cross-entropy with label smoothing ε in [0, 1]: targets {@code (1 - ε) · onehot + ε / K};
   * writes the probabilities {@code dst (N, K)} and returns the summed loss. ε = 0 is {@link
   * #softmaxCrossEntropyForward(Tensor, int[], Tensor)}.
   */
  double softmaxCrossEntropyForward(Tensor src, int[] labels, double labelSmoothing, Tensor dst);

  /**
   * Gradient of the smoothed loss times {@code scale}: {@code diffSrc (N, K) = scale · (dst -
   * targets)}, overwritten.
   */
  void softmaxCrossEntropyBackward(Tensor dst, int[] labels, double labelSmoothing, double scale, Tensor diffSrc);

  /**
   * Sigmoid fused with binary cross-entropy (multi-label): writes {@code dst = σ(src)} (src's shape,
   * e.g. {@code (N, K)}) and returns the summed loss {@code Σ max(x, 0) - x·t + log(1 + e^-|x|)}
   * against {@code targets} in [0, 1] of the same shape.
   */
  double sigmoidCrossEntropyForward(Tensor src, Tensor targets, Tensor dst);

  /**
   * Gradient of the sigmoid cross-entropy times {@code scale}: {@code diffSrc = scale · (dst -
   * targets)}, overwritten.
   */
  void sigmoidCrossEntropyBackward(Tensor dst, Tensor targets, double scale, Tensor diffSrc);

  /**
   * Squared error {@code Σ (src - target)²} over tensors of one shape, summed (divide by the size
   * for the mean squared error).
   */
  double squaredErrorForward(Tensor src, Tensor target);

  /**
   * Gradient of the squared error times {@code scale}: {@code diffSrc = scale · 2 · (src -
   * target)}, overwritten.
   */
  void squaredErrorBackward(Tensor src, Tensor target, double scale, Tensor diffSrc);

  /**
   * Absolute error {@code Σ |src - target|} over tensors of one shape, summed (divide by the size
   * for the mean absolute error, the L1 loss).
   */
  double absoluteErrorForward(Tensor src, Tensor target);

  /**
   * Gradient of the absolute error times {@code scale}: {@code diffSrc = scale · sign(src -
   * target)} (0 where they are equal), overwritten.
   */
  void absoluteErrorBackward(Tensor src, Tensor target, double scale, Tensor diffSrc);

  /**
   * Negative log-likelihood {@code -Σₙ src[n, labels[n]]} of log-probabilities {@code src (N, K)}
   * (the output of log-softmax), summed.
   */
  double nllForward(Tensor src, int[] labels);

  /**
   * Gradient of the negative log-likelihood times {@code scale}: {@code diffSrc (N, K)} is
   * overwritten with {@code -scale} at each label and 0 elsewhere.
   */
  void nllBackward(int[] labels, double scale, Tensor diffSrc);

  /** Releases native resources; a heap backend has none. */
  @Override
  default void close() {}

  /**
   * Throws unless {@code labels} has one class index in {@code [0, k)} per row of {@code n}; the
   * message starts with {@code op} and names the first bad label and its row. Every backend's
   * label-taking ops (and compiled steps' losses) check with this.
   */
  static void checkLabels(String op, int[] labels, int n, int k) {
    if (labels.length != n) {
      throw new IllegalArgumentException(op + ": " + labels.length + " labels for " + n + " rows");
    }
    for (int r = 0; r < n; r++) {
      if (labels[r] < 0 || labels[r] >= k) {
        throw new IllegalArgumentException(op + ": label " + labels[r] + " of row " + r + " not in [0, " + k + ")");
      }
    }
  }
}
