package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.CompiledNetwork;
import dev.fovea.kernels.HostOp;
import dev.fovea.kernels.NetworkCompiler;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The graph lowering of a {@link Network}: the network as a compiling backend sees it, a {@link
 * NetworkGraph} in which each layer is the op it lowers itself to ({@link Layer#lower}) or a host
 * op running the layer's own code, and the compiled step a backend makes of it. The definition is
 * {@link Network}; the layer-by-layer step is {@link EagerStep}.
 */
final class NetworkLowering {
  private NetworkLowering() {}

  /**
   * The step {@code backend} compiled for this network, this batch size and mode, when the backend
   * compiles steps ({@link NetworkCompiler}) and the batch is FLOAT32 and (training) the step
   * computes the network's loss ({@link #lossKind}); else null (layer by layer).
   */
  static CompiledNetwork compiled(Network net, Backend backend, Tensor src, boolean training, BitSet frozen) {
    if (!(backend instanceof NetworkCompiler compiler) || src.dtype() != dev.fovea.kernels.DType.FLOAT32
        || training && lossKind(net.loss()) == null) {
      return null;
    }
    BitSet f = (BitSet) frozen.clone();
    Object owner = f.isEmpty() ? net : new Frozen(net, f);
    return compiler.compile(owner, src.shape().dim(0), training, () -> graph(net, training, f));
  }

  /**
   * What a compiled step of a fine-tuning pass is cached by: the network (by identity, as {@code
   * Network} does not override {@code equals}) and the frozen parameters (by value).
   */
  private record Frozen(Network network, BitSet frozen) {}

  /**
   * This network as a compiler sees it in one mode: each layer as the op it computes (a host op
   * running the layer's own code when it is none of the graph's ops), with its slices.
   */
  static NetworkGraph graph(Network net, boolean training, BitSet frozen) {
    int[] heads = training ? net.heads() : new int[] {net.output};
    double[] weights = new double[heads.length];
    weights[0] = 1;
    for (int h = 1; h < heads.length; h++) {
      weights[h] = net.auxHeads().get(h - 1).weight();
    }
    boolean[] run = training ? net.needed(heads) : net.evalNeeded;
    boolean[] trainable = net.trainableUpstream(frozen);
    boolean[] inference = net.frozenBatchNorms(frozen);
    List<NetworkGraph.Node> out = new ArrayList<>();
    for (int i = 0; i < net.nodes().size(); i++) {
      List<Shape> in = new ArrayList<>();
      for (int p : net.producers[i]) {
        in.add(p < 0 ? net.inputShape() : net.outputShapes.get(p));
      }
      boolean needDiffSrc = false;
      for (int p : net.producers[i]) {
        needDiffSrc |= p >= 0 && trainable[p];
      }
      List<NetworkGraph.Slice> ps = new ArrayList<>();
      net.nodeSlices.get(i).forEach(s -> ps.add(new NetworkGraph.Slice(s.offset(), s.shape())));
      List<NetworkGraph.Slice> bs = new ArrayList<>();
      net.nodeBuffers.get(i).forEach(s -> bs.add(new NetworkGraph.Slice(s.offset(), s.shape())));
      out.add(new NetworkGraph.Node(net.nodes().get(i).layer().name(), op(net, i, in, needDiffSrc, inference[i]),
          net.producers[i], net.outputShapes.get(i), ps, bs, run[i], trainable[i]));
    }
    NetworkGraph.LossKind loss = training ? lossKind(net.loss()) : null;
    return new NetworkGraph(net.inputShape(), out, heads, weights,
        loss == null ? NetworkGraph.LossKind.SOFTMAX_CROSS_ENTROPY : loss);
  }

  /**
   * The loss a compiled step computes for {@code loss}, or null where it has none (per-pixel
   * cross-entropy, which runs layer by layer).
   */
  static NetworkGraph.LossKind lossKind(Loss loss) {
    return switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> NetworkGraph.LossKind.SOFTMAX_CROSS_ENTROPY;
      case SIGMOID_BCE -> NetworkGraph.LossKind.SIGMOID_BCE;
      case MSE -> NetworkGraph.LossKind.MSE;
      case L1 -> NetworkGraph.LossKind.L1;
      case PIXEL_SOFTMAX_CROSS_ENTROPY -> null;
    };
  }

  /** Node {@code i} as the op its layer lowers to, or a host op running the layer's own code. */
  private static NetworkGraph.Op op(Network net, int i, List<Shape> in, boolean needDiffSrc, boolean inference) {
    return net.nodes().get(i).layer().lower(in, inference)
        .orElseGet(() -> new NetworkGraph.Host(new LayerOp(net, i, needDiffSrc)));
  }

  /**
   * A layer run on the host inside a compiled step, by its own code: the same calls as the
   * layer-by-layer pass, with the context of the last forward call kept for backward.
   */
  private static final class LayerOp implements HostOp {
    private final Network net;
    private final int node;
    private final boolean needDiffSrc;
    private LayerContext ctx;

    LayerOp(Network net, int node, boolean needDiffSrc) {
      this.net = net;
      this.node = node;
      this.needDiffSrc = needDiffSrc;
    }

    @Override
    public Tensor forward(Backend backend, Tensor[] srcs, float[] params, float[] buffers, boolean training,
        long seed) {
      ctx = new LayerContext(training, seed, Network.views(net.nodeBuffers.get(node), buffers), needDiffSrc);
      return net.nodes().get(node).layer().forward(backend, srcs, Network.views(net.nodeSlices.get(node), params), ctx);
    }

    @Override
    public Tensor[] backward(Backend backend, Tensor[] srcs, Tensor dst, Tensor diffDst, float[] params,
        float[] grads) {
      return net.nodes().get(node).layer().backward(backend, srcs, dst, diffDst,
          Network.views(net.nodeSlices.get(node), params), Network.views(net.nodeSlices.get(node), grads), ctx);
    }
  }
}
