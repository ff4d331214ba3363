package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Tensor;
import java.util.function.IntFunction;

/**
 * The eager step of a {@link Network}: its layers run one after the other on a backend, each by
 * its own forward and backward (the layer's code, its ops on the backend), with the loss of the
 * main output and the auxiliary heads between the two passes. It runs where no backend compiles
 * the step (the reference backend, FLOAT64 batches for gradient checks, frozen parameters, the
 * losses a compiled step does not have), and it is what a compiled step is checked against. The
 * definition is {@link Network}; the lowering to a compiler's graph is {@link NetworkLowering}.
 */
final class EagerStep {
  private EagerStep() {}

  /**
   * The forward pass over the nodes in {@code need}, in order: each node's activation into {@code
   * acts} and its context (kept for backward) into {@code ctxs}.
   */
  static void run(Network net, Backend backend, IntFunction<Tensor[]> params, IntFunction<Tensor[]> buffers,
      Tensor src, Tensor[] acts, LayerContext[] ctxs, boolean[] training, long seed, boolean[] need) {
    for (int i = 0; i < net.nodes().size(); i++) {
      if (!need[i]) {
        continue;
      }
      Tensor[] in = new Tensor[net.producers[i].length];
      boolean needDiff = false;
      for (int j = 0; j < in.length; j++) {
        int p = net.producers[i][j];
        in[j] = p < 0 ? src : acts[p];
        needDiff |= p >= 0;
      }
      ctxs[i] = new LayerContext(training[i], Network.nodeSeed(seed, i), buffers.apply(i), needDiff);
      acts[i] = net.nodes().get(i).layer().forward(backend, in, params.apply(i), ctxs[i]);
    }
  }

  /**
   * The training pass: forward, the loss of every head, backward through the nodes that lead to a
   * trainable one, gradients accumulated into {@code grads}; returns the summed loss of the main
   * output. {@code trainable[i]}: node i or one before it has a trainable parameter; {@code
   * inference[i]}: node i runs in inference mode (a frozen batch norm).
   */
  static double lossAndGradient(Network net, Backend backend, IntFunction<Tensor[]> params, IntFunction<Tensor[]> grads,
      IntFunction<Tensor[]> buffers, Tensor src, int[] labels, Tensor targets, long seed, boolean[] trainable,
      boolean[] inference) {
    net.checkInput(src);
    if (net.loss().readsLabels() && labels.length != src.shape().dim(0)) {
      throw new IllegalArgumentException(labels.length + " labels for a batch of " + src.shape().dim(0));
    }
    int[] heads = net.heads();
    boolean[] need = net.needed(heads);
    Tensor[] acts = new Tensor[net.nodes().size()];
    LayerContext[] ctxs = new LayerContext[net.nodes().size()];
    boolean[] training = new boolean[net.nodes().size()];
    for (int i = 0; i < training.length; i++) {
      training[i] = !inference[i];
    }
    run(net, backend, params, buffers, src, acts, ctxs, training, seed, need);
    for (int i = 0; i < net.nodes().size(); i++) {
      if (ctxs[i] != null && ctxs[i].needDiffSrc()) {
        boolean upstream = false;
        for (int p : net.producers[i]) {
          upstream |= p >= 0 && trainable[p];
        }
        if (!upstream) {
          ctxs[i] = ctxs[i].withoutDiffSrc();
        }
      }
    }
    Tensor[] diffs = new Tensor[net.nodes().size()];
    double mainLoss = 0;
    for (int h = 0; h < heads.length; h++) {
      Tensor logits = acts[heads[h]];
      double weight = h == 0 ? 1 : net.auxHeads().get(h - 1).weight();
      Tensor diff = Tensor.zeros(logits.shape(), logits.dtype());
      double headLoss = net.loss().lossAndGradient(backend, logits, labels, targets, weight, diff);
      if (h == 0) {
        mainLoss = headLoss;
      }
      accumulate(backend, diffs, heads[h], diff);
    }
    for (int i = net.nodes().size() - 1; i >= 0; i--) {
      if (!need[i] || diffs[i] == null || !trainable[i]) {
        continue;
      }
      Tensor[] in = new Tensor[net.producers[i].length];
      for (int j = 0; j < in.length; j++) {
        in[j] = net.producers[i][j] < 0 ? src : acts[net.producers[i][j]];
      }
      Tensor[] diffSrcs = net.nodes().get(i).layer().backward(backend, in, acts[i], diffs[i], params.apply(i),
          grads.apply(i), ctxs[i]);
      diffs[i] = null;
      acts[i] = null;
      for (int j = 0; j < in.length; j++) {
        if (net.producers[i][j] >= 0 && diffSrcs[j] != null) {
          accumulate(backend, diffs, net.producers[i][j], diffSrcs[j]);
        }
      }
    }
    return mainLoss;
  }

  private static void accumulate(Backend backend, Tensor[] diffs, int node, Tensor diff) {
    if (diffs[node] == null) {
      diffs[node] = diff;
    } else {
      Tensor sum = Tensor.zeros(diff.shape(), diff.dtype());
      backend.sumForward(new double[] {1, 1}, new Tensor[] {diffs[node], diff}, sum);
      diffs[node] = sum;
    }
  }
}
