package dev.fovea.kernels.compile;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.NetworkGraph;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * What a compiled step computes where, decided from the graph before any lowering: how many
 * readers each node's output has (a head counts as one), which ReLUs fuse into the node before
 * them, and which run in place over their producer's output.
 *
 * <p>A plain ReLU whose producer has no other reader fuses into that producer when the device says
 * it can ({@code fusesRelu}, e.g. a convolution's post-op): the ReLU's output is then the
 * producer's, and its backward reads it. After a sum (whose output nothing else reads and whose
 * backward does not need it) it runs in place instead.
 */
public final class StepPlan {
  private final int[] consumers;
  private final int[] fusedInto;
  private final int[] fusedRelu;
  private final boolean[] inPlace;

  /**
   * @param fuse whether to fuse or run ReLUs in place at all
   * @param fusesRelu the ops of producers the device fuses a following ReLU into
   */
  public StepPlan(NetworkGraph g, boolean fuse, Predicate<NetworkGraph.Op> fusesRelu) {
    List<NetworkGraph.Node> nodes = g.nodes();
    int n = nodes.size();
    consumers = new int[n];
    fusedInto = new int[n];
    fusedRelu = new int[n];
    inPlace = new boolean[n];
    Arrays.fill(fusedInto, -1);
    Arrays.fill(fusedRelu, -1);
    for (NetworkGraph.Node node : nodes) {
      if (node.run()) {
        for (int p : node.inputs()) {
          if (p >= 0) {
            consumers[p]++;
          }
        }
      }
    }
    for (int h : g.heads()) {
      consumers[h]++;
    }
    for (int i = 0; i < n; i++) {
      NetworkGraph.Node node = nodes.get(i);
      if (!node.run() || !fuse || !isRelu(node.op())) {
        continue;
      }
      int p = node.inputs()[0];
      if (p >= 0 && consumers[p] == 1) {
        NetworkGraph.Op before = nodes.get(p).op();
        if (fusesRelu.test(before)) {
          fusedInto[i] = p;
          fusedRelu[p] = i;
        } else if (before instanceof NetworkGraph.Sum) {
          inPlace[i] = true;
        }
      }
    }
  }

  /** Whether {@code op} is a plain ReLU ({@code max(x, 0)}). */
  public static boolean isRelu(NetworkGraph.Op op) {
    return op instanceof NetworkGraph.Eltwise e && e.f().kind() == Activation.Kind.RELU && e.f().alpha() == 0;
  }

  /** How many nodes (and heads) read node i's output. */
  public int consumers(int i) {
    return consumers[i];
  }

  /** The node whose output this fused ReLU's output is, or -1 when node i is not a fused ReLU. */
  public int fusedInto(int i) {
    return fusedInto[i];
  }

  /** The ReLU fused into node i, or -1. */
  public int fusedRelu(int i) {
    return fusedRelu[i];
  }

  /** Whether node i is a ReLU run in place over its producer's (a sum's) output. */
  public boolean inPlace(int i) {
    return inPlace[i];
  }
}
