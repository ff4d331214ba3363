package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.any;
import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.longs;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static dev.fovea.kernels.backend.onednn.OneDnnPlan.query;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.CompiledNetwork;
import dev.fovea.kernels.HostOp;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResidentNetwork;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.optim.Segment;
import dev.fovea.optim.UpdateRule;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToLongFunction;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * A whole network step compiled for oneDNN: one program of primitives and host actions, built once
 * per (network, batch, mode) from a {@link NetworkGraph}, run many times.
 *
 * <p>Activations and their gradients stay in native memory in the layouts the primitives choose
 * ({@code format_tag any}, never timed, so planning is fast and deterministic); a reorder is added
 * only where a consumer wants another layout than its producer wrote, at the input batch, at
 * flatten and global pooling (to row-major, viewed as {@code (N, K)}), at the loss and around
 * host nodes. Per step the flat parameter vector is copied in once (and reordered into the
 * primitives' weight layouts) and the gradients of native nodes are copied out once. A
 * convolution or batch norm whose only consumer is a ReLU runs it fused (a post-op, or {@code
 * fuse_norm_relu}); the ReLU's backward then reads the fused output.
 *
 * <p>Memory: every native block comes from {@code malloc} and is freed in {@link #close()}.
 * Activations live for the whole step (backward needs them); gradient buffers and temporaries of
 * the backward pass are reused between nodes whose lifetimes do not overlap (a free list by
 * size, decided when compiling), and all primitives share one user scratchpad.
 */
final class OneDnnCompiledNetwork implements CompiledNetwork, ResidentNetwork, AutoCloseable {
  private static final int ALIGN = 64;

  /** A native address as a JavaCPP pointer. */
  private static final class Address extends Pointer {
    Address(long a) {
      address = a;
    }
  }

  /** A weight slice held natively in a primitive's layout, with its gradient and optimizer state blocks in the same layout. */
  private record Master(NetworkGraph.Slice slice, Mem plain, Mem weights, Mem grad, Mem[] state) {}

  /** A dnnl memory object over native bytes at {@code address}, in layout {@code md}. */
  private final class Mem {
    final dnnl_memory memory;
    final dnnl_memory_desc md;
    final long address;
    final long bytes;
    /** Conversions of this buffer into other layouts, made once per step (forward only). */
    final List<Mem> converted = new ArrayList<>();

    Mem(dnnl_memory_desc md, long address) {
      this.md = md;
      this.address = address;
      this.bytes = dnnl_memory_desc_get_size(md);
      memory = new dnnl_memory();
      check(dnnl_memory_create(memory, md, engine, new Address(address)), "memory_create");
      releases.add(() -> dnnl_memory_destroy(memory));
    }

    FloatPointer data() {
      return new FloatPointer(new Address(address));
    }

    void write(Tensor t) {
      data().put(t.floatArray(), t.offset(), t.size());
    }

    void read(Tensor t) {
      data().get(t.floatArray(), t.offset(), t.size());
    }
  }

  private final OneDnnBackend backend;
  private final OneDnnDenormals denormals;
  private final int threads;
  private final dnnl_engine engine;
  private final dnnl_stream stream;
  private final OneDnnContext.NativeMemory account;
  private final NetworkGraph g;
  private final int batch;
  private final boolean training;
  /** Whether a ReLU is fused into the convolution or batch norm before it when it is their only consumer. */
  private final boolean fuse;
  /**
   * Whether parameters, gradients and optimizer state stay native between steps ({@link ResidentNetwork}):
   * weights a primitive wants in another layout than row-major are then held in that layout (their
   * master copy), reordered in by {@link #load} and out by {@link #store} only.
   */
  private final boolean resident;
  /** Resident steps: the optimizer's state blocks held per parameter ({@link ResidentNetwork#stateBlocks}). */
  private final int stateBlocks;

  private final List<Runnable> releases = new ArrayList<>();
  private final List<Pointer> blocks = new ArrayList<>();
  private long bytes;
  private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
  private final List<dnnl_memory> scratchMems = new ArrayList<>();
  private long scratchBytes;
  private dnnl_primitive_attr attr;
  private final List<Runnable> program = new ArrayList<>();
  /** What each program action is for, {@code node/part} (e.g. {@code conv1/fwd.weights}): the profile's keys. */
  private final List<String> tags = new ArrayList<>();
  private String tag = "";
  private long[] profileNs;
  private boolean profiling;
  private final StringBuilder description = new StringBuilder();
  /** The implementation oneDNN picked for each convolution pass, by tag. */
  private final Map<String, String> impls = new LinkedHashMap<>();

  private long paramBlock;
  private long gradBlock;
  private long bufferBlock;
  /**
   * Resident steps: the optimizer state of every row-major parameter, {@code stateBlocks} blocks of
   * the parameter count, each at the parameter vector's offsets.
   */
  private long stateBlock;
  /** Resident steps: the weights held in a primitive's layout, by slice offset. */
  private final Map<Integer, Master> masters = new HashMap<>();
  /** Resident steps: the offsets of every weight slice a primitive reads (each must be read by one node). */
  private final java.util.Set<Integer> weightSlices = new java.util.HashSet<>();
  /** Resident steps: what {@link #load} and {@link #store} run after and before copying (reorders). */
  private final List<Runnable> loadProgram = new ArrayList<>();
  private final List<Runnable> storeProgram = new ArrayList<>();
  private final List<String> loadTags = new ArrayList<>();
  private final List<String> storeTags = new ArrayList<>();
  /** Seconds of the load and store actions while profiling, by tag ({@code node/load}, {@code node/store}). */
  private final Map<String, Double> roundProfile = new LinkedHashMap<>();
  /** Where {@link #action} puts what is planned now (and its tags): the step's program when null. */
  private List<Runnable> redirect;
  private List<String> redirectTags;
  /** Resident steps: the segments (params, grads, state blocks) the update runs over; together the whole vector. */
  private final List<Segment> updates = new ArrayList<>();
  private long token;
  private boolean closed;
  private int paramCount;
  private int bufferCount;
  /** The gradient slices native nodes write: (offset, size) pairs copied out after a step. */
  private final List<int[]> nativeGrads = new ArrayList<>();
  private Mem input;
  private final Mem[] act;
  private final Mem[] diff;
  private final boolean[] written;
  /** The node a fused ReLU's output belongs to (or -1), and the ReLU fused into a node (or -1). */
  private final int[] fusedInto;
  private final int[] fusedRelu;
  private final int[] consumers;
  /** Whether a node is a ReLU run in place over its producer's output (a sum's). */
  private final boolean[] inPlace;
  /** What backward needs of each node's forward, by kind. */
  private final Object[] saved;

  // the arguments of the step being run, read by host actions
  private float[] params;
  private float[] buffers;
  private float[] grads;
  private int[] labels;
  private IntToLongFunction seeds;
  private double loss;
  private Tensor logits;

  /** Compiles {@code g}; on failure frees what it made so far and rethrows. */
  static OneDnnCompiledNetwork compile(OneDnnBackend backend, OneDnnContext ctx, OneDnnDenormals denormals,
      int threads, NetworkGraph g, int batch, boolean training, boolean fuse, int stateBlocks) {
    OneDnnCompiledNetwork c = new OneDnnCompiledNetwork(backend, ctx, denormals, threads, g, batch, training, fuse,
        stateBlocks);
    try {
      c.build();
      return c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private OneDnnCompiledNetwork(OneDnnBackend backend, OneDnnContext ctx, OneDnnDenormals denormals, int threads,
      NetworkGraph g, int batch, boolean training, boolean fuse, int stateBlocks) {
    boolean resident = stateBlocks >= 0;
    if (resident && !training) {
      throw new IllegalArgumentException("only a training step is resident");
    }
    this.backend = backend;
    this.fuse = fuse;
    this.resident = resident;
    this.stateBlocks = Math.max(stateBlocks, 0);
    this.denormals = denormals;
    this.threads = threads;
    this.engine = ctx.engine();
    this.stream = ctx.stream();
    this.account = ctx.memory();
    this.g = g;
    this.batch = batch;
    this.training = training;
    int n = g.nodes().size();
    act = new Mem[n];
    diff = new Mem[n];
    written = new boolean[n];
    fusedInto = new int[n];
    fusedRelu = new int[n];
    consumers = new int[n];
    inPlace = new boolean[n];
    saved = new Object[n];
    Arrays.fill(fusedInto, -1);
    Arrays.fill(fusedRelu, -1);
  }

  /** Native bytes this step holds (blocks it allocated and its primitives' own memory). */
  long bytes() {
    return bytes;
  }

  /** One line per node: its op and the layout of its output. */
  String description() {
    return description.toString();
  }

  // ---- native memory ----

  private long malloc(long size) {
    Pointer p = Pointer.malloc(size + ALIGN);
    if (p == null || p.isNull()) {
      throw new OutOfMemoryError("oneDNN compiled step: cannot allocate " + (size + ALIGN) + " native bytes");
    }
    blocks.add(p);
    bytes += size + ALIGN;
    account.allocated(size + ALIGN);
    return (p.address() + ALIGN - 1) / ALIGN * ALIGN;
  }

  private static long rounded(long size) {
    return Math.max(ALIGN, (size + ALIGN - 1) / ALIGN * ALIGN);
  }

  /** A new buffer of layout {@code md}, reusing a released one of the same size when there is one. */
  private Mem acquire(dnnl_memory_desc md) {
    long size = rounded(dnnl_memory_desc_get_size(md));
    ArrayDeque<Long> q = free.get(size);
    long address = q != null && !q.isEmpty() ? q.pop() : malloc(size);
    return new Mem(md, address);
  }

  /** Gives a buffer's bytes back for later buffers: nothing planned after this call may read it. */
  private void release(Mem m) {
    free.computeIfAbsent(rounded(m.bytes), k -> new ArrayDeque<>()).push(m.address);
  }

  private dnnl_memory_desc own(dnnl_memory_desc md) {
    releases.add(() -> dnnl_memory_desc_destroy(md));
    return md;
  }

  private dnnl_primitive_desc own(dnnl_primitive_desc pd) {
    releases.add(() -> dnnl_primitive_desc_destroy(pd));
    return pd;
  }

  private static boolean same(dnnl_memory_desc a, dnnl_memory_desc b) {
    return dnnl_memory_desc_equal(a, b) != 0;
  }

  private long[] dims(Shape sample) {
    return longs(sample.prepend(batch).dims());
  }

  private dnnl_memory_desc plainOf(Shape sample) {
    return own(plain(dims(sample)));
  }

  /** An attribute with a user scratchpad and, when {@code relu}, a ReLU post-op. */
  private dnnl_primitive_attr attr(boolean relu) {
    if (!relu && attr != null) {
      return attr;
    }
    dnnl_primitive_attr a = new dnnl_primitive_attr();
    check(dnnl_primitive_attr_create(a), "primitive_attr_create");
    releases.add(() -> dnnl_primitive_attr_destroy(a));
    check(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user), "set_scratchpad_mode");
    if (relu) {
      dnnl_post_ops ops = new dnnl_post_ops();
      check(dnnl_post_ops_create(ops), "post_ops_create");
      releases.add(() -> dnnl_post_ops_destroy(ops));
      check(dnnl_post_ops_append_eltwise(ops, dnnl_eltwise_relu, 0f, 0f), "post_ops_append_eltwise");
      check(dnnl_primitive_attr_set_post_ops(a, ops), "set_post_ops");
      return a;
    }
    attr = a;
    return a;
  }

  /** Adds a primitive of {@code pd} on {@code mems} to the program. */
  private void exec(dnnl_primitive_desc pd, int[] args, Mem[] mems) {
    dnnl_primitive p = new dnnl_primitive();
    check(dnnl_primitive_create(p, pd), "primitive_create");
    releases.add(() -> dnnl_primitive_destroy(p));
    dnnl_memory_desc smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    long ss = smd == null || smd.isNull() ? 0 : dnnl_memory_desc_get_size(smd);
    int n = args.length + (ss > 0 ? 1 : 0);
    dnnl_exec_arg_t a = new dnnl_exec_arg_t(n);
    releases.add(a::close);
    for (int i = 0; i < args.length; i++) {
      a.position(i).arg(args[i]).memory(mems[i].memory);
    }
    if (ss > 0) {
      dnnl_memory sm = new dnnl_memory();
      check(dnnl_memory_create(sm, smd, engine, new Address(0)), "memory_create");
      releases.add(() -> dnnl_memory_destroy(sm));
      scratchMems.add(sm);
      scratchBytes = Math.max(scratchBytes, ss);
      a.position(args.length).arg(DNNL_ARG_SCRATCHPAD).memory(sm);
    }
    a.position(0);
    action(() -> check(dnnl_primitive_execute(p, stream, n, a), "primitive_execute"));
  }

  private void action(Runnable r) {
    if (redirect != null) {
      redirect.add(r);
      redirectTags.add(tag);
      return;
    }
    program.add(r);
    tags.add(tag);
  }

  /** Plans {@code r}'s actions into {@code into} instead of the step's program. */
  private void planInto(List<Runnable> into, List<String> intoTags, Runnable r) {
    redirect = into;
    redirectTags = intoTags;
    try {
      r.run();
    } finally {
      redirect = null;
      redirectTags = null;
    }
  }

  /**
   * The weights of slice {@code s} (row-major, {@code plainView}) as a primitive reads them, in
   * layout {@code wanted}. Ordinary steps reorder the row-major parameters into it every step
   * (shared by every reader of the step). A resident step whose primitive wants another layout
   * holds the weights in it (with their gradient and optimizer state), reordered in at {@link #load} and
   * out at {@link #store} only.
   */
  private Mem weightsIn(NetworkGraph.Slice s, Mem plainView, dnnl_memory_desc wanted) {
    if (!resident) {
      return ensure(plainView, wanted, true);
    }
    if (!weightSlices.add(s.offset())) {
      // one held copy per slice: a second reader could want another layout
      throw new OneDnn.Unimplemented("a parameter slice read by two nodes");
    }
    if (same(plainView.md, wanted)) {
      return plainView;
    }
    long size = rounded(dnnl_memory_desc_get_size(wanted));
    Mem w = new Mem(wanted, malloc(size));
    Mem gw = new Mem(wanted, malloc(size));
    Mem[] held = new Mem[stateBlocks];
    Mem[] plainState = new Mem[stateBlocks];
    for (int j = 0; j < stateBlocks; j++) {
      held[j] = new Mem(wanted, malloc(size));
      plainState[j] = new Mem(plainView.md, stateBlock + ((long) j * paramCount + s.offset()) * Float.BYTES);
    }
    String t = tag;
    tag = t.substring(0, t.indexOf('/') + 1) + "load";
    planInto(loadProgram, loadTags, () -> {
      reorder(plainView, w);
      for (int j = 0; j < stateBlocks; j++) {
        reorder(plainState[j], held[j]);
      }
    });
    tag = t.substring(0, t.indexOf('/') + 1) + "store";
    planInto(storeProgram, storeTags, () -> {
      reorder(w, plainView);
      for (int j = 0; j < stateBlocks; j++) {
        reorder(held[j], plainState[j]);
      }
    });
    tag = t;
    masters.put(s.offset(), new Master(s, plainView, w, gw, held));
    return w;
  }

  /** Where the gradient of slice {@code s} goes: its master's gradient when it has one, else {@code plainView}. */
  private Mem gradientOf(NetworkGraph.Slice s, Mem plainView) {
    Master m = masters.get(s.offset());
    return m != null ? m.grad : plainView;
  }

  /** Sets the tag of the actions planned next: {@code node/part}. */
  private void tag(NetworkGraph.Node node, String part) {
    tag = node.name() + "/" + part;
  }

  private void reorder(Mem from, Mem to) {
    // A 1×1 convolution's weights as the matrix they are: oneDNN has a blocked-reorder kernel for
    // (O, I) in 16×16 blocks back to row-major that it does not use for (O, I, 1, 1); measured on
    // 2048×512 weights, 0.17 ms instead of 0.34 (`jit:blk` instead of `jit:uni`).
    dnnl_memory_desc f = squeezed(from.md);
    dnnl_memory_desc t = f == null ? null : squeezed(to.md);
    if (f != null && t != null) {
      from = view(from, f);
      to = view(to, t);
    }
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_reorder_primitive_desc_create(pd, from.md, engine, to.md, engine, attr(false)),
        "reorder_primitive_desc_create");
    own(pd);
    exec(pd, new int[] {DNNL_ARG_FROM, DNNL_ARG_TO}, new Mem[] {from, to});
  }

  /**
   * {@code md} without its trailing dimensions of size 1 beyond the second, reshaped by oneDNN
   * (same bytes, same layout); null when it has none or oneDNN cannot reshape it.
   */
  private dnnl_memory_desc squeezed(dnnl_memory_desc md) {
    int nd;
    long[] dims;
    try (IntPointer v = new IntPointer(1); PointerPointer<Pointer> d = new PointerPointer<>(1)) {
      check(dnnl_memory_desc_query(md, dnnl_query_ndims_s32, v), "memory_desc_query");
      nd = v.get();
      check(dnnl_memory_desc_query(md, dnnl_query_dims, d), "memory_desc_query");
      dims = new long[nd];
      new LongPointer(d.get(0)).capacity(nd).get(dims);
    }
    int keep = nd;
    while (keep > 2 && dims[keep - 1] == 1) {
      keep--;
    }
    if (keep == nd) {
      return null;
    }
    dnnl_memory_desc out = new dnnl_memory_desc();
    if (dnnl_memory_desc_reshape(out, md, keep, Arrays.copyOf(dims, keep)) != dnnl_success) {
      return null;
    }
    return own(out);
  }

  /**
   * {@code m} in layout {@code wanted}: itself, or a conversion made by a reorder. Persistent
   * conversions are shared by every reader of the step (forward); temporary ones are new and the
   * caller releases them.
   */
  private Mem ensure(Mem m, dnnl_memory_desc wanted, boolean persistent) {
    if (same(m.md, wanted)) {
      return m;
    }
    if (persistent) {
      for (Mem c : m.converted) {
        if (same(c.md, wanted)) {
          return c;
        }
      }
    }
    Mem c = acquire(wanted);
    reorder(m, c);
    if (persistent) {
      m.converted.add(c);
    }
    return c;
  }

  /** A view of {@code m}'s bytes in another layout (e.g. a row-major reshape). */
  private Mem view(Mem m, dnnl_memory_desc md) {
    return new Mem(md, m.address);
  }

  private Mem paramMem(NetworkGraph.Slice s, boolean grad) {
    dnnl_memory_desc md = own(plain(longs(s.shape().dims())));
    if (grad) {
      nativeGrads.add(new int[] {s.offset(), s.shape().size()});
    }
    return new Mem(md, (grad ? gradBlock : paramBlock) + (long) s.offset() * Float.BYTES);
  }

  private Mem bufferMem(NetworkGraph.Slice s) {
    return new Mem(own(plain(longs(s.shape().dims()))), bufferBlock + (long) s.offset() * Float.BYTES);
  }

  /** A host action: runs with the stream idle and the Java thread's own floating-point mode. */
  private void host(Runnable r) {
    action(() -> {
      check(dnnl_stream_wait(stream), "stream_wait");
      denormals.exit();
      try {
        r.run();
      } finally {
        denormals.enter();
      }
    });
  }

  // ---- gradients between nodes ----

  private boolean needsDiff(int p) {
    return p >= 0 && g.nodes().get(p).trainable();
  }

  private Mem diffOf(int p) {
    if (diff[p] == null) {
      diff[p] = acquire(act[p].md);
    }
    return diff[p];
  }

  /**
   * Where a primitive writing a gradient for producer {@code p} in layout {@code md} should write:
   * straight into p's gradient buffer when this is its first contribution in p's layout, else a
   * temporary that {@link #deliver} then adds in.
   */
  private Mem sink(int p, dnnl_memory_desc md) {
    if (needsDiff(p) && !written[p] && same(md, act[p].md)) {
      written[p] = true;
      return diffOf(p);
    }
    return acquire(md);
  }

  /** After the primitive wrote {@code out} (from {@link #sink}): adds it into p's gradient. */
  private void sunk(int p, Mem out) {
    if (p >= 0 && out == diff[p]) {
      return;
    }
    if (needsDiff(p)) {
      deliver(p, out, 1);
    }
    release(out);
  }

  /** Adds {@code scale · contribution} into producer p's gradient buffer (the first one overwrites). */
  private void deliver(int p, Mem contribution, double scale) {
    Mem d = diffOf(p);
    if (!written[p] && scale == 1) {
      reorder(contribution, d);
      written[p] = true;
      return;
    }
    Mem c = ensure(contribution, d.md, false);
    if (!written[p]) {
      sum(new Mem[] {c}, new float[] {(float) scale}, d);
    } else {
      sum(new Mem[] {d, c}, new float[] {1f, (float) scale}, d);
    }
    written[p] = true;
    if (c != contribution) {
      release(c);
    }
  }

  private void sum(Mem[] srcs, float[] scales, Mem dst) {
    try (PointerPointer<dnnl_memory_desc> mds = new PointerPointer<>(srcs.length);
        PointerPointer<dnnl_primitive_desc> out = new PointerPointer<>(1)) {
      for (int i = 0; i < srcs.length; i++) {
        mds.put(i, srcs[i].md);
      }
      check(dnnl_sum_primitive_desc_create(out, engine, dst.md, srcs.length, scales, mds, attr(false)),
          "sum primitive_desc_create");
      dnnl_primitive_desc pd = own(new dnnl_primitive_desc(out.get(0)));
      int[] args = new int[srcs.length + 1];
      Mem[] mems = new Mem[srcs.length + 1];
      for (int i = 0; i < srcs.length; i++) {
        args[i] = DNNL_ARG_MULTIPLE_SRC + i;
        mems[i] = srcs[i];
      }
      args[srcs.length] = DNNL_ARG_DST;
      mems[srcs.length] = dst;
      exec(pd, args, mems);
    }
  }

  // ---- compiling ----

  private Mem src(NetworkGraph.Node node, int j) {
    int p = node.inputs()[j];
    return p < 0 ? input : act[p];
  }

  private Shape srcShape(NetworkGraph.Node node, int j) {
    int p = node.inputs()[j];
    return p < 0 ? g.inputShape() : g.nodes().get(p).outputShape();
  }

  private static boolean isRelu(NetworkGraph.Op op) {
    return op instanceof NetworkGraph.Eltwise e && e.f().kind() == Activation.Kind.RELU && e.f().alpha() == 0;
  }

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
    paramBlock = malloc((long) Math.max(paramCount, 1) * Float.BYTES);
    gradBlock = malloc((long) Math.max(paramCount, 1) * Float.BYTES);
    bufferBlock = malloc((long) Math.max(bufferCount, 1) * Float.BYTES);
    if (resident) {
      stateBlock = malloc((long) Math.max(stateBlocks * paramCount, 1) * Float.BYTES);
    }
    input = acquire(plainOf(g.inputShape()));
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).run()) {
        for (int p : nodes.get(i).inputs()) {
          if (p >= 0) {
            consumers[p]++;
          }
        }
      }
    }
    for (int h : g.heads()) {
      consumers[h]++;
    }
    for (int i = 0; i < nodes.size(); i++) {
      NetworkGraph.Node node = nodes.get(i);
      if (!node.run()) {
        continue;
      }
      NetworkGraph.Op op = node.op();
      if (fuse && isRelu(op) && node.inputs()[0] >= 0 && consumers[node.inputs()[0]] == 1) {
        NetworkGraph.Op before = nodes.get(node.inputs()[0]).op();
        if (before instanceof NetworkGraph.Convolution || before instanceof NetworkGraph.BatchNormalization) {
          fusedInto[i] = node.inputs()[0];
          fusedRelu[node.inputs()[0]] = i;
        } else if (before instanceof NetworkGraph.Sum) {
          // a sum's output is read by nothing else and its backward does not need it: the ReLU
          // overwrites it in place, and its backward reads the ReLU's output instead
          inPlace[i] = true;
        }
      }
    }
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).run()) {
        tag(nodes.get(i), "fwd");
        forward(i);
        description.append(nodes.get(i).name()).append(": ").append(nodes.get(i).op().getClass().getSimpleName())
            .append(fusedInto[i] >= 0 ? " (fused)" : "").append('\n');
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
          if (diff[i] != null) {
            release(diff[i]);
          }
        }
      }
    } else {
      int out = g.heads()[0];
      Mem plainLogits = ensure(act[out], plainOf(nodes.get(out).outputShape()), true);
      Shape shape = nodes.get(out).outputShape().prepend(batch);
      host(() -> {
        logits = Tensor.zeros(shape);
        plainLogits.read(logits);
      });
    }
    if (scratchBytes > 0) {
      long s = malloc(scratchBytes);
      for (dnnl_memory m : scratchMems) {
        check(dnnl_memory_set_data_handle(m, new Address(s)), "memory_set_data_handle");
      }
    }
    if (resident) {
      planUpdates();
    }
  }

  /**
   * The regions the resident update runs over: every row-major part of the parameter vector not
   * held by a master (gradients there stay zero where no node writes them, as in the heap loop),
   * then each master whole. A master's padding (blocked layouts round channels up) starts at zero
   * in weights, gradient and state, and stays zero: oneDNN writes zeros to the padding of its
   * outputs, and every optimizer's update of a zero weight with a zero gradient and zero state is
   * zero (no clipping or decay moves it, and it adds nothing to the gradient's norm).
   */
  private void planUpdates() {
    List<Master> ms = new ArrayList<>(masters.values());
    ms.sort((a, b) -> Integer.compare(a.slice.offset(), b.slice.offset()));
    int at = 0;
    for (Master m : ms) {
      addUpdate(at, m.slice.offset() - at);
      at = m.slice.offset() + m.slice.shape().size();
    }
    addUpdate(at, paramCount - at);
    for (Master m : ms) {
      long count = m.weights.bytes / Float.BYTES;
      FloatBuffer[] state = new FloatBuffer[stateBlocks];
      for (int j = 0; j < stateBlocks; j++) {
        state[j] = floats(m.state[j].address, count);
      }
      updates.add(new Segment(floats(m.weights.address, count), floats(m.grad.address, count), state));
    }
  }

  /** The row-major parameters {@code [offset, offset + count)} as a segment of the update. */
  private void addUpdate(int offset, int count) {
    if (count > 0) {
      long o = (long) offset * Float.BYTES;
      FloatBuffer[] state = new FloatBuffer[stateBlocks];
      for (int j = 0; j < stateBlocks; j++) {
        state[j] = floats(stateBlock + (long) j * paramCount * Float.BYTES + o, count);
      }
      updates.add(new Segment(floats(paramBlock + o, count), floats(gradBlock + o, count), state));
    }
  }

  /** A view of {@code count} native floats at {@code address}. */
  private static FloatBuffer floats(long address, long count) {
    return new FloatPointer(new Address(address)).capacity(count).limit(count).asBuffer();
  }

  private int prop() {
    return training ? dnnl_forward_training : dnnl_forward_inference;
  }

  private void forward(int i) {
    NetworkGraph.Node node = g.nodes().get(i);
    NetworkGraph.Op op = node.op();
    if (fusedInto[i] >= 0) {
      act[i] = act[fusedInto[i]];
      return;
    }
    if (op instanceof NetworkGraph.Convolution c) {
      convolution(i, node, c);
    } else if (op instanceof NetworkGraph.BatchNormalization b) {
      batchNorm(i, node, b);
    } else if (op instanceof NetworkGraph.Eltwise e && OneDnnEltwise.supports(e.f())) {
      eltwise(i, node, e.f());
    } else if (op instanceof NetworkGraph.Pooling p && OneDnnPooling.supports(p.p())) {
      pooling(i, node, p.p(), false);
    } else if (op instanceof NetworkGraph.GlobalPooling p
        && OneDnnPooling.supports(PoolParams.global(p.kind(), srcShape(node, 0).prepend(batch)))) {
      pooling(i, node, PoolParams.global(p.kind(), srcShape(node, 0).prepend(batch)), true);
    } else if (op instanceof NetworkGraph.InnerProduct) {
      innerProduct(i, node);
    } else if (op instanceof NetworkGraph.Sum s) {
      sumForward(i, node, s.scales());
    } else if (op instanceof NetworkGraph.Concat) {
      concat(i, node);
    } else if (op instanceof NetworkGraph.Flatten) {
      Mem flat = ensure(src(node, 0), plainOf(srcShape(node, 0)), true);
      act[i] = view(flat, plainOf(node.outputShape()));
    } else {
      hostForward(i, node, hostOp(op));
    }
  }

  /** The host op of a node the native path does not take (an op kind or a parameter oneDNN lacks). */
  private HostOp hostOp(NetworkGraph.Op op) {
    if (op instanceof NetworkGraph.Host h) {
      return h.op();
    }
    if (op instanceof NetworkGraph.Eltwise e) {
      return new HostOp() {
        @Override
        public Tensor forward(Backend b, Tensor[] srcs, float[] params, float[] buffers,
            boolean training, long seed) {
          Tensor dst = Tensor.zeros(srcs[0].shape());
          b.eltwiseForward(e.f(), srcs[0], dst);
          return dst;
        }

        @Override
        public Tensor[] backward(Backend b, Tensor[] srcs, Tensor dst, Tensor diffDst,
            float[] params, float[] grads) {
          Tensor diffSrc = Tensor.zeros(srcs[0].shape());
          b.eltwiseBackward(e.f(), srcs[0], diffDst, diffSrc);
          return new Tensor[] {diffSrc};
        }
      };
    }
    if (op instanceof NetworkGraph.Pooling || op instanceof NetworkGraph.GlobalPooling) {
      return new HostOp() {
        private PoolParams p(Tensor src) {
          return op instanceof NetworkGraph.Pooling q ? q.p()
              : PoolParams.global(((NetworkGraph.GlobalPooling) op).kind(), src.shape());
        }

        @Override
        public Tensor forward(Backend b, Tensor[] srcs, float[] params, float[] buffers,
            boolean training, long seed) {
          PoolParams p = p(srcs[0]);
          Tensor dst = Tensor.zeros(p.outputShape(srcs[0].shape()));
          b.poolingForward(p, srcs[0], dst);
          return op instanceof NetworkGraph.GlobalPooling ? dst.reshape(Shape.of(batch, dst.size() / batch)) : dst;
        }

        @Override
        public Tensor[] backward(Backend b, Tensor[] srcs, Tensor dst, Tensor diffDst,
            float[] params, float[] grads) {
          PoolParams p = p(srcs[0]);
          Tensor diffSrc = Tensor.zeros(srcs[0].shape());
          b.poolingBackward(p, srcs[0], diffDst.reshape(p.outputShape(srcs[0].shape())), diffSrc);
          return new Tensor[] {diffSrc};
        }
      };
    }
    throw new IllegalStateException("no host op for " + op);
  }

  private record ConvSaved(dnnl_primitive_desc fwd, OneDnnConvolution.Dims d, Mem src, Mem weights) {}

  private void convolution(int i, NetworkGraph.Node node, NetworkGraph.Convolution c) {
    Shape srcShape = srcShape(node, 0).prepend(batch);
    Shape wShape = node.params().get(0).shape();
    OneDnnConvolution.Dims d = OneDnnConvolution.dims(c.p(), srcShape, wShape);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_convolution_forward_primitive_desc_create(pd, engine, prop(), dnnl_convolution_direct,
        own(any(d.src())), own(any(d.weights())), c.bias() ? own(any(d.bias())) : null, own(any(d.dst())),
        d.strides(), d.dilates(), d.padL(), d.padR(), attr(fusedRelu[i] >= 0)),
        "convolution forward primitive_desc_create");
    Mem producer = src(node, 0);
    if (!same(producer.md, query(pd, DNNL_ARG_SRC))) {
      // the source as its producer wrote it, when oneDNN runs that with the same kernel
      dnnl_primitive_desc anyPd = pd;
      pd = sameKernel(pd, attempt(q -> dnnl_convolution_forward_primitive_desc_create(q, engine, prop(),
          dnnl_convolution_direct, producer.md, query(anyPd, DNNL_ARG_WEIGHTS),
          c.bias() ? query(anyPd, DNNL_ARG_BIAS) : null, query(anyPd, DNNL_ARG_DST), d.strides(), d.dilates(),
          d.padL(), d.padR(), attr(fusedRelu[i] >= 0))));
    }
    own(pd);
    tag(node, "fwd.src");
    Mem x = ensure(src(node, 0), query(pd, DNNL_ARG_SRC), true);
    Mem wPlain = weightsView(node.params().get(0), d.weights(), false);
    tag(node, "fwd.weights");
    Mem w = weightsIn(node.params().get(0), wPlain, query(pd, DNNL_ARG_WEIGHTS));
    Mem y = acquire(query(pd, DNNL_ARG_DST));
    tag(node, "fwd");
    impls.put(node.name() + "/fwd", OneDnnPlan.implementation(pd));
    if (c.bias()) {
      Mem b = paramMem(node.params().get(1), false);
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST}, new Mem[] {x, w, b, y});
    } else {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}, new Mem[] {x, w, y});
    }
    act[i] = y;
    // backward-data reads the weights from what the step holds: row-major, or a resident master
    saved[i] = new ConvSaved(pd, d, x, resident ? w : wPlain);
  }

  /**
   * A parameter (or, when {@code grad}, gradient) slice viewed with oneDNN's dims, which for
   * grouped convolution weights have the extra groups axis; row-major either way.
   */
  private Mem weightsView(NetworkGraph.Slice s, long[] dims, boolean grad) {
    if (grad) {
      nativeGrads.add(new int[] {s.offset(), s.shape().size()});
    }
    return new Mem(own(plain(dims)), (grad ? gradBlock : paramBlock) + (long) s.offset() * Float.BYTES);
  }

  private void convolutionBackward(int i, NetworkGraph.Node node, NetworkGraph.Convolution c, Mem dy) {
    ConvSaved s = (ConvSaved) saved[i];
    OneDnnConvolution.Dims d = s.d;
    // First with the activations in the layouts the step holds them in (no reorders around the
    // primitive), else oneDNN's own choice; then, if the same kernel also takes a row-major weight
    // gradient, that (no reorder out to the flat gradient vector).
    dnnl_memory_desc wAny = own(any(d.weights()));
    dnnl_memory_desc bAny = c.bias() ? own(any(d.bias())) : null;
    Mem gw = gradientOf(node.params().get(0), weightsView(node.params().get(0), d.weights(), true));
    dnnl_primitive_desc pd = attempt(q -> dnnl_convolution_backward_weights_primitive_desc_create(q, engine,
        dnnl_convolution_direct, s.src.md, wAny, bAny, dy.md, d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd,
        attr(false)));
    if (pd == null) {
      pd = new dnnl_primitive_desc();
      check(dnnl_convolution_backward_weights_primitive_desc_create(pd, engine, dnnl_convolution_direct,
          own(any(d.src())), wAny, bAny, own(any(d.dst())), d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd,
          attr(false)), "convolution backward-weights primitive_desc_create");
    }
    dnnl_primitive_desc chosen = pd;
    pd = sameKernel(pd, attempt(q -> dnnl_convolution_backward_weights_primitive_desc_create(q, engine,
        dnnl_convolution_direct, query(chosen, DNNL_ARG_SRC), gw.md, bAny, query(chosen, DNNL_ARG_DIFF_DST),
        d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd, attr(false))));
    own(pd);
    impls.put(node.name() + "/bwd_weights", OneDnnPlan.implementation(pd));
    List<Mem> temps = new ArrayList<>();
    tag(node, "bwd_weights.src");
    Mem x = ensure(s.src, query(pd, DNNL_ARG_SRC), false);
    if (x != s.src) {
      temps.add(x);
    }
    tag(node, "bwd_weights.diff_dst");
    Mem ddy = ensure(dy, query(pd, DNNL_ARG_DIFF_DST), false);
    if (ddy != dy) {
      temps.add(ddy);
    }
    tag(node, "bwd_weights");
    Mem dw = same(gw.md, query(pd, DNNL_ARG_DIFF_WEIGHTS)) ? gw : acquire(query(pd, DNNL_ARG_DIFF_WEIGHTS));
    if (c.bias()) {
      Mem gb = paramMem(node.params().get(1), true);
      Mem db = same(gb.md, query(pd, DNNL_ARG_DIFF_BIAS)) ? gb : acquire(query(pd, DNNL_ARG_DIFF_BIAS));
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
          new Mem[] {x, ddy, dw, db});
      tag(node, "bwd_weights.out");
      if (db != gb) {
        reorder(db, gb);
        release(db);
      }
    } else {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS}, new Mem[] {x, ddy, dw});
    }
    tag(node, "bwd_weights.out");
    if (dw != gw) {
      reorder(dw, gw);
      release(dw);
    }
    int p = node.inputs()[0];
    if (needsDiff(p)) {
      // as above; then, if the same kernel also reads the weights in the forward pass's layout, that
      // (one weight reorder per step instead of two)
      dnnl_memory_desc from = act[p].md;
      dnnl_primitive_desc bd = attempt(q -> dnnl_convolution_backward_data_primitive_desc_create(q, engine,
          dnnl_convolution_direct, from, wAny, dy.md, d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd,
          attr(false)));
      if (bd == null) {
        bd = new dnnl_primitive_desc();
        check(dnnl_convolution_backward_data_primitive_desc_create(bd, engine, dnnl_convolution_direct,
            own(any(d.src())), wAny, own(any(d.dst())), d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd,
            attr(false)), "convolution backward-data primitive_desc_create");
      }
      dnnl_primitive_desc picked = bd;
      bd = sameKernel(bd, attempt(q -> dnnl_convolution_backward_data_primitive_desc_create(q, engine,
          dnnl_convolution_direct, query(picked, DNNL_ARG_DIFF_SRC), query(s.fwd, DNNL_ARG_WEIGHTS),
          query(picked, DNNL_ARG_DIFF_DST), d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd, attr(false))));
      own(bd);
      impls.put(node.name() + "/bwd_data", OneDnnPlan.implementation(bd));
      tag(node, "bwd_data.weights");
      Mem w = ensure(s.weights, query(bd, DNNL_ARG_WEIGHTS), true);
      tag(node, "bwd_data.diff_dst");
      Mem bdy = ensure(dy, query(bd, DNNL_ARG_DIFF_DST), false);
      if (bdy != dy && bdy != ddy) {
        temps.add(bdy);
      }
      Mem dx = sink(p, query(bd, DNNL_ARG_DIFF_SRC));
      tag(node, "bwd_data");
      exec(bd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC}, new Mem[] {bdy, w, dx});
      tag(node, "bwd_data.out");
      sunk(p, dx);
    }
    temps.forEach(this::release);
  }

  /**
   * Whether a primitive descriptor created with fixed layouts is worth using: it exists and its
   * implementation is not one of oneDNN's reference kernels (orders of magnitude slower than the
   * JIT ones, which a reorder or two around the primitive never are). An unusable one is destroyed.
   */
  private interface PdCreate {
    int create(dnnl_primitive_desc pd);
  }

  /** A primitive descriptor from {@code create}, or null when it fails or gives a reference kernel. */
  private static dnnl_primitive_desc attempt(PdCreate create) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    return usable(create.create(pd), pd) ? pd : null;
  }

  /**
   * {@code alternative} (with fewer reorders around it) when oneDNN runs it with the same kernel as
   * {@code pd}, else {@code pd}; the one not returned is destroyed.
   */
  private static dnnl_primitive_desc sameKernel(dnnl_primitive_desc pd, dnnl_primitive_desc alternative) {
    if (alternative == null) {
      return pd;
    }
    if (OneDnnPlan.implementation(alternative).equals(OneDnnPlan.implementation(pd))) {
      dnnl_primitive_desc_destroy(pd);
      return alternative;
    }
    dnnl_primitive_desc_destroy(alternative);
    return pd;
  }

  private static boolean usable(int status, dnnl_primitive_desc pd) {
    if (status != dnnl_success) {
      return false;
    }
    if (OneDnnPlan.implementation(pd).contains("ref")) {
      dnnl_primitive_desc_destroy(pd);
      return false;
    }
    return true;
  }

  private record BnSaved(dnnl_primitive_desc fwd, int flags, float eps, Mem src, Mem mean, Mem var, Mem scale,
      Mem shift, Mem ws) {}

  private void batchNorm(int i, NetworkGraph.Node node, NetworkGraph.BatchNormalization b) {
    Mem x = src(node, 0);
    Shape shape = srcShape(node, 0).prepend(batch);
    int c = shape.dim(1);
    long count = shape.size() / c;
    boolean batchStats = training && !b.inference();
    if (!OneDnnBatchNormalization.supports(shape) || batchStats && count < 2) {
      throw new OneDnn.Unimplemented("batch normalization of " + shape);
    }
    boolean relu = fusedRelu[i] >= 0;
    int flags = dnnl_use_scale | dnnl_use_shift | (batchStats ? 0 : dnnl_use_global_stats)
        | (relu ? dnnl_fuse_norm_relu : 0);
    float eps = (float) b.p().epsilon();
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_batch_normalization_forward_primitive_desc_create(pd, engine, prop(), x.md, x.md, eps, flags,
        attr(false)), "batch normalization forward primitive_desc_create");
    own(pd);
    dnnl_memory_desc ch = own(plain(c));
    int k = 0;
    Mem scale = b.scale() ? paramMem(node.params().get(k++), false) : constant(ch, 1f);
    Mem shift = b.center() ? paramMem(node.params().get(k), false) : constant(ch, 0f);
    Mem mean;
    Mem var;
    if (batchStats) {
      mean = acquire(ch);
      var = acquire(ch);
    } else {
      mean = bufferMem(node.buffers().get(0));
      var = bufferMem(node.buffers().get(1));
    }
    Mem y = acquire(x.md);
    Mem ws = null;
    if (relu && training) {
      ws = acquire(query(pd, DNNL_ARG_WORKSPACE));
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE,
          DNNL_ARG_DST, DNNL_ARG_WORKSPACE}, new Mem[] {x, scale, shift, mean, var, y, ws});
    } else {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE,
          DNNL_ARG_DST}, new Mem[] {x, scale, shift, mean, var, y});
    }
    act[i] = y;
    saved[i] = new BnSaved(pd, flags, eps, x, mean, var, scale, shift, ws);
    if (batchStats) {
      BatchNormParams p = b.p();
      NetworkGraph.Slice rm = node.buffers().get(0);
      NetworkGraph.Slice rv = node.buffers().get(1);
      Tensor m = Tensor.zeros(Shape.of(c));
      Tensor v = Tensor.zeros(Shape.of(c));
      host(() -> {
        mean.read(m);
        var.read(v);
        // the running statistics in double, rounded once, by the rule every backend shares
        p.updateRunning(Tensor.wrap(buffers, rm.offset(), rm.shape()), Tensor.wrap(buffers, rv.offset(), rv.shape()),
            m.toDoubleArray(), v.toDoubleArray(), count);
      });
    }
  }

  /** A buffer of {@code md} filled with {@code value} once, when compiled. */
  private Mem constant(dnnl_memory_desc md, float value) {
    Mem m = new Mem(md, malloc(rounded(dnnl_memory_desc_get_size(md))));
    float[] a = new float[(int) (m.bytes / Float.BYTES)];
    Arrays.fill(a, value);
    m.data().put(a, 0, a.length);
    return m;
  }

  private void batchNormBackward(int i, NetworkGraph.Node node, NetworkGraph.BatchNormalization b, Mem dy) {
    BnSaved s = (BnSaved) saved[i];
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_batch_normalization_backward_primitive_desc_create(pd, engine, dnnl_backward, s.src.md, s.src.md,
        s.src.md, s.eps, s.flags, s.fwd, attr(false)), "batch normalization backward primitive_desc_create");
    own(pd);
    dnnl_memory_desc ch = s.mean.md;
    int k = 0;
    Mem dScale = b.scale() ? paramMem(node.params().get(k++), true) : acquire(ch);
    Mem dShift = b.center() ? paramMem(node.params().get(k), true) : acquire(ch);
    int p = node.inputs()[0];
    Mem ddy = ensure(dy, s.src.md, false);
    Mem dx = sink(p, s.src.md);
    if (s.ws != null) {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_DIFF_DST, DNNL_ARG_SCALE,
          DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT},
          new Mem[] {s.src, s.mean, s.var, ddy, s.scale, s.ws, dx, dScale, dShift});
    } else {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_DIFF_DST, DNNL_ARG_SCALE,
          DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT},
          new Mem[] {s.src, s.mean, s.var, ddy, s.scale, dx, dScale, dShift});
    }
    sunk(p, dx);
    if (ddy != dy) {
      release(ddy);
    }
    if (!b.scale()) {
      release(dScale);
    }
    if (!b.center()) {
      release(dShift);
    }
  }

  private record EltSaved(dnnl_primitive_desc fwd, int alg, float alpha, float beta) {}

  private void eltwise(int i, NetworkGraph.Node node, Activation f) {
    Mem x = src(node, 0);
    int alg = OneDnnEltwise.algorithm(f.kind());
    float[] ab = OneDnnEltwise.alphaBeta(f);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_eltwise_forward_primitive_desc_create(pd, engine, prop(), alg, x.md, x.md, ab[0], ab[1], attr(false)),
        "eltwise forward primitive_desc_create");
    own(pd);
    Mem y = inPlace[i] ? x : acquire(x.md);
    exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Mem[] {x, y});
    act[i] = y;
    saved[i] = new EltSaved(pd, alg, ab[0], ab[1]);
  }

  private void eltwiseBackward(int i, NetworkGraph.Node node, Mem dy) {
    int p = node.inputs()[0];
    if (!needsDiff(p)) {
      return;
    }
    if (fusedInto[i] >= 0 && g.nodes().get(p).op() instanceof NetworkGraph.BatchNormalization) {
      // fuse_norm_relu: batch norm's backward applies the ReLU's derivative from its workspace
      diff[p] = dy;
      written[p] = true;
      diff[i] = null;
      return;
    }
    Mem x = act[p];
    boolean useDst = fusedInto[i] >= 0 || inPlace[i];
    int alg;
    float alpha;
    float beta;
    dnnl_primitive_desc hint;
    if (useDst) {
      // a ReLU fused into the convolution before it, or run in place: its derivative from the
      // output (max(x, 0) > 0 exactly where x > 0, and both give 0 at 0)
      alg = dnnl_eltwise_relu_use_dst_for_bwd;
      alpha = 0f;
      beta = 0f;
      hint = new dnnl_primitive_desc();
      check(dnnl_eltwise_forward_primitive_desc_create(hint, engine, dnnl_forward_training, alg, x.md, x.md, 0f, 0f,
          attr(false)), "eltwise forward primitive_desc_create");
      own(hint);
    } else {
      EltSaved s = (EltSaved) saved[i];
      alg = s.alg;
      alpha = s.alpha;
      beta = s.beta;
      hint = s.fwd;
    }
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_eltwise_backward_primitive_desc_create(pd, engine, alg, x.md, x.md, x.md, alpha, beta, hint,
        attr(false)), "eltwise backward primitive_desc_create");
    own(pd);
    Mem ddy = ensure(dy, x.md, false);
    Mem dx = sink(p, x.md);
    exec(pd, new int[] {useDst ? DNNL_ARG_DST : DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC},
        new Mem[] {x, ddy, dx});
    sunk(p, dx);
    if (ddy != dy) {
      release(ddy);
    }
  }

  private record PoolSaved(dnnl_primitive_desc fwd, int alg, PoolParams p, long[] src, long[] dst, Mem ws,
      boolean global) {}

  private void pooling(int i, NetworkGraph.Node node, PoolParams p, boolean global) {
    Mem x = src(node, 0);
    Shape srcShape = srcShape(node, 0).prepend(batch);
    long[] dst = longs(p.outputShape(srcShape).dims());
    int alg = p.kind() == PoolParams.Kind.MAX ? dnnl_pooling_max
        : p.countPadding() ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding;
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_pooling_forward_primitive_desc_create(pd, engine, prop(), alg, x.md, own(any(dst)), longs(p.stride()),
        longs(p.kernel()), new long[p.spatialRank()], longs(p.padBegin()), longs(p.padEnd()), attr(false)),
        "pooling forward primitive_desc_create");
    own(pd);
    Mem y = acquire(query(pd, DNNL_ARG_DST));
    Mem ws = null;
    if (training && p.kind() == PoolParams.Kind.MAX) {
      ws = acquire(query(pd, DNNL_ARG_WORKSPACE));
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_WORKSPACE}, new Mem[] {x, y, ws});
    } else {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Mem[] {x, y});
    }
    if (global) {
      Mem flat = ensure(y, own(plain(dst)), true);
      act[i] = view(flat, plainOf(node.outputShape()));
    } else {
      act[i] = y;
    }
    saved[i] = new PoolSaved(pd, alg, p, longs(srcShape.dims()), dst, ws, global);
  }

  private void poolingBackward(int i, NetworkGraph.Node node, Mem dy) {
    int p = node.inputs()[0];
    if (!needsDiff(p)) {
      return;
    }
    PoolSaved s = (PoolSaved) saved[i];
    PoolParams pp = s.p;
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_pooling_backward_primitive_desc_create(pd, engine, s.alg, own(any(s.src)), own(any(s.dst)),
        longs(pp.stride()), longs(pp.kernel()), new long[pp.spatialRank()], longs(pp.padBegin()),
        longs(pp.padEnd()), s.fwd, attr(false)), "pooling backward primitive_desc_create");
    own(pd);
    Mem d = s.global ? view(dy, own(plain(s.dst))) : dy;
    Mem ddy = ensure(d, query(pd, DNNL_ARG_DIFF_DST), false);
    Mem dx = sink(p, query(pd, DNNL_ARG_DIFF_SRC));
    if (s.ws != null) {
      exec(pd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC}, new Mem[] {ddy, s.ws, dx});
    } else {
      exec(pd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC}, new Mem[] {ddy, dx});
    }
    sunk(p, dx);
    if (ddy != d) {
      release(ddy);
    }
  }

  private record IpSaved(dnnl_primitive_desc fwd, long[] src, long[] weights, long[] dst, Mem x, Mem wPlain,
      Mem w) {}

  private void innerProduct(int i, NetworkGraph.Node node) {
    long[] src = dims(srcShape(node, 0));
    long[] weights = longs(node.params().get(0).shape().dims());
    long[] dst = dims(node.outputShape());
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_inner_product_forward_primitive_desc_create(pd, engine, prop(), own(any(src)), own(any(weights)),
        own(any(weights[0])), own(any(dst)), attr(false)), "inner product forward primitive_desc_create");
    own(pd);
    Mem x = ensure(src(node, 0), query(pd, DNNL_ARG_SRC), true);
    Mem wPlain = paramMem(node.params().get(0), false);
    Mem w = weightsIn(node.params().get(0), wPlain, query(pd, DNNL_ARG_WEIGHTS));
    Mem b = ensure(paramMem(node.params().get(1), false), query(pd, DNNL_ARG_BIAS), true);
    Mem y = acquire(query(pd, DNNL_ARG_DST));
    exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST}, new Mem[] {x, w, b, y});
    act[i] = y;
    saved[i] = new IpSaved(pd, src, weights, dst, x, resident ? w : wPlain, w);
  }

  private void innerProductBackward(int i, NetworkGraph.Node node, Mem dy) {
    IpSaved s = (IpSaved) saved[i];
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_inner_product_backward_weights_primitive_desc_create(pd, engine, own(any(s.src)),
        own(any(s.weights)), own(any(s.weights[0])), own(any(s.dst)), s.fwd, attr(false)),
        "inner product backward-weights primitive_desc_create");
    own(pd);
    List<Mem> temps = new ArrayList<>();
    Mem x = ensure(s.x, query(pd, DNNL_ARG_SRC), false);
    if (x != s.x) {
      temps.add(x);
    }
    Mem ddy = ensure(dy, query(pd, DNNL_ARG_DIFF_DST), false);
    if (ddy != dy) {
      temps.add(ddy);
    }
    Mem gw = gradientOf(node.params().get(0), paramMem(node.params().get(0), true));
    Mem gb = paramMem(node.params().get(1), true);
    Mem dw = same(gw.md, query(pd, DNNL_ARG_DIFF_WEIGHTS)) ? gw : acquire(query(pd, DNNL_ARG_DIFF_WEIGHTS));
    Mem db = same(gb.md, query(pd, DNNL_ARG_DIFF_BIAS)) ? gb : acquire(query(pd, DNNL_ARG_DIFF_BIAS));
    exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
        new Mem[] {x, ddy, dw, db});
    if (dw != gw) {
      reorder(dw, gw);
      release(dw);
    }
    if (db != gb) {
      reorder(db, gb);
      release(db);
    }
    int p = node.inputs()[0];
    if (needsDiff(p)) {
      dnnl_primitive_desc bd = new dnnl_primitive_desc();
      check(dnnl_inner_product_backward_data_primitive_desc_create(bd, engine, own(any(s.src)),
          own(any(s.weights)), own(any(s.dst)), s.fwd, attr(false)), "inner product backward-data primitive_desc_create");
      own(bd);
      Mem w = ensure(s.wPlain, query(bd, DNNL_ARG_WEIGHTS), true);
      Mem bdy = ensure(dy, query(bd, DNNL_ARG_DIFF_DST), false);
      if (bdy != dy && bdy != ddy) {
        temps.add(bdy);
      }
      Mem dx = sink(p, query(bd, DNNL_ARG_DIFF_SRC));
      exec(bd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC}, new Mem[] {bdy, w, dx});
      sunk(p, dx);
    }
    temps.forEach(this::release);
  }

  private void sumForward(int i, NetworkGraph.Node node, double[] scales) {
    int n = node.inputs().length;
    Mem first = src(node, 0);
    Mem[] srcs = new Mem[n];
    float[] s = new float[n];
    for (int j = 0; j < n; j++) {
      srcs[j] = ensure(src(node, j), first.md, true);
      s[j] = (float) scales[j];
    }
    Mem y = acquire(first.md);
    sum(srcs, s, y);
    act[i] = y;
  }

  private void sumBackward(NetworkGraph.Node node, Mem dy) {
    double[] scales = ((NetworkGraph.Sum) node.op()).scales();
    for (int j = 0; j < node.inputs().length; j++) {
      int p = node.inputs()[j];
      if (needsDiff(p)) {
        deliver(p, dy, scales[j]);
      }
    }
  }

  private void concat(int i, NetworkGraph.Node node) {
    int n = node.inputs().length;
    try (PointerPointer<dnnl_memory_desc> mds = new PointerPointer<>(n);
        PointerPointer<dnnl_primitive_desc> out = new PointerPointer<>(1)) {
      int[] args = new int[n + 1];
      Mem[] mems = new Mem[n + 1];
      for (int j = 0; j < n; j++) {
        mems[j] = src(node, j);
        mds.put(j, mems[j].md);
        args[j] = DNNL_ARG_MULTIPLE_SRC + j;
      }
      check(dnnl_concat_primitive_desc_create(out, engine, own(any(dims(node.outputShape()))), n, 1, mds,
          attr(false)), "concat primitive_desc_create");
      dnnl_primitive_desc pd = own(new dnnl_primitive_desc(out.get(0)));
      Mem y = acquire(query(pd, DNNL_ARG_DST));
      args[n] = DNNL_ARG_DST;
      mems[n] = y;
      exec(pd, args, mems);
      act[i] = y;
    }
  }

  private void concatBackward(NetworkGraph.Node node, Mem dy) {
    dnnl_memory_desc whole = plainOf(node.outputShape());
    Mem flat = ensure(dy, whole, false);
    long[] offsets = new long[node.outputShape().rank() + 1];
    for (int j = 0; j < node.inputs().length; j++) {
      int p = node.inputs()[j];
      Shape s = srcShape(node, j);
      if (needsDiff(p)) {
        dnnl_memory_desc sub = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_submemory(sub, whole, dims(s), offsets), "memory_desc_create_submemory");
        own(sub);
        deliver(p, view(flat, sub), 1);
      }
      offsets[1] += s.dim(0);
    }
    if (flat != dy) {
      release(flat);
    }
  }

  /** Heap tensors of one host node's last forward call, kept for its backward. */
  private static final class HostSaved {
    Tensor[] srcs;
    Tensor dst;
  }

  private void hostForward(int i, NetworkGraph.Node node, HostOp op) {
    if (resident && !node.params().isEmpty()) {
      // its parameters would have to be on the heap for its own code every step
      throw new OneDnn.Unimplemented(node.name() + ": a host layer with parameters");
    }
    int n = node.inputs().length;
    Mem[] ins = new Mem[n];
    Shape[] shapes = new Shape[n];
    for (int j = 0; j < n; j++) {
      ins[j] = ensure(src(node, j), plainOf(srcShape(node, j)), true);
      shapes[j] = srcShape(node, j).prepend(batch);
    }
    Mem y = acquire(plainOf(node.outputShape()));
    Shape outShape = node.outputShape().prepend(batch);
    HostSaved s = new HostSaved();
    host(() -> {
      Tensor[] srcs = new Tensor[n];
      for (int j = 0; j < n; j++) {
        srcs[j] = Tensor.zeros(shapes[j]);
        ins[j].read(srcs[j]);
      }
      Tensor dst = op.forward(backend, srcs, params, buffers, training, seeds.applyAsLong(i));
      if (!dst.shape().equals(outShape)) {
        throw new IllegalStateException(node.name() + ": host op gave " + dst.shape() + ", expected " + outShape);
      }
      y.write(dst);
      s.srcs = srcs;
      s.dst = dst;
    });
    act[i] = y;
    saved[i] = new Object[] {op, s};
  }

  private void hostBackward(int i, NetworkGraph.Node node, Mem dy) {
    Object[] o = (Object[]) saved[i];
    HostOp op = (HostOp) o[0];
    HostSaved s = (HostSaved) o[1];
    int n = node.inputs().length;
    Mem ddy = ensure(dy, plainOf(node.outputShape()), false);
    Shape outShape = node.outputShape().prepend(batch);
    Mem[] outs = new Mem[n];
    for (int j = 0; j < n; j++) {
      if (needsDiff(node.inputs()[j])) {
        outs[j] = acquire(plainOf(srcShape(node, j)));
      }
    }
    host(() -> {
      Tensor d = Tensor.zeros(outShape);
      ddy.read(d);
      Tensor[] diffSrcs = op.backward(backend, s.srcs, s.dst, d, params, grads);
      for (int j = 0; j < n; j++) {
        if (outs[j] != null) {
          if (diffSrcs[j] != null) {
            outs[j].write(diffSrcs[j]);
          } else {
            Pointer.memset(outs[j].data(), 0, outs[j].bytes);
          }
        }
      }
    });
    for (int j = 0; j < n; j++) {
      if (outs[j] != null) {
        deliver(node.inputs()[j], outs[j], 1);
        release(outs[j]);
      }
    }
    if (ddy != dy) {
      release(ddy);
    }
  }

  /**
   * Softmax cross-entropy of head {@code h}, planned into the step: oneDNN's log-softmax (the
   * primitive {@link OneDnnBackend#softmaxCrossEntropyForward} runs) on the logits as a row-major
   * (batch, classes) matrix, then one host action that reads the log-probabilities and writes the
   * logits' gradient straight from and into native memory, with the backend's arithmetic term for
   * term (the loss summed in double; probabilities rounded to float; the gradient computed in
   * double and rounded once). No tensor is allocated per step.
   */
  private void loss(int h) {
    int head = g.heads()[h];
    double weight = g.headWeights()[h];
    NetworkGraph.Node node = g.nodes().get(head);
    tag(node, "loss");
    int k = node.outputShape().size();
    dnnl_memory_desc md = own(plain(new long[] {batch, k}));
    Mem x = view(ensure(act[head], plainOf(node.outputShape()), true), md);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_softmax_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, dnnl_softmax_log, md, md, 1,
        attr(false)), "log-softmax primitive_desc_create");
    own(pd);
    Mem logp = acquire(md);
    tag(node, "loss.softmax");
    exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Mem[] {x, logp});
    tag(node, "loss");
    Mem d = acquire(md);
    FloatBuffer y = floats(logp.address, (long) batch * k);
    FloatBuffer dx = floats(d.address, (long) batch * k);
    double scale = weight / batch;
    host(() -> {
      Backend.checkLabels("softmax cross-entropy", labels, batch, k);
      double l = 0;
      for (int r = 0; r < batch; r++) {
        l -= y.get(r * k + labels[r]);
      }
      if (h == 0) {
        loss = l;
      }
      for (int r = 0; r < batch; r++) {
        for (int j = 0; j < k; j++) {
          float p = (float) Math.exp(y.get(r * k + j));
          dx.put(r * k + j, (float) (scale * (p - (j == labels[r] ? 1.0 : 0.0))));
        }
      }
    });
    release(logp);
    if (g.nodes().get(head).trainable()) {
      deliver(head, d, 1);
    }
    release(d);
  }

  private void backward(int i) {
    NetworkGraph.Node node = g.nodes().get(i);
    NetworkGraph.Op op = node.op();
    Mem dy = diff[i];
    if (fusedInto[i] >= 0) {
      tag(node, "bwd (fused)");
      eltwiseBackward(i, node, dy);
    } else if (op instanceof NetworkGraph.Convolution c) {
      convolutionBackward(i, node, c, dy);
    } else if (op instanceof NetworkGraph.BatchNormalization b) {
      batchNormBackward(i, node, b, dy);
    } else if (saved[i] instanceof EltSaved) {
      eltwiseBackward(i, node, dy);
    } else if (saved[i] instanceof PoolSaved) {
      poolingBackward(i, node, dy);
    } else if (op instanceof NetworkGraph.InnerProduct) {
      innerProductBackward(i, node, dy);
    } else if (op instanceof NetworkGraph.Sum) {
      sumBackward(node, dy);
    } else if (op instanceof NetworkGraph.Concat) {
      concatBackward(node, dy);
    } else if (op instanceof NetworkGraph.Flatten) {
      int p = node.inputs()[0];
      if (needsDiff(p)) {
        deliver(p, view(dy, plainOf(srcShape(node, 0))), 1);
      }
    } else {
      hostBackward(i, node, dy);
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
    input.write(src);
    new FloatPointer(new Address(paramBlock)).put(params, 0, paramCount);
    new FloatPointer(new Address(bufferBlock)).put(buffers, 0, bufferCount);
  }

  private void execute() {
    OneDnnThreads.limit(threads);
    denormals.enter();
    try {
      if (profiling) {
        if (profileNs == null) {
          profileNs = new long[program.size()];
        }
        for (int k = 0; k < program.size(); k++) {
          long t0 = System.nanoTime();
          program.get(k).run();
          check(dnnl_stream_wait(stream), "stream_wait");
          profileNs[k] += System.nanoTime() - t0;
        }
      } else {
        for (Runnable r : program) {
          r.run();
        }
      }
      check(dnnl_stream_wait(stream), "stream_wait");
    } finally {
      denormals.exit();
    }
  }

  @Override
  public double lossAndGradient(float[] params, float[] buffers, float[] grads, Tensor src, int[] labels,
      IntToLongFunction seeds) {
    if (!training) {
      throw new IllegalStateException("an evaluation step cannot train");
    }
    if (resident) {
      throw new IllegalStateException("a resident step trains through load, step and store");
    }
    if (labels.length != batch) {
      throw new IllegalArgumentException(labels.length + " labels for a batch of " + batch);
    }
    load(params, buffers, src);
    Pointer.memset(new Address(gradBlock), 0, (long) Math.max(paramCount, 1) * Float.BYTES);
    this.params = params;
    this.buffers = buffers;
    this.grads = grads;
    this.labels = labels;
    this.seeds = seeds;
    try {
      execute();
      FloatPointer gp = new FloatPointer(new Address(gradBlock));
      for (int[] s : nativeGrads) {
        gp.position(s[0]).get(grads, s[0], s[1]);
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
    this.seeds = null;
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

  /** Runs a load or store program with the stream's threads and floating-point mode, then waits for it. */
  private void run(List<Runnable> actions, List<String> actionTags) {
    OneDnnThreads.limit(threads);
    denormals.enter();
    try {
      for (int k = 0; k < actions.size(); k++) {
        long t0 = System.nanoTime();
        actions.get(k).run();
        if (profiling) {
          check(dnnl_stream_wait(stream), "stream_wait");
          roundProfile.merge(actionTags.get(k), (System.nanoTime() - t0) / 1e9, Double::sum);
        }
      }
      check(dnnl_stream_wait(stream), "stream_wait");
    } finally {
      denormals.exit();
    }
  }

  /**
   * For tests: how many padding elements of the held weights, gradients and state blocks are not
   * zero (blocked layouts round channels up; those elements must stay zero). Padding is found by
   * reordering a row-major slice of ones into the held layout: what stays zero is padding.
   */
  long nonzeroPadding() {
    long bad = 0;
    for (Master m : masters.values()) {
      int n = m.slice.shape().size();
      long count = m.weights.bytes / Float.BYTES;
      Pointer onesBlock = Pointer.malloc((long) n * Float.BYTES);
      Pointer markBlock = Pointer.malloc(m.weights.bytes);
      try {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        new FloatPointer(onesBlock).put(a, 0, n);
        Pointer.memset(markBlock, 0, m.weights.bytes);
        reorderNow(m.plain.md, onesBlock, m.weights.md, markBlock);
        FloatBuffer marks = floats(markBlock.address(), count);
        List<FloatBuffer> held = new ArrayList<>(List.of(floats(m.weights.address, count),
            floats(m.grad.address, count)));
        for (Mem st : m.state) {
          held.add(floats(st.address, count));
        }
        for (int i = 0; i < count; i++) {
          if (marks.get(i) == 0f) {
            for (FloatBuffer h : held) {
              bad += h.get(i) != 0f ? 1 : 0;
            }
          }
        }
      } finally {
        Pointer.free(onesBlock);
        Pointer.free(markBlock);
      }
    }
    return bad;
  }

  /** One reorder of native bytes between layouts, outside the step's program (for tests). */
  private void reorderNow(dnnl_memory_desc fromMd, Pointer from, dnnl_memory_desc toMd, Pointer to) {
    dnnl_memory src = new dnnl_memory();
    dnnl_memory dst = new dnnl_memory();
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    dnnl_primitive p = new dnnl_primitive();
    try {
      check(dnnl_memory_create(src, fromMd, engine, from), "memory_create");
      check(dnnl_memory_create(dst, toMd, engine, to), "memory_create");
      check(dnnl_reorder_primitive_desc_create(pd, fromMd, engine, toMd, engine, null),
          "reorder_primitive_desc_create");
      check(dnnl_primitive_create(p, pd), "primitive_create");
      try (dnnl_exec_arg_t args = new dnnl_exec_arg_t(2)) {
        args.position(0).arg(DNNL_ARG_FROM).memory(src);
        args.position(1).arg(DNNL_ARG_TO).memory(dst);
        args.position(0);
        check(dnnl_primitive_execute(p, stream, 2, args), "primitive_execute");
      }
      check(dnnl_stream_wait(stream), "stream_wait");
    } finally {
      dnnl_primitive_destroy(p);
      dnnl_primitive_desc_destroy(pd);
      dnnl_memory_destroy(src);
      dnnl_memory_destroy(dst);
    }
  }

  /**
   * For tests of the update kernel alone: sets the loaded step's gradient to {@code grads} (the
   * flat vector, reordered into each master's layout), then runs the update {@link #step} runs
   * after its backward pass. Returns the gradient norm before clipping.
   */
  double updateWith(long token, float[] grads, UpdateRule rule, long step) {
    checkResident(token);
    if (grads.length != paramCount) {
      throw new IllegalArgumentException(grads.length + " gradients for " + paramCount + " parameters");
    }
    new FloatPointer(new Address(gradBlock)).put(grads, 0, paramCount);
    for (Master m : masters.values()) {
      Pointer.memset(new Address(m.grad.address), 0, m.grad.bytes);
      reorderNow(m.plain.md, new Address(gradBlock + (long) m.slice.offset() * Float.BYTES), m.weights.md,
          new Address(m.grad.address));
    }
    return rule.apply(updates, step);
  }

  /** How many padding elements the held layouts have in all (for tests: whether padding was tested at all). */
  long paddingElements() {
    long n = 0;
    for (Master m : masters.values()) {
      n += m.weights.bytes / Float.BYTES - m.slice.shape().size();
    }
    return n;
  }

  /** How many weight slices a resident step holds in a primitive's layout rather than row-major. */
  int masterCount() {
    return masters.size();
  }

  @Override
  public int batch() {
    return batch;
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
    new FloatPointer(new Address(paramBlock)).put(params, 0, paramCount);
    new FloatPointer(new Address(stateBlock)).put(state, 0, state.length);
    // gradients no node writes stay zero for the whole round, as the heap loop's zeroed vector
    Pointer.memset(new Address(gradBlock), 0, (long) Math.max(paramCount, 1) * Float.BYTES);
    for (Master m : masters.values()) {
      Pointer.memset(new Address(m.grad.address), 0, m.grad.bytes);
    }
    run(loadProgram, loadTags);
    return ++token;
  }

  @Override
  public double step(long token, float[] buffers, Tensor src, int[] labels, IntToLongFunction seeds,
      UpdateRule rule, long step) {
    checkResident(token);
    checkBatch(src);
    if (labels.length != batch) {
      throw new IllegalArgumentException(labels.length + " labels for a batch of " + batch);
    }
    if (buffers.length < bufferCount) {
      throw new IllegalArgumentException("buffer vector too short for the compiled step");
    }
    if (rule.optimizer().stateBlocks() != stateBlocks) {
      throw new IllegalArgumentException("a resident step holding " + stateBlocks + " state blocks cannot run "
          + rule.optimizer() + " (" + rule.optimizer().stateBlocks() + ")");
    }
    input.write(src);
    new FloatPointer(new Address(bufferBlock)).put(buffers, 0, bufferCount);
    // no host node of a resident step has parameters (compile refuses them): they get empty vectors
    this.params = new float[0];
    this.grads = new float[0];
    this.buffers = buffers;
    this.labels = labels;
    this.seeds = seeds;
    try {
      execute();
    } finally {
      forgetStepInputs();
    }
    // The update kernel of this backend: the parameters are in host memory, so the rule's own
    // formula (dev.fovea.optim, the specification) runs over direct views of the native segments.
    // Outside execute: it runs in the Java thread's own floating-point mode, as on the heap.
    rule.apply(updates, step);
    return loss;
  }

  @Override
  public void store(long token, float[] params, float[] state) {
    checkResident(token);
    if (params.length != paramCount || state.length != (long) stateBlocks * paramCount) {
      throw new IllegalArgumentException("resident step of " + paramCount + " parameters and " + stateBlocks
          + " state blocks stored into " + params.length + " parameters and " + state.length + " state values");
    }
    run(storeProgram, storeTags);
    new FloatPointer(new Address(paramBlock)).get(params, 0, paramCount);
    new FloatPointer(new Address(stateBlock)).get(state, 0, state.length);
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

  /**
   * Turns per-action timing on or off (each action then waits for the stream, so the times add up
   * to the step's); turning it on clears what was timed so far.
   */
  void profile(boolean on) {
    profiling = on;
    profileNs = null;
    roundProfile.clear();
  }

  /** Seconds spent per tag ({@code node/part}) in the steps run since profiling was turned on, added into {@code out}. */
  void profileInto(Map<String, Double> out) {
    roundProfile.forEach((k, v) -> out.merge(k, v, Double::sum));
    if (profileNs == null) {
      return;
    }
    for (int k = 0; k < profileNs.length; k++) {
      out.merge(tags.get(k), profileNs[k] / 1e9, Double::sum);
    }
  }

  /** The implementation oneDNN picked per convolution pass, by tag ({@code node/fwd}, ...). */
  Map<String, String> implementations() {
    return impls;
  }

  /** Frees every native object of the step, in reverse order of creation. */
  @Override
  public void close() {
    closed = true;
    updates.clear();
    for (int i = releases.size() - 1; i >= 0; i--) {
      releases.get(i).run();
    }
    releases.clear();
    for (Pointer p : blocks) {
      Pointer.free(p);
    }
    blocks.clear();
    account.freed(bytes);
    bytes = 0;
    program.clear();
  }
}
