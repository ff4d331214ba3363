package dev.fovea.kernels.compile;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.CompiledNetwork;
import dev.fovea.kernels.HostOp;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.ResidentNetwork;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.optim.UpdateRule;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntToLongFunction;

/**
 * A whole network step compiled for one device: one program of device kernels and host actions,
 * planned once per (network, batch, mode) from a {@link NetworkGraph}, run many times. The plan is
 * this class's; the device supplies memory, layouts and the lowering of each op ({@link
 * StepLowering}).
 *
 * <p>Activations and their gradients stay in device memory in the layouts the device's kernels
 * choose; a conversion is planned only where a consumer wants another layout than its producer
 * wrote, at the input batch, at flatten (to row-major), at the loss and around host nodes. Per step
 * the flat parameter vector is copied in once and the gradients of lowered nodes are copied out
 * once. A ReLU fuses into its producer where the device can ({@link StepPlan}).
 *
 * <p>Gradients: backward visits the nodes in reverse order; a node's gradient buffer (in its
 * output's layout) is written by the first contribution that arrives in that layout and added
 * into by every later one ({@link #sink}, {@link #sunk}, {@link #deliver}); nodes whose gradient
 * nothing wrote (frozen branches) are skipped.
 *
 * <p>Memory: activations live for the whole step (backward needs them); gradient buffers and
 * temporaries of the backward pass are reused between values whose lifetimes do not overlap
 * ({@link MemoryPlan}); every block is freed in {@link #close()}.
 *
 * <p>Resident ({@link ResidentNetwork}): parameters, gradients and optimizer state stay in device
 * memory between steps; weights a kernel wants in another layout than row-major are held in that
 * layout (with their gradient and state), converted in by {@link #load} and out by {@link #store}
 * only, and the update runs as the device's {@link UpdateKernel}.
 *
 * @param <B> the device's buffer
 * @param <L> the device's layout descriptor
 */
