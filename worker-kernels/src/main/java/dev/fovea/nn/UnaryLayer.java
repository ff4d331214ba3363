package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;

/** A layer with exactly one input; the single-input methods are the ones to implement. */
public interface UnaryLayer extends Layer {

  /** Output shape of one sample for one input sample {@code input}; see {@link Layer#outputShape(List)}. */
  Shape outputShape(Shape input);

  /** Trainable parameters for one input sample {@code input}; none unless overridden. */
  default List<ParamSpec> params(Shape input) {
    return List.of();
  }

  /** Buffers for one input sample {@code input}; none unless overridden. */
  default List<ParamSpec> buffers(Shape input) {
    return List.of();
  }

  /** Multiply-accumulates of one sample for one input sample {@code input}; see {@link Layer#macs(List)}. */
  default long macs(Shape input) {
    return 0;
  }

  @Override
  default long macs(List<Shape> inputs) {
    return macs(single(inputs));
  }

  /** Forward pass: {@code dst (N, out...)} from {@code src (N, in...)}. */
  Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx);

  /**
   * Backward pass: returns {@code diffSrc} (a new tensor, or null when {@link
   * LayerContext#needDiffSrc()} is false) and accumulates into {@code diffParams}.
   */
  Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params, Tensor[] diffParams,
      LayerContext ctx);

  @Override
  default Shape outputShape(List<Shape> inputs) {
    return outputShape(single(inputs));
  }

  @Override
  default List<ParamSpec> params(List<Shape> inputs) {
    return params(single(inputs));
  }

  @Override
  default List<ParamSpec> buffers(List<Shape> inputs) {
    return buffers(single(inputs));
  }

  @Override
  default Tensor forward(Backend backend, Tensor[] srcs, Tensor[] params, LayerContext ctx) {
    return forward(backend, srcs[0], params, ctx);
  }

  @Override
  default Tensor[] backward(Backend backend, Tensor[] srcs, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    return new Tensor[] {backward(backend, srcs[0], dst, diffDst, params, diffParams, ctx)};
  }

  private Shape single(List<Shape> inputs) {
    if (inputs.size() != 1) {
      throw new IllegalArgumentException(name() + ": expects one input, got " + inputs.size());
    }
    return inputs.get(0);
  }

  /** {@code (N, out...)}: the batch dimension of {@code src} and this layer's sample output shape. */
  default Shape batchOutput(Tensor src) {
    return outputShape(src.shape().dropFirst()).prepend(src.shape().dim(0));
  }

  /** Rethrows a shape error from an op with this layer's name in front. */
  default IllegalArgumentException named(IllegalArgumentException e) {
    return new IllegalArgumentException(name() + ": " + e.getMessage(), e);
  }
}
