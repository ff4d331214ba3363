package dev.fovea.kernels;

import java.util.List;

/**
 * A network as a {@link NetworkCompiler} sees it: nodes in evaluation order, each an op of this
 * package's vocabulary ({@link Op}) or a {@link HostOp}, with the slices of the flat parameter and
 * buffer vectors it owns. Built by {@code dev.fovea.nn.Network} for one mode; shapes are of one
 * sample, without the batch dimension.
 *
 * @param inputShape one input sample {@code (C, H, W)}
 * @param nodes in evaluation order; a node reads only the input or nodes before it
 * @param heads the nodes whose logits enter the loss, main output first (evaluation: the main
 *     output only)
 * @param headWeights the weight of each head's loss (1 for the main output)
 * @param loss the loss every head is trained with
 */
public record NetworkGraph(Shape inputShape, List<Node> nodes, int[] heads, double[] headWeights, LossKind loss) {

  public NetworkGraph {
    nodes = List.copyOf(nodes);
    heads = heads.clone();
    headWeights = headWeights.clone();
    java.util.Objects.requireNonNull(loss, "loss");
  }

  /** A graph trained with softmax cross-entropy over class labels. */
  public NetworkGraph(Shape inputShape, List<Node> nodes, int[] heads, double[] headWeights) {
    this(inputShape, nodes, heads, headWeights, LossKind.SOFTMAX_CROSS_ENTROPY);
  }

  /**
   * The losses a compiled step computes ({@code dev.fovea.nn.Loss}'s, per-pixel cross-entropy
   * excepted): softmax cross-entropy reads class labels, the others a target tensor of the head's
   * shape ({@code dev.fovea.kernels.compile.TargetLoss} has their formula).
   */
  public enum LossKind {
    SOFTMAX_CROSS_ENTROPY, SIGMOID_BCE, MSE, L1;

    /** Whether the loss reads class labels rather than a target tensor. */
    public boolean readsLabels() {
      return this == SOFTMAX_CROSS_ENTROPY;
    }
  }

  /** A slice of a flat vector: where it starts and its shape. */
  public record Slice(int offset, Shape shape) {}

  /**
   * One node.
   *
   * @param name the layer's name, for errors and descriptions
   * @param op what it computes
   * @param inputs the nodes it reads, -1 for the network input
   * @param outputShape one output sample
   * @param params its parameter slices, in the order its op documents
   * @param buffers its buffer slices (batch norm: running mean, running variance)
   * @param run whether the step computes it at all (it leads to a head)
   * @param trainable whether it or a node before it has parameters: backward reaches it
   */
  public record Node(String name, Op op, int[] inputs, Shape outputShape, List<Slice> params, List<Slice> buffers,
      boolean run, boolean trainable) {
    public Node {
      inputs = inputs.clone();
      params = List.copyOf(params);
      buffers = List.copyOf(buffers);
    }
  }

  /** The ops a graph node can be. */
  public sealed interface Op {}

  /** Convolution; params: weights {@code (OC, C / groups, k...)}[, bias {@code (OC)}]. */
  public record Convolution(ConvParams p, boolean bias) implements Op {}

  /**
   * Batch normalisation; params: [gamma (C) when {@code scale}][, beta (C) when {@code center}];
   * buffers: running mean, running variance. With {@code inference} it normalises with the running
   * statistics and leaves them unchanged even in a training step (a frozen batch norm when
   * fine-tuning), its backward pass then that of the affine map.
   */
  public record BatchNormalization(BatchNormParams p, boolean scale, boolean center, boolean inference)
      implements Op {}

  /** An element-wise activation. */
  public record Eltwise(Activation f) implements Op {}

  /** Max or average pooling. */
  public record Pooling(PoolParams p) implements Op {}

  /** Pooling over every spatial axis: {@code (C, in...) -> (C)}. */
  public record GlobalPooling(PoolParams.Kind kind) implements Op {}

  /** Inner product {@code (K) -> (O)}; params: weights {@code (O, K)}, bias {@code (O)}. */
  public record InnerProduct() implements Op {}

  /** Weighted sum of the inputs, one scale each. */
  public record Sum(double[] scales) implements Op {
    public Sum {
      scales = scales.clone();
    }
  }

  /** Concatenation along the channel axis. */
  public record Concat() implements Op {}

  /** {@code (C, ...) -> (C·...)}: the row-major view. */
  public record Flatten() implements Op {}

  /** Anything else, run on the host by the layer's own code. */
  public record Host(HostOp op) implements Op {}
}
