package dev.fovea.kernels.compile;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.CompiledNetwork;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.ResidentNetwork;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.optim.UpdateRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
 * <p>This class is what a lowering sees (the buffers, memory and gradient routing it plans with)
 * and the public face of the step; {@link StepBuilder} plans the program from the graph, {@link
 * StepRun} runs it with a step's arguments, and {@link ResidentState} holds what a resident step
 * keeps between steps.
 *
 * @param <B> the device's buffer
 * @param <L> the device's layout descriptor
 */
public final class CompiledStep<B extends StepBuffer<L>, L>
    implements CompiledNetwork, ResidentNetwork, AutoCloseable {

  final StepLowering<B, L> lowering;
  final DeviceMemory memory;
  private final MemoryPlan pool;
  /** The backend host nodes run their ops on. */
  final Backend host;
  private final NetworkGraph g;
  private final int batch;
  private final boolean training;
  private final boolean fuse;
  private final boolean resident;
  private StepPlan plan;

  final Program program = new Program();
  /** Resident steps: what {@link #load} and {@link #store} run after and before copying (conversions). */
  final Program loadProgram = new Program();
  final Program storeProgram = new Program();
  /** Where {@link #action} puts what is planned now: the step's program when null. */
  private Program redirect;
  String tag = "";
  boolean profiling;
  final StringBuilder description = new StringBuilder();

  long paramBlock;
  long gradBlock;
  long bufferBlock;
  boolean closed;
  int paramCount;
  int bufferCount;
  /** The gradient slices lowered nodes write: (offset, size) pairs copied out after a step. */
  final List<int[]> nativeGrads = new ArrayList<>();
  B input;
  private final List<B> act;
  final List<B> diff;
  final boolean[] written;
  /** What backward needs of each node's forward. */
  private final Object[] saved;

  /** The step's arguments while it runs, and its ordinary-step calls. */
  final StepRun<B, L> run = new StepRun<>(this);
  /** What a resident step holds between steps (nothing for an ordinary step). */
  private final ResidentState<B, L> residentState;

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
    this.residentState = new ResidentState<>(this, Math.max(stateBlocks, 0));
    int n = g.nodes().size();
    act = new ArrayList<>(java.util.Collections.nCopies(n, null));
    diff = new ArrayList<>(java.util.Collections.nCopies(n, null));
    written = new boolean[n];
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
    return run.buffers;
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
  void planInto(Program into, Runnable r) {
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
    return residentState.weightsIn(s, plainView, wanted);
  }

  /** Where the gradient of slice {@code s} goes: its held copy's gradient when it has one, else {@code plainView}. */
  public B gradientOf(NetworkGraph.Slice s, B plainView) {
    return residentState.gradientOf(s, plainView);
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
      residentState.allocate();
    }
    input = acquire(rowMajorOf(g.inputShape()));
    plan = new StepPlan(g, fuse, lowering::fusesRelu);
    new StepBuilder<>(this).build();
    lowering.finish(this);
    if (resident) {
      residentState.finish();
    }
  }

  void read(B b, Tensor t) {
    memory.get(b.address, t.floatArray(), t.offset(), t.size());
  }

  void write(B b, Tensor t) {
    memory.put(b.address, t.floatArray(), t.offset(), t.size());
  }

  // ---- running ----

  @Override
  public double lossAndGradient(float[] params, float[] buffers, float[] grads, Tensor src, int[] labels,
      Tensor targets, IntToLongFunction seeds) {
    return run.lossAndGradient(params, buffers, grads, src, labels, targets, seeds);
  }

  @Override
  public Tensor forward(float[] params, float[] buffers, Tensor src, IntToLongFunction seeds) {
    return run.forward(params, buffers, src, seeds);
  }

  // ---- resident steps ----

  @Override
  public int stateBlocks() {
    return residentState.stateBlocks();
  }

  @Override
  public long load(float[] params, float[] state) {
    return residentState.load(params, state);
  }

  @Override
  public double step(long token, float[] buffers, Tensor src, int[] labels, Tensor targets, IntToLongFunction seeds,
      UpdateRule rule, long step) {
    return residentState.step(token, buffers, src, labels, targets, seeds, rule, step);
  }

  @Override
  public void store(long token, float[] params, float[] state) {
    residentState.store(token, params, state);
  }

  // ---- for tests ----

  /**
   * For tests of the update kernel alone: sets the loaded step's gradient to {@code grads} (the
   * flat vector, converted into each held slice's layout), then runs the update {@link #step} runs
   * after its backward pass. Returns the gradient norm before clipping.
   */
  public double updateWith(long token, float[] grads, UpdateRule rule, long step) {
    return residentState.updateWith(token, grads, rule, step);
  }

  /**
   * For tests: how many padding elements of the held weights, gradients and state blocks are not
   * zero (blocked layouts round channels up; those elements must stay zero). Padding is found by
   * converting a row-major slice of ones into the held layout: what stays zero is padding. Its
   * scratch blocks stay allocated until the step closes.
   */
  public long nonzeroPadding() {
    return residentState.nonzeroPadding();
  }

  /** How many padding elements the held layouts have in all (for tests: whether padding was tested at all). */
  public long paddingElements() {
    return residentState.paddingElements();
  }

  /** How many weight slices a resident step holds in a kernel's layout rather than row-major. */
  public int masterCount() {
    return residentState.masterCount();
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
    residentState.close();
    lowering.close();
    memory.close();
    program.clear();
  }
}
