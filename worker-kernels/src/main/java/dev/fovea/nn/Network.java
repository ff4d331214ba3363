package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.CompiledNetwork;
import dev.fovea.kernels.NetworkCompiler;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A network: a directed acyclic graph of layers from one input to one main output (class logits)
 * and optional auxiliary heads (GoogLeNet's auxiliary classifiers), built with {@link #builder},
 * {@link #sequential} or {@link NetworkJson}. A sequential network is the graph where every layer
 * reads the one before it.
 *
 * <p>Shapes are inferred when it is built, and a shape error names the layer and both shapes.
 * Every trainable parameter is a named slice ({@code layer.param}) of one flat vector described by
 * {@link #layout()}; non-trained state (batch norm's running mean and variance) is a second flat
 * vector, the <em>buffers</em>, described by {@link #bufferLayout()}. The network holds no values
 * itself: they are passed to each call, so one network serves any number of parameter vectors.
 *
 * <h2>For callers that train (the driver)</h2>
 *
 * <ul>
 *   <li>Start from {@code layout().initialize(seed)} and {@code bufferLayout().initialize(seed)}
 *       (running mean 0, variance 1). Ship, average and checkpoint the buffers like the
 *       parameters; an empty buffer vector is valid for networks without batch norm.
 *   <li>Call {@link #lossAndGradient(Backend, float[], float[], float[], Tensor, int[], long)} with
 *       a step seed, e.g. derived from (run seed, round, worker, step): dropout masks are drawn from
 *       it, so a round is a pure function of (parameters, buffers, data, seed). Training updates
 *       the buffers in place.
 *   <li>Evaluate with {@link #forward(Backend, float[], float[], Tensor)}, which uses the running
 *       statistics in the buffers.
 *   <li>On a backend that compiles steps ({@link NetworkCompiler}, e.g. {@code onednn}), {@link
 *       #lossAndGradient(Backend, float[], float[], float[], Tensor, int[], long)} and {@link
 *       #forward(Backend, float[], float[], Tensor)} hand it this network as a {@link NetworkGraph}
 *       and run the whole compiled step (cached by the backend per network, batch size and mode);
 *       the results equal the layer-by-layer pass to float rounding, with the same dropout masks
 *       and running-statistics rule. FLOAT64 batches and fine-tuning with frozen parameters run
 *       layer by layer.
 *   <li>The older overloads without buffers and seed still work: they use freshly initialised
 *       buffers (discarding training's updates) and seed 0, which is exact for networks without
 *       batch norm and dropout (LeNet, the plain VGGs) and wrong for evaluating ones with batch norm.
 * </ul>
 *
 * <p>This class is the definition (layers, shapes, parameter and buffer layouts, loss, heads) and
 * the public entry points; the layer-by-layer step is {@link EagerStep}, the lowering to a
 * compiler's graph {@link NetworkLowering}.
 */
public final class Network {
  /** The name by which layers refer to the network's input. */
  public static final String INPUT = "input";

  /** One layer of the graph and the names of the nodes it reads ({@link #INPUT} for the input). */
  public record Node(Layer layer, List<String> inputs) {
    public Node {
      inputs = List.copyOf(inputs);
    }
  }

  /** An auxiliary classifier head: its node and the weight of its loss in training. */
  public record AuxHead(String node, double weight) {}

  private final Shape inputShape;
  private final List<Node> nodes;
  final int[][] producers;
  final List<Shape> outputShapes;
  final int output;
  private final List<AuxHead> auxHeads;
  private final int[] auxIndex;
  private final ParamLayout layout;
  private final ParamLayout bufferLayout;
  final List<List<ParamLayout.Slice>> nodeSlices;
  final List<List<ParamLayout.Slice>> nodeBuffers;
  final boolean[] evalNeeded;
  private final Loss loss;

  private Network(Shape inputShape, List<Node> unbound, String outputName, List<AuxHead> auxHeads, Loss loss) {
    List<Node> nodes = bindPairs(unbound);
    this.loss = java.util.Objects.requireNonNull(loss, "loss");
    this.inputShape = inputShape;
    this.nodes = List.copyOf(nodes);
    this.auxHeads = List.copyOf(auxHeads);
    Map<String, Integer> index = new HashMap<>();
    producers = new int[nodes.size()][];
    List<Shape> shapes = new ArrayList<>();
    List<List<ParamLayout.Slice>> slices = new ArrayList<>();
    List<List<ParamLayout.Slice>> buffers = new ArrayList<>();
    ParamLayout.Builder lb = new ParamLayout.Builder();
    ParamLayout.Builder bb = new ParamLayout.Builder();
    for (int i = 0; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      Layer layer = node.layer();
      if (INPUT.equals(layer.name()) || index.containsKey(layer.name())) {
        throw new IllegalArgumentException("duplicate layer name '" + layer.name() + "'");
      }
      if (node.inputs().isEmpty()) {
        throw new IllegalArgumentException(layer.name() + ": has no inputs");
      }
      List<Shape> in = new ArrayList<>();
      producers[i] = new int[node.inputs().size()];
      for (int j = 0; j < producers[i].length; j++) {
        String from = node.inputs().get(j);
        if (INPUT.equals(from)) {
          producers[i][j] = -1;
          in.add(inputShape);
        } else {
          Integer k = index.get(from);
          if (k == null) {
            throw new IllegalArgumentException(layer.name() + ": input '" + from
                + "' is not a layer defined before it (layers must be listed in an order where inputs come first)");
          }
          producers[i][j] = k;
          in.add(shapes.get(k));
        }
      }
      Shape out;
      try {
        out = layer.outputShape(in);
      } catch (IllegalArgumentException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        throw m.startsWith(layer.name() + ":") ? e : new IllegalArgumentException(layer.name() + ": " + m, e);
      }
      List<ParamLayout.Slice> own = new ArrayList<>();
      for (Layer.ParamSpec spec : layer.params(in)) {
        own.add(lb.add(layer.name() + "." + spec.name(), spec.shape(), spec.init(), spec.fanIn(), spec.fanOut()));
      }
      List<ParamLayout.Slice> buf = new ArrayList<>();
      for (Layer.ParamSpec spec : layer.buffers(in)) {
        buf.add(bb.add(layer.name() + "." + spec.name(), spec.shape(), spec.init(), spec.fanIn(), spec.fanOut()));
      }
      slices.add(own);
      buffers.add(buf);
      shapes.add(out);
      index.put(layer.name(), i);
    }
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("a network needs at least one layer");
    }
    String main = outputName == null ? nodes.get(nodes.size() - 1).layer().name() : outputName;
    Integer o = index.get(main);
    if (o == null) {
      throw new IllegalArgumentException("output '" + main + "' is not a layer of the network");
    }
    output = o;
    auxIndex = new int[auxHeads.size()];
    for (int i = 0; i < auxIndex.length; i++) {
      Integer a = index.get(auxHeads.get(i).node());
      if (a == null) {
        throw new IllegalArgumentException("auxiliary output '" + auxHeads.get(i).node() + "' is not a layer");
      }
      auxIndex[i] = a;
      if (loss.readsLabels() && shapes.get(a).rank() != 1) {
        throw new IllegalArgumentException(auxHeads.get(i).node() + ": an auxiliary head must give flat (classes)"
            + " logits, got " + shapes.get(a));
      }
      if (!loss.readsLabels() && !shapes.get(a).equals(shapes.get(output))) {
        throw new IllegalArgumentException(auxHeads.get(i).node() + ": an auxiliary head of a " + loss.id()
            + " network must give the main output's shape " + shapes.get(output) + ", got " + shapes.get(a));
      }
    }
    // softmax cross-entropy reads flat logits, per-pixel cross-entropy (K, H, W) logits; the other
    // losses compare any shape with the targets
    if (loss.readsLabels() && shapes.get(output).rank() != 1) {
      throw new IllegalArgumentException(main + ": the network must end in a flat (classes) output for "
          + loss.id() + ", got " + shapes.get(output));
    }
    if (loss.outputRank() == 3 && shapes.get(output).rank() != 3) {
      throw new IllegalArgumentException(main + ": the network must end in a (classes, H, W) output for "
          + loss.id() + ", got " + shapes.get(output));
    }
    this.outputShapes = Collections.unmodifiableList(shapes);
    this.nodeSlices = slices;
    this.nodeBuffers = buffers;
    this.layout = lb.build();
    this.bufferLayout = bb.build();
    this.evalNeeded = needed(new int[] {output});
  }

  /**
   * Binds each {@link MaxUnpooling} to the max-pooling layer it names: the layer gets the pool's
   * definition, and the pool's input becomes its second input (already there in a network read
   * back from its JSON, where it must be that input).
   */
  private static List<Node> bindPairs(List<Node> nodes) {
    List<Node> out = new ArrayList<>(nodes);
    for (int i = 0; i < out.size(); i++) {
      if (!(out.get(i).layer() instanceof MaxUnpooling u)) {
        continue;
      }
      Node pool = null;
      for (int j = 0; j < i; j++) {
        pool = out.get(j).layer().name().equals(u.pool()) ? out.get(j) : pool;
      }
      if (pool == null || pool.inputs().size() != 1) {
        throw new IllegalArgumentException(u.name() + ": pool '" + u.pool()
            + "' is not a single-input layer defined before it");
      }
      List<String> inputs = out.get(i).inputs();
      String poolInput = pool.inputs().get(0);
      if (inputs.size() != 1 && !(inputs.size() == 2 && inputs.get(1).equals(poolInput))) {
        throw new IllegalArgumentException(u.name() + ": expects one input (the values to unpool), got " + inputs);
      }
      out.set(i, new Node(u.bind(pool.layer()), List.of(inputs.get(0), poolInput)));
    }
    return out;
  }

  boolean[] needed(int[] roots) {
    boolean[] need = new boolean[nodes.size()];
    for (int r : roots) {
      need[r] = true;
    }
    for (int i = nodes.size() - 1; i >= 0; i--) {
      if (need[i]) {
        for (int p : producers[i]) {
          if (p >= 0) {
            need[p] = true;
          }
        }
      }
    }
    return need;
  }

  /** A network for input samples of shape {@code (C, H, W)} made of {@code layers} in order. */
  public static Network sequential(Shape inputShape, List<? extends Layer> layers) {
    Builder b = builder(inputShape);
    layers.forEach(b::then);
    return b.build();
  }

  /** A builder of a graph reading samples of {@code inputShape}. */
  public static Builder builder(Shape inputShape) {
    return new Builder(inputShape);
  }

  /**
   * Builds a graph node by node; each node's inputs must already exist. Without an explicit {@link
   * #output}, the last node added is the main output.
   *
   * <pre>{@code
   * Network.builder(Shape.of(3, 32, 32))
   *     .then(Convolution.conv2d("conv1", 16, 3, 1, 1, false)).then(BatchNorm.of("bn1")).then(relu("relu1"))
   *     .add(Convolution.conv2d("conv2", 16, 3, 1, 1, false), "relu1")
   *     .add(Add.of("res"), "conv2", "relu1")
   *     ...
   * }</pre>
   */
  public static final class Builder {
    private final Shape inputShape;
    private final List<Node> nodes = new ArrayList<>();
    private final List<AuxHead> aux = new ArrayList<>();
    private String output;
    private Loss loss = Loss.SOFTMAX_CROSS_ENTROPY;

    private Builder(Shape inputShape) {
      this.inputShape = inputShape;
    }

    /** Adds {@code layer} reading the nodes named {@code inputs} ({@link #INPUT} for the input). */
    public Builder add(Layer layer, String... inputs) {
      nodes.add(new Node(layer, List.of(inputs)));
      return this;
    }

    /** Adds {@code layer} reading the last node added (or the input, for the first). */
    public Builder then(Layer layer) {
      return add(layer, last());
    }

    /** The name of the last node added, or {@link #INPUT}. */
    public String last() {
      return nodes.isEmpty() ? INPUT : nodes.get(nodes.size() - 1).layer().name();
    }

    /** Makes {@code node} the main output (the class logits). */
    public Builder output(String node) {
      this.output = node;
      return this;
    }

    /** Adds an auxiliary classifier head whose loss counts with {@code weight} in training. */
    public Builder auxOutput(String node, double weight) {
      aux.add(new AuxHead(node, weight));
      return this;
    }

    /** The loss of the main output and the auxiliary heads (default softmax cross-entropy). */
    public Builder loss(Loss loss) {
      this.loss = loss;
      return this;
    }

    /** The network; throws when a shape does not fit, naming the layer and both shapes. */
    public Network build() {
      return new Network(inputShape, nodes, output, aux, loss);
    }
  }

  /**
   * This network for input samples of {@code shape}: the same nodes, output and auxiliary heads,
   * rebuilt for the new size. Networks whose features reach the classifier through global or
   * adaptive pooling take any input at least their minimum size this way; throws when the new size
   * does not fit some layer or changes the parameters (a flatten before a dense layer).
   */
  public Network withInputShape(Shape shape) {
    if (shape.equals(inputShape)) {
      return this;
    }
    Network n = new Network(shape, nodes, outputName(), auxHeads, loss);
    if (!n.layout.slices().stream().map(s -> s.name() + s.shape()).toList()
        .equals(layout.slices().stream().map(s -> s.name() + s.shape()).toList())) {
      throw new IllegalArgumentException("inputs " + shape + " change the parameters of a network built for "
          + inputShape + " (a flatten before a dense layer; end the features in global or adaptive pooling)");
    }
    return n;
  }

  /** The loss training minimises ({@link Loss#SOFTMAX_CROSS_ENTROPY} unless the builder or file says). */
  public Loss loss() {
    return loss;
  }

  /** This network (the same nodes, parameters and heads) trained with {@code loss}. */
  public Network withLoss(Loss loss) {
    return loss == this.loss ? this : new Network(inputShape, nodes, outputName(), auxHeads, loss);
  }

  /** Shape of the main output for one sample: {@code (K)} for class logits, {@code (C, H, W)} for an image. */
  public Shape outputShape() {
    return outputShapes.get(output);
  }

  /** Shape of one input sample, {@code (C, H, W)}. */
  public Shape inputShape() {
    return inputShape;
  }

  /** The nodes in evaluation order. */
  public List<Node> nodes() {
    return nodes;
  }

  /** The layers in evaluation order. */
  public List<Layer> layers() {
    return nodes.stream().map(Node::layer).toList();
  }

  /** The layer named {@code name}. */
  public Layer layer(String name) {
    for (Node n : nodes) {
      if (n.layer().name().equals(name)) {
        return n.layer();
      }
    }
    throw new IllegalArgumentException("no layer named '" + name + "'");
  }

  /** The output shape of one sample at layer {@code name}. */
  public Shape outputShape(String name) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).layer().name().equals(name)) {
        return outputShapes.get(i);
      }
    }
    throw new IllegalArgumentException("no layer named '" + name + "'");
  }

  /** The name of the main output node. */
  public String outputName() {
    return nodes.get(output).layer().name();
  }

  public List<AuxHead> auxHeads() {
    return auxHeads;
  }

  /** The layout of the trainable parameters. */
  public ParamLayout layout() {
    return layout;
  }

  /** The layout of the buffers (non-trained state such as batch norm's running statistics); may be empty. */
  public ParamLayout bufferLayout() {
    return bufferLayout;
  }

  /** The slices of layer {@code name}'s parameters (empty for a layer without any). */
  public List<ParamLayout.Slice> slicesOf(String name) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).layer().name().equals(name)) {
        return nodeSlices.get(i);
      }
    }
    throw new IllegalArgumentException("no layer named '" + name + "'");
  }

  /** Number of output classes (the size of the logits). */
  public int numClasses() {
    return outputShapes.get(output).dim(0);
  }

  static Tensor[] views(List<ParamLayout.Slice> own, float[] values) {
    Tensor[] t = new Tensor[own.size()];
    for (int i = 0; i < t.length; i++) {
      t[i] = Tensor.wrap(values, own.get(i).offset(), own.get(i).shape());
    }
    return t;
  }

  static Tensor[] views(List<ParamLayout.Slice> own, double[] values) {
    Tensor[] t = new Tensor[own.size()];
    for (int i = 0; i < t.length; i++) {
      t[i] = Tensor.wrap(values, own.get(i).offset(), own.get(i).shape());
    }
    return t;
  }

  private void check(String what, int length, ParamLayout l) {
    if (length != l.size()) {
      throw new IllegalArgumentException(what + " vector has " + length + " values, the network needs " + l.size());
    }
  }

  void checkInput(Tensor src) {
    if (!src.shape().dropFirst().equals(inputShape)) {
      throw new IllegalArgumentException("input batch " + src.shape() + " does not match the network input "
          + inputShape.prepend(src.shape().dim(0)));
    }
  }

  /** Seed of node {@code i} for step seed {@code seed} (SplitMix64 finaliser). */
  static long nodeSeed(long seed, int i) {
    long z = seed + 0x9E3779B97F4A7C15L * (i + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Logits {@code (N, classes)} of the main output for a batch {@code src (N, C, H, W)}, in
   * evaluation mode with the running statistics in {@code buffers} (unchanged).
   */
  public Tensor forward(Backend backend, float[] params, float[] buffers, Tensor src) {
    check("parameter", params.length, layout);
    check("buffer", buffers.length, bufferLayout);
    checkInput(src);
    CompiledNetwork compiled = NetworkLowering.compiled(this, backend, src, false, new BitSet());
    if (compiled != null) {
      return compiled.forward(params, buffers, src, i -> nodeSeed(0, i));
    }
    Tensor[] acts = new Tensor[nodes.size()];
    EagerStep.run(this, backend, i -> views(nodeSlices.get(i), params), i -> views(nodeBuffers.get(i), buffers), src,
        acts, new LayerContext[nodes.size()], new boolean[nodes.size()], 0, evalNeeded);
    return acts[output];
  }

  /**
   * Logits {@code (N, classes)} in evaluation mode with freshly initialised buffers; exact for
   * networks without batch norm. Prefer {@link #forward(Backend, float[], float[], Tensor)}.
   */
  public Tensor forward(Backend backend, float[] params, Tensor src) {
    return forward(backend, params, bufferLayout.initialize(0), src);
  }


  /**
   * One training pass over a batch: overwrites {@code grads} with the gradient of the mean softmax
   * cross-entropy of the main output (plus each auxiliary head's, times its weight) over the batch,
   * updates the running statistics in {@code buffers} in place, and returns the summed (not
   * averaged) loss of the main output.
   *
   * @param src images {@code (N, C, H, W)}
   * @param labels N class indices
   * @param seed the step seed; dropout draws from it, so equal seeds give equal results
   */
  public double lossAndGradient(Backend backend, float[] params, float[] buffers, float[] grads, Tensor src,
      int[] labels, long seed) {
    return lossAndGradient(backend, params, buffers, grads, src, labels, seed, new BitSet());
  }

  /**
   * {@link #lossAndGradient(Backend, float[], float[], float[], Tensor, int[], long)} for fine-tuning
   * with the parameters in {@code frozen} held fixed (see {@link Transfer#frozenMask}): the backward
   * pass stops where nothing before it is trainable, and the gradient of a layer whose parameters are
   * all frozen and that has no trainable layer before it is left at zero. A batch norm whose
   * parameters are all frozen runs in inference mode (Keras's rule), so its running statistics stay
   * unchanged too. The optimizer must still skip the frozen parameters ({@code
   * dev.fovea.optim.Frozen}).
   */
  public double lossAndGradient(Backend backend, float[] params, float[] buffers, float[] grads, Tensor src,
      int[] labels, long seed, BitSet frozen) {
    return lossAndGradient(backend, params, buffers, grads, src, labels, null, seed, frozen);
  }

  /**
   * {@link #lossAndGradient(Backend, float[], float[], float[], Tensor, int[], long, BitSet)} with
   * this network's {@link #loss()}: {@code labels} for class losses, {@code targets (N, ...)} of
   * the output's shape for the others (either may be null when the loss does not read it). Every
   * loss but per-pixel cross-entropy runs in a backend's compiled step where it compiles one; that
   * one runs layer by layer (each op still on the backend).
   */
  public double lossAndGradient(Backend backend, float[] params, float[] buffers, float[] grads, Tensor src,
      int[] labels, Tensor targets, long seed, BitSet frozen) {
    check("parameter", params.length, layout);
    check("gradient", grads.length, layout);
    check("buffer", buffers.length, bufferLayout);
    Arrays.fill(grads, 0f);
    checkInput(src);
    CompiledNetwork compiled = NetworkLowering.compiled(this, backend, src, true, frozen);
    if (compiled != null) {
      if (loss.readsLabels() && labels.length != src.shape().dim(0)) {
        throw new IllegalArgumentException(labels.length + " labels for a batch of " + src.shape().dim(0));
      }
      return compiled.lossAndGradient(params, buffers, grads, src, loss.readsLabels() ? labels : null,
          loss.readsLabels() ? null : targets, i -> nodeSeed(seed, i));
    }
    return EagerStep.lossAndGradient(this, backend, i -> views(nodeSlices.get(i), params),
        i -> views(nodeSlices.get(i), grads), i -> views(nodeBuffers.get(i), buffers), src, labels, targets, seed,
        trainableUpstream(frozen), frozenBatchNorms(frozen));
  }

  /**
   * A training session over copies of {@code params}, {@code buffers} and the optimizer {@code
   * state} (see {@link Trainer}): resident in native memory between steps on a backend that can
   * (oneDNN), else the heap loop of {@link #lossAndGradient(Backend, float[], float[], float[],
   * Tensor, int[], long, BitSet)} and {@code rule.apply} (with {@code frozen} held fixed by {@link
   * dev.fovea.optim.Frozen} when not empty).
   *
   * @param state the optimizer's state, {@code rule.stateSize(P)} floats
   * @param firstStep steps completed before the session's first one, in the whole run (the
   *     schedule's and Adam's step count)
   */
  public Trainer trainer(Backend backend, float[] params, float[] buffers, float[] state,
      dev.fovea.optim.UpdateRule rule, long firstStep, BitSet frozen) {
    check("parameter", params.length, layout);
    check("buffer", buffers.length, bufferLayout);
    return new Trainer(this, backend, params, buffers, state, rule, firstStep, frozen);
  }

  /**
   * {@link #trainer(Backend, float[], float[], float[], dev.fovea.optim.UpdateRule, long, BitSet)} of
   * {@code optimizer} at its base rate, unclipped, from step 0.
   */
  public Trainer trainer(Backend backend, float[] params, float[] buffers, float[] state,
      dev.fovea.optim.Optimizer optimizer, BitSet frozen) {
    return trainer(backend, params, buffers, state, dev.fovea.optim.UpdateRule.of(optimizer), 0, frozen);
  }

  /**
   * For each node, whether it is a batch norm whose parameters are all in {@code frozen}: as in
   * Keras, a frozen batch norm runs in inference mode, normalising with its running statistics and
   * leaving them unchanged.
   */
  boolean[] frozenBatchNorms(BitSet frozen) {
    boolean[] f = new boolean[nodes.size()];
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).layer() instanceof BatchNorm) {
        boolean all = true;
        for (ParamLayout.Slice s : nodeSlices.get(i)) {
          all &= frozen.nextClearBit(s.offset()) >= s.offset() + s.size();
        }
        f[i] = all && !nodeSlices.get(i).isEmpty();
      }
    }
    return f;
  }

  /** For each node, whether it or a node before it has a parameter not in {@code frozen}. */
  boolean[] trainableUpstream(BitSet frozen) {
    boolean[] t = new boolean[nodes.size()];
    for (int i = 0; i < nodes.size(); i++) {
      for (ParamLayout.Slice s : nodeSlices.get(i)) {
        int next = frozen.nextClearBit(s.offset());
        t[i] |= next < s.offset() + s.size();
      }
      for (int p : producers[i]) {
        t[i] |= p >= 0 && t[p];
      }
    }
    return t;
  }

  /**
   * {@link #lossAndGradient(Backend, float[], float[], float[], Tensor, int[], long)} with freshly
   * initialised buffers (their update is discarded) and seed 0; kept for callers written before
   * buffers existed, exact for networks without batch norm and dropout.
   */
  public double lossAndGradient(Backend backend, float[] params, float[] grads, Tensor src, int[] labels) {
    return lossAndGradient(backend, params, bufferLayout.initialize(0), grads, src, labels, 0);
  }

  /**
   * The same training pass in double: with a FLOAT64 {@code src} on the reference backend every
   * value is a double, for gradient checks of whole networks. Buffers start fresh, seed 0.
   */
  public double lossAndGradient(Backend backend, double[] params, double[] grads, Tensor src, int[] labels) {
    return lossAndGradient(backend, params, grads, src, labels, null);
  }

  /** The double pass with this network's {@link #loss()} and {@code targets} (see the float one). */
  public double lossAndGradient(Backend backend, double[] params, double[] grads, Tensor src, int[] labels,
      Tensor targets) {
    check("parameter", params.length, layout);
    check("gradient", grads.length, layout);
    Arrays.fill(grads, 0d);
    float[] b = bufferLayout.initialize(0);
    double[] buffers = new double[b.length];
    for (int i = 0; i < b.length; i++) {
      buffers[i] = b[i];
    }
    return EagerStep.lossAndGradient(this, backend, i -> views(nodeSlices.get(i), params),
        i -> views(nodeSlices.get(i), grads), i -> views(nodeBuffers.get(i), buffers), src, labels, targets, 0,
        trainableUpstream(new BitSet()), new boolean[nodes.size()]);
  }



  /** The main output's node, then each auxiliary head's. */
  int[] heads() {
    int[] heads = new int[1 + auxIndex.length];
    heads[0] = output;
    System.arraycopy(auxIndex, 0, heads, 1, auxIndex.length);
    return heads;
  }
  /** This network lowered to a compiler's graph in one mode ({@link NetworkLowering#graph}). */
  NetworkGraph graph(boolean training, BitSet frozen) {
    return NetworkLowering.graph(this, training, frozen);
  }






  /** Total number of trainable parameters. */
  public long parameterCount() {
    return layout.size();
  }

  /** The shapes of one sample that node {@code i} reads. */
  private List<Shape> inputsOf(int i) {
    List<Shape> in = new ArrayList<>();
    for (int p : producers[i]) {
      in.add(p < 0 ? inputShape : outputShapes.get(p));
    }
    return in;
  }

  /** Multiply-accumulates of layer {@code name} for one sample at this network's input size ({@link Layer#macs}). */
  public long macsOf(String name) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).layer().name().equals(name)) {
        return nodes.get(i).layer().macs(inputsOf(i));
      }
    }
    throw new IllegalArgumentException("no layer named '" + name + "'");
  }

  /**
   * Multiply-accumulates of one sample's forward pass to the main output at this network's input
   * size: the convolutions, transposed convolutions and dense layers it runs (auxiliary heads, which
   * only training runs, are left out), the convention of the published G-MAC figures.
   */
  public long macs() {
    long total = 0;
    for (int i = 0; i < nodes.size(); i++) {
      if (evalNeeded[i]) {
        total += nodes.get(i).layer().macs(inputsOf(i));
      }
    }
    return total;
  }

  /**
   * A table like Keras's {@code model.summary()}: layer, type, output shape, parameters,
   * multiply-accumulates per sample and (for graphs) the layers each reads; then the totals of
   * trainable parameters, buffers and multiply-accumulates ({@link #macs()}).
   */
  public String summary() {
    boolean graph = false;
    for (int i = 0; i < nodes.size(); i++) {
      int expected = i - 1;
      graph |= producers[i].length != 1 || producers[i][0] != expected;
    }
    int nameWidth = 14;
    for (Node n : nodes) {
      nameWidth = Math.max(nameWidth, n.layer().name().length() + 1);
    }
    String fmt = "%-" + nameWidth + "s %-14s %-18s %12s %15s" + (graph ? "  %s" : "%s") + "%n";
    int width = nameWidth + 14 + 18 + 12 + 15 + 4 + (graph ? 20 : 0);
    StringBuilder b = new StringBuilder();
    b.append(String.format(fmt, "layer", "type", "output shape", "parameters", "MACs", graph ? "inputs" : ""));
    b.append("=".repeat(width)).append('\n');
    b.append(String.format(fmt, INPUT, "input", inputShape, 0, 0, ""));
    Set<String> aux = new LinkedHashSet<>();
    auxHeads.forEach(a -> aux.add(a.node()));
    for (int i = 0; i < nodes.size(); i++) {
      long count = nodeSlices.get(i).stream().mapToLong(ParamLayout.Slice::size).sum();
      Node n = nodes.get(i);
      String note = graph ? String.join(", ", n.inputs()) : "";
      if (i == output && graph) {
        note += "  [output]";
      } else if (aux.contains(n.layer().name())) {
        note += "  [auxiliary output]";
      }
      b.append(String.format(fmt, n.layer().name(), n.layer().type(), outputShapes.get(i), String.format("%,d", count),
          String.format("%,d", n.layer().macs(inputsOf(i))), note));
    }
    b.append("=".repeat(width)).append('\n');
    // Keras's three lines: its "Total params" counts the batch-norm statistics too
    b.append(String.format("total parameters: %,d%n", (long) layout.size() + bufferLayout.size()));
    b.append(String.format("trainable parameters: %,d%n", layout.size()));
    b.append(String.format("non-trainable (buffers): %,d%n", bufferLayout.size()));
    long macs = macs();
    b.append(String.format("multiply-accumulates: %,d per sample (%.2f G-MACs at %s; convolutions and dense layers"
        + " of the main output)%n", macs, macs / 1e9, inputShape));
    return b.toString();
  }
}
