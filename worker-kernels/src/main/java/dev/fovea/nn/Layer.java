package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;

/**
 * One step of a network, composed from backend ops. A layer is an immutable description; its
 * parameters are views of the network's flat vector, handed in on every call.
 */
public interface Layer {

  /** The layer's name, unique in its network (used for parameter names and errors). */
  String name();

  /** A short type name for summaries and model files: {@code conv2d}, {@code dense}, ... */
  String type();

  /**
   * The output shape of one sample for an input sample of shape {@code input} (without the batch
   * dimension); throws with the layer's name when the input does not fit.
   */
  Shape outputShape(Shape input);

  /** The parameters this layer owns, for an input sample of shape {@code input}; may be empty. */
  List<ParamSpec> params(Shape input);

  /**
   * Forward pass of a batch: returns {@code dst (N, out...)} for {@code src (N, in...)}.
   *
   * @param params views of this layer's parameters, in the order of {@link #params}
   * @param training whether this is a training pass
   */
  Tensor forward(Backend backend, Tensor src, Tensor[] params, boolean training);

  /**
   * Backward pass: returns {@code diffSrc} (a new tensor, or null when {@code needDiffSrc} is false)
   * and accumulates parameter gradients into {@code diffParams}.
   *
   * @param src the source of the matching forward call
   * @param dst the result of the matching forward call
   */
  Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params, Tensor[] diffParams,
      boolean needDiffSrc);

  /** One parameter a layer owns: its local name (e.g. {@code weights}), shape and initialiser. */
  record ParamSpec(String name, Shape shape, Initializer init, int fanIn, int fanOut) {}
}
