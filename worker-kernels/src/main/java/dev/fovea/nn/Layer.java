package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;

/**
 * One node of a network, composed from backend ops. A layer is an immutable description (a record
 * whose components are its hyperparameters); its parameters and buffers are views of the network's
 * flat vectors, handed in on every call. Most layers have one input and implement {@link
 * UnaryLayer}; merge layers ({@link Concat}, {@link Add}) take several.
 *
 * <p>Shapes here are of one sample, without the batch dimension; tensors carry the batch first.
 */
public interface Layer {

  /** The layer's name, unique in its network (used for parameter names and errors). */
  String name();

  /** A short type name for summaries: {@code conv2d}, {@code dense}, ... */
  String type();

  /**
   * The output shape of one sample for input samples of shapes {@code inputs}; throws an {@link
   * IllegalArgumentException} whose message starts with the layer's name and states the expected
   * and the actual shape when the inputs do not fit.
   */
  Shape outputShape(List<Shape> inputs);

  /** The trainable parameters this layer owns for these inputs, in the order of the views passed in. */
  List<ParamSpec> params(List<Shape> inputs);

  /**
   * Multiply-accumulates of one sample's forward pass for inputs of shapes {@code inputs}: counted
   * for convolutions, transposed convolutions and dense layers (one per weight use; biases, batch
   * norm, pooling and activations are not counted, as in the published figures), 0 for the rest.
   */
  default long macs(List<Shape> inputs) {
    return 0;
  }

  /**
   * The non-trained state this layer owns (batch norm's running statistics), in a second flat vector
   * that is averaged and saved like the parameters but never receives gradients.
   */
  default List<ParamSpec> buffers(List<Shape> inputs) {
    return List.of();
  }

  /**
   * Forward pass of a batch: returns {@code dst (N, out...)} for {@code srcs[i] (N, in_i...)}.
   *
   * @param params views of this layer's parameters, in the order of {@link #params}
   * @param ctx training flag, seed, buffer views and a slot for what backward needs
   */
  Tensor forward(Backend backend, Tensor[] srcs, Tensor[] params, LayerContext ctx);

  /**
   * Backward pass: returns one {@code diffSrc} per source (new tensors; entries may be null when
   * {@link LayerContext#needDiffSrc()} is false) and accumulates parameter gradients into {@code
   * diffParams}.
   *
   * @param srcs the sources of the matching forward call
   * @param dst the result of the matching forward call
   */
  Tensor[] backward(Backend backend, Tensor[] srcs, Tensor dst, Tensor diffDst, Tensor[] params, Tensor[] diffParams,
      LayerContext ctx);

  /**
   * The graph op this layer computes for a compiler ({@link dev.fovea.kernels.NetworkCompiler}) with
   * inputs of shapes {@code inputs}, or empty when it is none of the graph's ops: the compiled step
   * then runs the layer's own {@link #forward}/{@link #backward} on the host. A new layer lowers
   * itself here; {@link Network} never names layer types.
   *
   * @param inference whether a batch norm runs in inference mode inside a training step (frozen)
   */
  default java.util.Optional<dev.fovea.kernels.NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return java.util.Optional.empty();
  }

  /** One parameter or buffer a layer owns: its local name (e.g. {@code weights}), shape and initialiser. */
  record ParamSpec(String name, Shape shape, ParamInit init, int fanIn, int fanOut) {

    /** A parameter or buffer that starts at a constant (zeros or ones) and has no fan. */
    public static ParamSpec constant(String name, Shape shape, ParamInit init) {
      return new ParamSpec(name, shape, init, 1, 1);
    }
  }
}
