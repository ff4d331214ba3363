package dev.fovea.nn;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Transfer learning: replace a trained model's classifier head for a new set of classes, keeping
 * every other layer's values, and freeze chosen layers. Fine-tuning is then ordinary training with
 * {@code new dev.fovea.optim.Frozen(optimizer, frozenMask(...))}, which leaves the frozen slices
 * bitwise unchanged.
 */
public final class Transfer {
  private Transfer() {}

  /**
   * {@code model} with layer {@code head} (a {@link Dense} feeding the output, or the output itself)
   * replaced by a fresh dense layer of {@code classNames.size()} units, initialised from {@code
   * seed}; every other parameter and buffer keeps its value. The new model has no optimizer state.
   */
  public static ModelFile.Model replaceHead(ModelFile.Model model, String head, List<String> classNames, long seed) {
    Network old = model.network();
    Layer oldHead = old.layer(head);
    Layer newHead = oldHead instanceof Dense d
        ? new Dense(d.name(), classNames.size(), d.init())
        : new Dense(head, classNames.size(), Initializer.GLOROT_UNIFORM);
    Network.Builder b = Network.builder(old.inputShape());
    for (Network.Node n : old.nodes()) {
      b.add(n.layer().name().equals(head) ? newHead : n.layer(), n.inputs().toArray(String[]::new));
    }
    b.output(old.outputName());
    old.auxHeads().forEach(a -> b.auxOutput(a.node(), a.weight()));
    Network net = b.build();
    float[] params = net.layout().initialize(seed);
    copyMatching(old.layout(), model.params(), net.layout(), params, head + ".");
    float[] buffers = net.bufferLayout().initialize(seed);
    copyMatching(old.bufferLayout(), model.buffers(), net.bufferLayout(), buffers, head + ".");
    return new ModelFile.Model(net, null, classNames, params, buffers, null, model.provenance());
  }

  private static void copyMatching(ParamLayout from, float[] src, ParamLayout to, float[] dst, String skipPrefix) {
    for (ParamLayout.Slice s : to.slices()) {
      if (s.name().startsWith(skipPrefix)) {
        continue;
      }
      ParamLayout.Slice o = from.slice(s.name());
      if (!o.shape().equals(s.shape())) {
        throw new IllegalArgumentException(s.name() + ": shape " + o.shape() + " changed to " + s.shape()
            + " by the new head; replace the layers after it too");
      }
      System.arraycopy(src, o.offset(), dst, s.offset(), s.size());
    }
  }

  /**
   * The mask of the parameters of {@code layers} in {@code net}'s flat vector, for {@code
   * dev.fovea.optim.Frozen}. Throws for a name that is not a layer.
   */
  public static BitSet frozenMask(Network net, Collection<String> layers) {
    Set<String> names = new HashSet<>(layers);
    BitSet mask = new BitSet(net.layout().size());
    List<String> unknown = new ArrayList<>(names);
    for (Network.Node n : net.nodes()) {
      String name = n.layer().name();
      if (names.contains(name)) {
        unknown.remove(name);
        for (ParamLayout.Slice s : net.slicesOf(name)) {
          mask.set(s.offset(), s.offset() + s.size());
        }
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("cannot freeze " + unknown + ": no such layers");
    }
    return mask;
  }

  /** The layers of {@code net} up to and including {@code last}, in order: the usual set to freeze. */
  public static List<String> layersUpTo(Network net, String last) {
    List<String> names = new ArrayList<>();
    for (Network.Node n : net.nodes()) {
      names.add(n.layer().name());
      if (n.layer().name().equals(last)) {
        return names;
      }
    }
    throw new IllegalArgumentException("no layer named '" + last + "'");
  }
}