public final class CompiledStep<B extends StepBuffer<L>, L>
    implements CompiledNetwork, ResidentNetwork, AutoCloseable {

  /** A weight slice held in a kernel's layout, with its gradient and optimizer state blocks in the same layout. */
  private record Master<B>(NetworkGraph.Slice slice, B plain, B weights, B grad, List<B> state) {}

  private final StepLowering<B, L> lowering;
  private final DeviceMemory memory;
  private final MemoryPlan pool;
  /** The backend host nodes run their ops on. */
  private final Backend host;
  private final NetworkGraph g;
  private final int batch;
  private final boolean training;
  private final boolean fuse;
  private final boolean resident;
  private final int stateBlocks;
  private StepPlan plan;

  private final Program program = new Program();
  /** Resident steps: what {@link #load} and {@link #store} run after and before copying (conversions). */
  private final Program loadProgram = new Program();
  private final Program storeProgram = new Program();
  /** Where {@link #action} puts what is planned now: the step's program when null. */
  private Program redirect;
  private String tag = "";
  private boolean profiling;
  private final StringBuilder description = new StringBuilder();

  private long paramBlock;
  private long gradBlock;
  private long bufferBlock;
  /** Resident steps: the optimizer state of every row-major parameter, {@code stateBlocks} blocks of the parameter count. */
  private long stateBlock;
  private final Map<Integer, Master<B>> masters = new HashMap<>();
  private final Set<Integer> weightSlices = new HashSet<>();
  private UpdateKernel update;
  private long token;
  private boolean closed;
  private int paramCount;
  private int bufferCount;
  /** The gradient slices lowered nodes write: (offset, size) pairs copied out after a step. */
  private final List<int[]> nativeGrads = new ArrayList<>();
  private B input;
  private final List<B> act;
  private final List<B> diff;
  private final boolean[] written;
  private final boolean[] lowered;
  /** What backward needs of each node's forward. */
  private final Object[] saved;

  // the arguments of the step being run, read by host actions
  private float[] params;
  private float[] buffers;
  private float[] grads;
  private int[] labels;
  /** The targets of a loss that reads them ({@link NetworkGraph#loss()}), row-major floats from {@link #targetOffset}. */
  private float[] targets;
  private int targetOffset;
  private IntToLongFunction seeds;
  private double loss;
  private Tensor logits;

  /**
   * Compiles {@code g} with {@code lowering}; on failure frees what it made so far (and the
   * lowering) and rethrows.
   *
   * @param host the backend host nodes run on
   * @param fuse whether ReLUs fuse into their producers where the device can
   * @param stateBlocks the optimizer state blocks of a resident step, or -1 for an ordinary step
   */
  public static <B extends StepBuffer<L>, L> CompiledStep<B, L> compile(StepLowering<B, L> lowering, Backend host,
      NetworkGraph g, int batch, boolean training, boolean fuse, int stateBlocks) {
    CompiledStep<B, L> c;
    try {
      c = new CompiledStep<>(lowering, host, g, batch, training, fuse, stateBlocks);
    } catch (RuntimeException e) {
      lowering.close();
      lowering.memory().close();
      throw e;
    }
    try {
      c.build();
      return c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private CompiledStep(StepLowering<B, L> lowering, Backend host, NetworkGraph g, int batch, boolean training,
      boolean fuse, int stateBlocks) {
    boolean resident = stateBlocks >= 0;
    if (resident && !training) {
      throw new IllegalArgumentException("only a training step is resident");
    }
    this.lowering = lowering;
    this.memory = lowering.memory();
    this.pool = new MemoryPlan(memory);
    this.host = host;
    this.g = g;
    this.batch = batch;
    this.training = training;
    this.fuse = fuse;
    this.resident = resident;
    this.stateBlocks = Math.max(stateBlocks, 0);
    int n = g.nodes().size();
    act = new ArrayList<>(java.util.Collections.nCopies(n, null));
    diff = new ArrayList<>(java.util.Collections.nCopies(n, null));
    written = new boolean[n];
    lowered = new boolean[n];
    saved = new Object[n];
  }

  // ---- what a lowering reads ----

  /** The device's lowering of this step. */
  public StepLowering<B, L> lowering() {
    return lowering;
  }

  public NetworkGraph graph() {
    return g;
  }

  @Override
  public int batch() {
    return batch;
  }

  /** Whether the step trains (batch statistics, dropout, backward) rather than evaluates. */
  public boolean training() {
    return training;
  }

  /** Whether parameters, gradients and optimizer state stay in device memory between steps. */
  public boolean resident() {
    return resident;
  }

  /** The fusion and in-place decisions. */
  public StepPlan plan() {
    return plan;
  }

  /** Native bytes this step's memory holds. */
  public long bytes() {
    return memory.bytes();
  }

  /** One line per node: its op and whether it is fused. */
  public String description() {
    return description.toString();
  }

  /** The buffer node j of {@code node}'s inputs reads (the input batch for -1). */
  public B src(NetworkGraph.Node node, int j) {
    int p = node.inputs()[j];
    return p < 0 ? input : act.get(p);
  }

  /** One sample of input j of {@code node}. */
  public Shape srcShape(NetworkGraph.Node node, int j) {
    int p = node.inputs()[j];
    return p < 0 ? g.inputShape() : g.nodes().get(p).outputShape();
  }

  /** Node i's output buffer. */
  public B act(int i) {
    return act.get(i);
  }

  /** Sets node i's output buffer. */
  public void setAct(int i, B b) {
    act.set(i, b);
  }

  /** What node i's forward saved for its backward. */
  public Object saved(int i) {
    return saved[i];
  }

  /** Keeps {@code o} for node i's backward. */
  public void save(int i, Object o) {
    saved[i] = o;
  }

  /** The host's buffer vector of the step being run (host actions update running statistics in it). */
  public float[] runningBuffers() {
    return buffers;
  }

  /** {@code (batch, sample...)} as dims. */
  public long[] dims(Shape sample) {
    return longs(sample.prepend(batch).dims());
  }

  /** {@code int} dims as {@code long}s. */
  public static long[] longs(int[] a) {
    long[] r = new long[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = a[i];
    }
    return r;
  }

  /** The row-major layout of a batch of {@code sample}s. */
  public L rowMajorOf(Shape sample) {
    return lowering.rowMajor(dims(sample));
  }

  // ---- the program ----

  /** Sets the tag of the actions planned next: {@code node/part}. */
  public void tag(NetworkGraph.Node node, String part) {
    tag = node.name() + "/" + part;
  }

  /** Appends a device action to what is being planned, with the current tag. */
  public void action(Runnable r) {
    (redirect != null ? redirect : program).add(tag, r);
  }

  /** Plans {@code r}'s actions into {@code into} instead of the step's program. */
  private void planInto(Program into, Runnable r) {
    redirect = into;
    try {
      r.run();
    } finally {
      redirect = null;
    }
  }

  /** A host action: runs with the device idle and the Java thread's own state (see {@link DeviceStream}). */
  public void host(Runnable r) {
    action(() -> {
      lowering.sync();
      lowering.exit();
      try {
        r.run();
      } finally {
        lowering.enter();
      }
    });
  }

  // ---- memory ----

  /** A new buffer of {@code layout}, reusing released bytes of the same size when there are. */
  public B acquire(L layout) {
    return lowering.at(layout, pool.acquire(lowering.size(layout)));
  }

  /** Gives a buffer's bytes back for later buffers: nothing planned after this call may read it. */
  public void release(B b) {
    pool.release(b.address, b.bytes);
  }

  /** A buffer of {@code layout} that lives as long as the step and is never reused. */
  public B allocate(L layout) {
    return lowering.at(layout, memory.allocate(MemoryPlan.rounded(lowering.size(layout))));
  }

  /** A buffer of {@code layout} filled with {@code value} once, when compiled. */
  public B constant(L layout, float value) {
    B m = allocate(layout);
    float[] a = new float[(int) (m.bytes / Float.BYTES)];
    Arrays.fill(a, value);
    memory.put(m.address, a, 0, a.length);
    return m;
  }

  /** A view of {@code m}'s bytes in another layout (e.g. a row-major reshape). */
  public B view(B m, L layout) {
    return lowering.at(layout, m.address);
  }

  /**
   * {@code m} in layout {@code wanted}: itself, or a conversion. Persistent conversions are shared
   * by every reader of the step (forward values); temporary ones are new and the caller releases
   * them.
   */
  @SuppressWarnings("unchecked")
  public B ensure(B m, L wanted, boolean persistent) {
    if (lowering.same(m.layout, wanted)) {
      return m;
    }
    if (persistent) {
      for (StepBuffer<L> c : m.converted) {
        if (lowering.same(c.layout, wanted)) {
          return (B) c;
        }
      }
    }
    B c = acquire(wanted);
    lowering.reorder(this, m, c);
    if (persistent) {
      m.converted.add(c);
    }
    return c;
  }

  /** Plans a conversion of {@code from} into {@code to}. */
  public void reorder(B from, B to) {
    lowering.reorder(this, from, to);
  }

  /** Parameter slice {@code s} (or, when {@code grad}, its gradient) row-major. */
  public B param(NetworkGraph.Slice s, boolean grad) {
    return param(s, longs(s.shape().dims()), grad);
  }

  /**
   * Parameter slice {@code s} (or, when {@code grad}, its gradient) row-major with the device's
   * {@code dims} (e.g. grouped convolution weights with the groups axis); a gradient view is copied
   * out after every step.
   */
  public B param(NetworkGraph.Slice s, long[] dims, boolean grad) {
    if (grad) {
      nativeGrads.add(new int[] {s.offset(), s.shape().size()});
    }
    return lowering.at(lowering.rowMajor(dims), (grad ? gradBlock : paramBlock) + (long) s.offset() * Float.BYTES);
  }

  /** Buffer slice {@code s} (running statistics) row-major. */
  public B buffer(NetworkGraph.Slice s) {
    return lowering.at(lowering.rowMajor(longs(s.shape().dims())), bufferBlock + (long) s.offset() * Float.BYTES);
  }

  /**
   * The weights of slice {@code s} (row-major, {@code plainView}) as a kernel reads them, in layout
   * {@code wanted}. Ordinary steps convert the row-major parameters into it every step (shared by
   * every reader of the step). A resident step whose kernel wants another layout holds the weights
   * in it (with their gradient and optimizer state), converted in at {@link #load} and out at
   * {@link #store} only.
   */
  public B weightsIn(NetworkGraph.Slice s, B plainView, L wanted) {
    if (!resident) {
      return ensure(plainView, wanted, true);
    }
    if (!weightSlices.add(s.offset())) {
      // one held copy per slice: a second reader could want another layout
      throw new Unsupported("a resident step whose parameter slice is read by two nodes");
    }
    if (lowering.same(plainView.layout, wanted)) {
      return plainView;
    }
    long size = MemoryPlan.rounded(lowering.size(wanted));
    B w = lowering.at(wanted, memory.allocate(size));
    B gw = lowering.at(wanted, memory.allocate(size));
    List<B> held = new ArrayList<>();
    List<B> plainState = new ArrayList<>();
    for (int j = 0; j < stateBlocks; j++) {
      held.add(lowering.at(wanted, memory.allocate(size)));
      plainState.add(lowering.at(plainView.layout, stateBlock + ((long) j * paramCount + s.offset()) * Float.BYTES));
    }
    String t = tag;
    tag = t.substring(0, t.indexOf('/') + 1) + "load";
    planInto(loadProgram, () -> {
      reorder(plainView, w);
      for (int j = 0; j < stateBlocks; j++) {
        reorder(plainState.get(j), held.get(j));
      }
    });
    tag = t.substring(0, t.indexOf('/') + 1) + "store";
    planInto(storeProgram, () -> {
      reorder(w, plainView);
      for (int j = 0; j < stateBlocks; j++) {
        reorder(held.get(j), plainState.get(j));
      }
    });
    tag = t;
    masters.put(s.offset(), new Master<>(s, plainView, w, gw, held));
    return w;
  }

  /** Where the gradient of slice {@code s} goes: its held copy's gradient when it has one, else {@code plainView}. */
  public B gradientOf(NetworkGraph.Slice s, B plainView) {
    Master<B> m = masters.get(s.offset());
    return m != null ? m.grad : plainView;
  }

  // ---- gradients between nodes ----

  /** Whether backward must compute a gradient for producer p (the input and untrainable nodes need none). */
  public boolean needsDiff(int p) {
    return p >= 0 && g.nodes().get(p).trainable();
  }

  private B diffOf(int p) {
    if (diff.get(p) == null) {
      diff.set(p, acquire(act.get(p).layout));
    }
    return diff.get(p);
  }

  /**
   * Where a kernel writing a gradient for producer {@code p} in {@code layout} should write:
   * straight into p's gradient buffer when this is its first contribution in p's layout, else a
   * temporary that {@link #sunk} then adds in.
   */
  public B sink(int p, L layout) {
    if (needsDiff(p) && !written[p] && lowering.same(layout, act.get(p).layout)) {
      written[p] = true;
      return diffOf(p);
    }
    return acquire(layout);
  }

  /** After the kernel wrote {@code out} (from {@link #sink}): adds it into p's gradient. */
  public void sunk(int p, B out) {
    if (p >= 0 && out == diff.get(p)) {
      return;
    }
    if (needsDiff(p)) {
      deliver(p, out, 1);
    }
    release(out);
  }

  /** Adds {@code scale · contribution} into producer p's gradient buffer (the first one overwrites). */
  public void deliver(int p, B contribution, double scale) {
    B d = diffOf(p);
    if (!written[p] && scale == 1) {
      reorder(contribution, d);
      written[p] = true;
      return;
    }
    B c = ensure(contribution, d.layout, false);
    if (!written[p]) {
      lowering.sum(this, List.of(c), new float[] {(float) scale}, d);
    } else {
      lowering.sum(this, List.of(d, c), new float[] {1f, (float) scale}, d);
    }
    written[p] = true;
    if (c != contribution) {
      release(c);
    }
  }

  /**
   * Node i's output gradient {@code dy} becomes producer p's, unchanged (a ReLU fused into a kernel
   * whose backward applies the ReLU's derivative itself).
   */
  public void passGradient(int i, int p, B dy) {
    diff.set(p, dy);
    written[p] = true;
    diff.set(i, null);
  }

  // ---- compiling ----

  private void build() {
    List<NetworkGraph.Node> nodes = g.nodes();
    for (NetworkGraph.Node node : nodes) {
      for (NetworkGraph.Slice s : node.params()) {
        paramCount = Math.max(paramCount, s.offset() + s.shape().size());
      }
      for (NetworkGraph.Slice s : node.buffers()) {
        bufferCount = Math.max(bufferCount, s.offset() + s.shape().size());
      }
    }
    paramBlock = memory.allocate((long) Math.max(paramCount, 1) * Float.BYTES);
    gradBlock = memory.allocate((long) Math.max(paramCount, 1) * Float.BYTES);
    bufferBlock = memory.allocate((long) Math.max(bufferCount, 1) * Float.BYTES);
    if (resident) {
      stateBlock = memory.allocate((long) Math.max(stateBlocks * paramCount, 1) * Float.BYTES);
    }
    input = acquire(rowMajorOf(g.inputShape()));
    plan = new StepPlan(g, fuse, lowering::fusesRelu);
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).run()) {
        tag(nodes.get(i), "fwd");
        forward(i);
        description.append(nodes.get(i).name()).append(": ").append(nodes.get(i).op().getClass().getSimpleName())
            .append(plan.fusedInto(i) >= 0 ? " (fused)" : "").append('\n');
      }
    }
    if (training) {
      for (int h = 0; h < g.heads().length; h++) {
        loss(h);
      }
      for (int i = nodes.size() - 1; i >= 0; i--) {
        NetworkGraph.Node node = nodes.get(i);
        if (node.run() && node.trainable() && written[i]) {
          tag(node, "bwd");
          backward(i);
          if (diff.get(i) != null) {
            release(diff.get(i));
          }
        }
      }
    } else {
      int out = g.heads()[0];
      B plainLogits = ensure(act.get(out), rowMajorOf(nodes.get(out).outputShape()), true);
      Shape shape = nodes.get(out).outputShape().prepend(batch);
      host(() -> {
        logits = Tensor.zeros(shape);
        read(plainLogits, logits);
      });
    }
    lowering.finish(this);
    if (resident) {
      update = lowering.updateKernel(regions());
    }
  }

  private void forward(int i) {
    NetworkGraph.Node node = g.nodes().get(i);
    NetworkGraph.Op op = node.op();
    if (plan.fusedInto(i) >= 0) {
      act.set(i, act.get(plan.fusedInto(i)));
    } else if (op instanceof NetworkGraph.Sum s) {
      sumForward(i, node, s.scales());
    } else if (op instanceof NetworkGraph.Flatten) {
      B flat = ensure(src(node, 0), rowMajorOf(srcShape(node, 0)), true);
      act.set(i, view(flat, rowMajorOf(node.outputShape())));
    } else if (lowering.forward(this, i)) {
      lowered[i] = true;
    } else {
      hostForward(i, node, HostOps.of(op, batch));
    }
  }

  private void backward(int i) {
    NetworkGraph.Node node = g.nodes().get(i);
    NetworkGraph.Op op = node.op();
    B dy = diff.get(i);
    if (plan.fusedInto(i) >= 0) {
      tag(node, "bwd (fused)");
      lowering.backward(this, i, dy);
    } else if (lowered[i]) {
      lowering.backward(this, i, dy);
    } else if (op instanceof NetworkGraph.Sum s) {
      for (int j = 0; j < node.inputs().length; j++) {
        int p = node.inputs()[j];
        if (needsDiff(p)) {
          deliver(p, dy, s.scales()[j]);
        }
      }
    } else if (op instanceof NetworkGraph.Flatten) {
      int p = node.inputs()[0];
      if (needsDiff(p)) {
        deliver(p, view(dy, rowMajorOf(srcShape(node, 0))), 1);
      }
    } else {
      hostBackward(i, node, dy);
    }
  }

  private void sumForward(int i, NetworkGraph.Node node, double[] scales) {
    int n = node.inputs().length;
    B first = src(node, 0);
    List<B> srcs = new ArrayList<>();
    float[] s = new float[n];
    for (int j = 0; j < n; j++) {
      srcs.add(ensure(src(node, j), first.layout, true));
      s[j] = (float) scales[j];
    }
    B y = acquire(first.layout);
    lowering.sum(this, srcs, s, y);
    act.set(i, y);
  }

  /** Heap tensors of one host node's last forward call, kept for its backward. */
  private static final class HostSaved {
    HostOp op;
    Tensor[] srcs;
    Tensor dst;
  }

  private void hostForward(int i, NetworkGraph.Node node, HostOp op) {
    if (resident && !node.params().isEmpty()) {
      // its parameters would have to be on the heap for its own code every step
      throw new Unsupported(node.name() + ": a host layer with parameters in a resident step");
    }
    int n = node.inputs().length;
    List<B> ins = new ArrayList<>();
    Shape[] shapes = new Shape[n];
    for (int j = 0; j < n; j++) {
      ins.add(ensure(src(node, j), rowMajorOf(srcShape(node, j)), true));
      shapes[j] = srcShape(node, j).prepend(batch);
    }
    B y = acquire(rowMajorOf(node.outputShape()));
    Shape outShape = node.outputShape().prepend(batch);
    HostSaved s = new HostSaved();
    s.op = op;
    host(() -> {
      Tensor[] srcs = new Tensor[n];
      for (int j = 0; j < n; j++) {
        srcs[j] = Tensor.zeros(shapes[j]);
        read(ins.get(j), srcs[j]);
      }
      Tensor dst = op.forward(host, srcs, params, buffers, training, seeds.applyAsLong(i));
      if (!dst.shape().equals(outShape)) {
        throw new IllegalStateException(node.name() + ": host op gave " + dst.shape() + ", expected " + outShape);
      }
      write(y, dst);
      s.srcs = srcs;
      s.dst = dst;
    });
    act.set(i, y);
    saved[i] = s;
  }

  private void hostBackward(int i, NetworkGraph.Node node, B dy) {
    HostSaved s = (HostSaved) saved[i];
    int n = node.inputs().length;
    B ddy = ensure(dy, rowMajorOf(node.outputShape()), false);
    Shape outShape = node.outputShape().prepend(batch);
    List<B> outs = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      outs.add(needsDiff(node.inputs()[j]) ? acquire(rowMajorOf(srcShape(node, j))) : null);
    }
    host(() -> {
      Tensor d = Tensor.zeros(outShape);
      read(ddy, d);
      Tensor[] diffSrcs = s.op.backward(host, s.srcs, s.dst, d, params, grads);
      for (int j = 0; j < n; j++) {
        B out = outs.get(j);
        if (out != null) {
          if (diffSrcs[j] != null) {
            write(out, diffSrcs[j]);
          } else {
            memory.zero(out.address, out.bytes);
          }
        }
      }
    });
    for (int j = 0; j < n; j++) {
      if (outs.get(j) != null) {
        deliver(node.inputs()[j], outs.get(j), 1);
        release(outs.get(j));
      }
    }
    if (ddy != dy) {
      release(ddy);
    }
  }

  private void read(B b, Tensor t) {
    memory.get(b.address, t.floatArray(), t.offset(), t.size());
  }

  private void write(B b, Tensor t) {
    memory.put(b.address, t.floatArray(), t.offset(), t.size());
  }

  /**
   * Softmax cross-entropy of head {@code h}, planned into the step: the device's log-softmax on
   * the logits as a row-major (batch, classes) matrix, then one host action that reads the
   * log-probabilities and writes the logits' gradient straight from and into device memory by
   * {@link SoftmaxCrossEntropy}'s formula. No tensor is allocated per step.
   */
  private void loss(int h) {
    if (!g.loss().readsLabels()) {
      targetLoss(h);
      return;
    }
    int head = g.heads()[h];
    double weight = g.headWeights()[h];
    NetworkGraph.Node node = g.nodes().get(head);
    tag(node, "loss");
    int k = node.outputShape().size();
    L md = lowering.rowMajor(new long[] {batch, k});
    B x = view(ensure(act.get(head), rowMajorOf(node.outputShape()), true), md);
    tag(node, "loss.softmax");
    B logp = lowering.logSoftmax(this, x);
    tag(node, "loss");
    B d = acquire(md);
    FloatBuffer y = memory.floats(logp.address, (long) batch * k);
    FloatBuffer dx = memory.floats(d.address, (long) batch * k);
    double scale = weight / batch;
    host(() -> {
      double l = SoftmaxCrossEntropy.loss(y, labels, batch, k);
      if (h == 0) {
        loss = l;
      }
      SoftmaxCrossEntropy.gradient(y, labels, batch, k, scale, dx);
    });
    release(logp);
    if (g.nodes().get(head).trainable()) {
      deliver(head, d, 1);
    }
    release(d);
  }

  /**
   * A loss against targets ({@link TargetLoss}) of head {@code h}, planned into the step: the
   * head's output converted to row-major where the device holds it in another layout, then one host
   * action that reads it and the step's targets and writes the gradient straight into device memory
   * (a pass over the values, no tensor allocated per step), delivered back into the head's layout.
   */
  private void targetLoss(int h) {
    int head = g.heads()[h];
    double weight = g.headWeights()[h];
    NetworkGraph.Node node = g.nodes().get(head);
    tag(node, "loss");
    int e = node.outputShape().size();
    L md = rowMajorOf(node.outputShape());
    B x = ensure(act.get(head), md, true);
    B d = acquire(md);
    FloatBuffer y = memory.floats(x.address, (long) batch * e);
    FloatBuffer dx = memory.floats(d.address, (long) batch * e);
    NetworkGraph.LossKind kind = g.loss();
    host(() -> {
      double l = TargetLoss.lossAndGradient(kind, y, targets, targetOffset, batch, e, weight, dx);
      if (h == 0) {
        loss = l;
      }
    });
    if (node.trainable()) {
      deliver(head, d, 1);
    }
    release(d);
  }

  /** Checks the step's labels or targets against the graph's loss and holds them for its host actions. */
  private void takeTargets(int[] labels, Tensor targets) {
    if (g.loss().readsLabels()) {
      if (labels == null || labels.length != batch) {
        throw new IllegalArgumentException((labels == null ? "no" : labels.length) + " labels for a batch of " + batch);
      }
      this.labels = labels;
      return;
    }
    Shape want = g.nodes().get(g.heads()[0]).outputShape().prepend(batch);
    String id = g.loss().name().toLowerCase(java.util.Locale.ROOT);
    if (targets == null || !targets.shape().equals(want)) {
      throw new IllegalArgumentException(id + ": targets " + (targets == null ? "missing" : "of " + targets.shape())
          + " for outputs of " + want);
    }
    boolean plain = targets.dtype() == dev.fovea.kernels.DType.FLOAT32;
    float[] t = plain ? targets.floatArray() : targets.toFloatArray();
    int offset = plain ? targets.offset() : 0;
    TargetLoss.check(g.loss(), t, offset, want.size());
    this.targets = t;
    this.targetOffset = offset;
  }

  /**
   * The regions the resident update runs over: every row-major part of the parameter vector not
   * held in another layout (gradients there stay zero where no node writes them, as in the heap
   * loop), then each held slice whole. A held slice's padding (blocked layouts round channels up)
   * starts at zero in weights, gradient and state, and stays zero: kernels write zeros to the
   * padding of their outputs, and every optimizer's update of a zero weight with a zero gradient
   * and zero state is zero (no clipping or decay moves it, and it adds nothing to the gradient's
   * norm).
   */
  private List<UpdateKernel.Region> regions() {
    List<UpdateKernel.Region> regions = new ArrayList<>();
    List<Master<B>> ms = new ArrayList<>(masters.values());
    ms.sort((a, b) -> Integer.compare(a.slice.offset(), b.slice.offset()));
    int at = 0;
    for (Master<B> m : ms) {
      addRegion(regions, at, m.slice.offset() - at);
      at = m.slice.offset() + m.slice.shape().size();
    }
    addRegion(regions, at, paramCount - at);
    for (Master<B> m : ms) {
      long[] state = new long[stateBlocks];
      for (int j = 0; j < stateBlocks; j++) {
        state[j] = m.state.get(j).address;
      }
      regions.add(new UpdateKernel.Region(m.weights.address, m.grad.address, state, m.weights.bytes / Float.BYTES));
    }
    return regions;
  }

  /** The row-major parameters {@code [offset, offset + count)} as a region of the update. */
  private void addRegion(List<UpdateKernel.Region> regions, int offset, int count) {
    if (count > 0) {
      long o = (long) offset * Float.BYTES;
      long[] state = new long[stateBlocks];
      for (int j = 0; j < stateBlocks; j++) {
        state[j] = stateBlock + (long) j * paramCount * Float.BYTES + o;
      }
      regions.add(new UpdateKernel.Region(paramBlock + o, gradBlock + o, state, count));
    }
  }

  // ---- running ----

  private void checkBatch(Tensor src) {
    if (!src.shape().equals(g.inputShape().prepend(batch))) {
      throw new IllegalArgumentException("input batch " + src.shape() + " does not match the compiled step's "
          + g.inputShape().prepend(batch));
    }
  }

  private void load(float[] params, float[] buffers, Tensor src) {
    checkBatch(src);
    if (params.length < paramCount || buffers.length < bufferCount) {
      throw new IllegalArgumentException("parameter or buffer vector too short for the compiled step");
    }
    write(input, src);
    memory.put(paramBlock, params, 0, paramCount);
    memory.put(bufferBlock, buffers, 0, bufferCount);
  }

  private void execute() {
    program.run(lowering, profiling);
  }

  @Override
  public double lossAndGradient(float[] params, float[] buffers, float[] grads, Tensor src, int[] labels,
      Tensor targets, IntToLongFunction seeds) {
    if (!training) {
      throw new IllegalStateException("an evaluation step cannot train");
    }
    if (resident) {
      throw new IllegalStateException("a resident step trains through load, step and store");
    }
    takeTargets(labels, targets);
    load(params, buffers, src);
    memory.zero(gradBlock, (long) Math.max(paramCount, 1) * Float.BYTES);
    this.params = params;
    this.buffers = buffers;
    this.grads = grads;
    this.seeds = seeds;
    try {
      execute();
      for (int[] s : nativeGrads) {
        memory.get(gradBlock + (long) s[0] * Float.BYTES, grads, s[0], s[1]);
      }
      return loss;
    } finally {
      forgetStepInputs();
    }
  }

  /** Drops the references to the caller's arrays that host nodes read during one step. */
  private void forgetStepInputs() {
    this.params = null;
    this.buffers = null;
    this.grads = null;
    this.labels = null;
    this.targets = null;
    this.seeds = null;
  }

  @Override
  public Tensor forward(float[] params, float[] buffers, Tensor src, IntToLongFunction seeds) {
    if (training) {
      throw new IllegalStateException("a training step does not evaluate");
    }
    load(params, buffers, src);
    this.params = params;
    this.buffers = buffers;
    this.seeds = seeds;
    try {
      execute();
      Tensor out = logits;
      logits = null;
      return out;
    } finally {
      forgetStepInputs();
    }
  }

  // ---- resident steps ----

  private void checkResident(long token) {
    if (!resident || closed) {
      throw new IllegalStateException(closed ? "the resident step was freed (its backend closed or evicted it)"
          : "this step is not resident");
    }
    if (token != this.token) {
      throw new IllegalStateException("the resident step was loaded by someone else since");
    }
  }

  @Override
  public int stateBlocks() {
    return stateBlocks;
  }

  @Override
  public long load(float[] params, float[] state) {
    checkResident(token);
    if (params.length != paramCount || state.length != (long) stateBlocks * paramCount) {
      throw new IllegalArgumentException("resident step of " + paramCount + " parameters and " + stateBlocks
          + " state blocks loaded with " + params.length + " parameters and " + state.length + " state values");
    }
    memory.put(paramBlock, params, 0, paramCount);
    memory.put(stateBlock, state, 0, state.length);
    // gradients no node writes stay zero for the whole round, as the heap loop's zeroed vector
    memory.zero(gradBlock, (long) Math.max(paramCount, 1) * Float.BYTES);
    for (Master<B> m : masters.values()) {
      memory.zero(m.grad.address, m.grad.bytes);
    }
    loadProgram.run(lowering, profiling);
    return ++token;
  }

  @Override
  public double step(long token, float[] buffers, Tensor src, int[] labels, Tensor targets, IntToLongFunction seeds,
      UpdateRule rule, long step) {
    checkResident(token);
    checkBatch(src);
    if (buffers.length < bufferCount) {
      throw new IllegalArgumentException("buffer vector too short for the compiled step");
    }
    if (rule.optimizer().stateBlocks() != stateBlocks) {
      throw new IllegalArgumentException("a resident step holding " + stateBlocks + " state blocks cannot run "
          + rule.optimizer() + " (" + rule.optimizer().stateBlocks() + ")");
    }
    takeTargets(labels, targets);
    write(input, src);
    memory.put(bufferBlock, buffers, 0, bufferCount);
    // no host node of a resident step has parameters (compile refuses them): they get empty vectors
    this.params = new float[0];
    this.grads = new float[0];
    this.buffers = buffers;
    this.seeds = seeds;
    try {
      execute();
    } finally {
      forgetStepInputs();
    }
    // the device's update kernel, outside execute: a host kernel runs in the Java thread's own
    // floating-point mode, as on the heap
    update.apply(rule, step);
    return loss;
  }

  @Override
  public void store(long token, float[] params, float[] state) {
    checkResident(token);
    if (params.length != paramCount || state.length != (long) stateBlocks * paramCount) {
      throw new IllegalArgumentException("resident step of " + paramCount + " parameters and " + stateBlocks
          + " state blocks stored into " + params.length + " parameters and " + state.length + " state values");
    }
    storeProgram.run(lowering, profiling);
    memory.get(paramBlock, params, 0, paramCount);
    memory.get(stateBlock, state, 0, state.length);
  }

  // ---- for tests ----

  /**
   * For tests of the update kernel alone: sets the loaded step's gradient to {@code grads} (the
   * flat vector, converted into each held slice's layout), then runs the update {@link #step} runs
   * after its backward pass. Returns the gradient norm before clipping.
   */
  public double updateWith(long token, float[] grads, UpdateRule rule, long step) {
    checkResident(token);
    if (grads.length != paramCount) {
      throw new IllegalArgumentException(grads.length + " gradients for " + paramCount + " parameters");
    }
    memory.put(gradBlock, grads, 0, paramCount);
    for (Master<B> m : masters.values()) {
      memory.zero(m.grad.address, m.grad.bytes);
      lowering.convertNow(m.plain.layout, gradBlock + (long) m.slice.offset() * Float.BYTES, m.weights.layout,
          m.grad.address);
    }
    return update.apply(rule, step);
  }

  /**
   * For tests: how many padding elements of the held weights, gradients and state blocks are not
   * zero (blocked layouts round channels up; those elements must stay zero). Padding is found by
   * converting a row-major slice of ones into the held layout: what stays zero is padding. Its
   * scratch blocks stay allocated until the step closes.
   */
  public long nonzeroPadding() {
    long bad = 0;
    for (Master<B> m : masters.values()) {
      int n = m.slice.shape().size();
      long count = m.weights.bytes / Float.BYTES;
      long ones = memory.allocate((long) n * Float.BYTES);
      long mark = memory.allocate(m.weights.bytes);
      float[] a = new float[n];
      Arrays.fill(a, 1f);
      memory.put(ones, a, 0, n);
      memory.zero(mark, m.weights.bytes);
      lowering.convertNow(m.plain.layout, ones, m.weights.layout, mark);
      FloatBuffer marks = memory.floats(mark, count);
      List<FloatBuffer> held = new ArrayList<>(List.of(memory.floats(m.weights.address, count),
          memory.floats(m.grad.address, count)));
      for (B st : m.state) {
        held.add(memory.floats(st.address, count));
      }
      for (int i = 0; i < count; i++) {
        if (marks.get(i) == 0f) {
          for (FloatBuffer h : held) {
            bad += h.get(i) != 0f ? 1 : 0;
          }
        }
      }
    }
    return bad;
  }

  /** How many padding elements the held layouts have in all (for tests: whether padding was tested at all). */
  public long paddingElements() {
    long n = 0;
    for (Master<B> m : masters.values()) {
      n += m.weights.bytes / Float.BYTES - m.slice.shape().size();
    }
    return n;
  }

  /** How many weight slices a resident step holds in a kernel's layout rather than row-major. */
  public int masterCount() {
    return masters.size();
  }

  // ---- profile and lifetime ----

  /**
   * Turns per-action timing on or off (each action then waits for the device, so the times add up
   * to the step's); turning it on clears what was timed so far.
   */
  public void profile(boolean on) {
    profiling = on;
    program.resetProfile();
    loadProgram.resetProfile();
    storeProgram.resetProfile();
  }

  /**
   * Seconds spent per tag ({@code node/part}) in the steps run since profiling was turned on, added
   * into {@code out}: the round's load and store actions first, then the step's.
   */
  public void profileInto(Map<String, Double> out) {
    loadProgram.profileInto(out);
    storeProgram.profileInto(out);
    program.profileInto(out);
  }

  /** Frees every device object and block of the step. */
  @Override
  public void close() {
    closed = true;
    update = null;
    lowering.close();
    memory.close();
    program.clear();
  }
}
