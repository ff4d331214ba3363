package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * A planned op: primitives created once for one (op, shapes, parameters) key, the native buffers
 * they read and write, and the reorders between Fovea's row-major layout and the layouts the
 * primitives chose. Built once, then {@link #run() run} many times; {@link #close()} frees every
 * native object it owns, in reverse order of creation.
 *
 * <p>Running a plan is: copy the Java inputs into the plan's user buffers ({@link
 * Buffer#write}), {@link #run()} (input reorders, the primitives, output reorders, then wait), and
 * copy the user buffers of the outputs back ({@link Buffer#read} or {@link Buffer#addTo}).
 */
final class OneDnnPlan implements AutoCloseable {
  /** oneDNN's {@code DNNL_MEMORY_ALLOCATE}: the library allocates (and later frees) the buffer. */
  private static final class LibraryAllocates extends Pointer {
    LibraryAllocates() {
      address = -1L;
    }
  }

  /** A native address as a JavaCPP pointer (0 is {@code DNNL_MEMORY_NONE}: no buffer yet). */
  private static final class Address extends Pointer {
    Address(long a) {
      address = a;
    }
  }

  /** Bytes a transient buffer's offset in the arena is rounded up to. */
  private static final int ALIGN = 64;

  private final dnnl_engine engine;
  private final dnnl_stream stream;
  private final OneDnnContext.NativeMemory nativeMemory;
  private final OneDnnContext.Arena arena;
  /** Native bytes this plan holds (see {@link OneDnnContext.NativeMemory}). */
  private long bytes;
  /** Buffers living in the shared arena (views last), and the arena bytes they need. */
  private final List<Buffer> transients = new ArrayList<>();
  private long transientBytes;
  /** The arena generation the transient buffers point into; -1 before the first bind. */
  private long boundGeneration = -1;
  private final List<Runnable> releases = new ArrayList<>();
  private final List<Step> steps = new ArrayList<>();
  private final List<Step> after = new ArrayList<>();
  private final List<Buffer> ins = new ArrayList<>();
  private final List<Buffer> outs = new ArrayList<>();
  private float[] scratch = new float[0];
  private String impl = "";

  /** One primitive execution; {@code from} is the user buffer an input reorder reads, else null. */
  private record Step(dnnl_primitive primitive, int count, dnnl_exec_arg_t args, Buffer from) {}

  /** Inputs larger than this (in floats) are never remembered by {@link #inputRemembered}. */
  private static final int REMEMBER_LIMIT = 1 << 24;

  /**
   * A new plan filled in by {@code body}; if the body throws, the native objects it has created so
   * far are released before the exception goes on.
   */
  static OneDnnPlan build(OneDnnContext ctx, java.util.function.Consumer<OneDnnPlan> body) {
    OneDnnPlan plan = new OneDnnPlan(ctx);
    try {
      body.accept(plan);
      return plan;
    } catch (RuntimeException e) {
      plan.close();
      throw e;
    }
  }

  OneDnnPlan(OneDnnContext ctx) {
    this.engine = ctx.engine();
    this.stream = ctx.stream();
    this.nativeMemory = ctx.memory();
    this.arena = ctx.arena();
  }

  /** Bytes of the shared arena this plan's transient buffers need. */
  long transientBytes() {
    return transientBytes;
  }

  /**
   * Points the transient buffers at the arena (grown to this plan's need first). Call before
   * writing the inputs of a run: a no-op while the arena has not moved since the last bind.
   */
  void bind() {
    if (boundGeneration == arena.generation()) {
      return;
    }
    long base = arena.reserve(transientBytes);
    for (Buffer b : transients) {
      long address = b.parent != null ? b.parent.data.address() : base + b.arenaOffset;
      check(dnnl_memory_set_data_handle(b.memory, new Address(address)), "memory_set_data_handle");
      b.data = new FloatPointer(new Address(address));
    }
    boundGeneration = arena.generation();
  }

  /** Native bytes this plan holds: its buffers and its primitives' own memory. */
  long bytes() {
    return bytes;
  }

  private void account(long n) {
    bytes += n;
    nativeMemory.allocated(n);
  }

  /** A native f32 buffer in some layout; a user buffer is dense row-major. */
  final class Buffer {
    final dnnl_memory memory;
    /** The elements; for a transient buffer valid after {@link #bind()}. */
    FloatPointer data;
    final long elements;
    /** Offset in the arena of a transient buffer; -1 for one with memory of its own or a view. */
    private final long arenaOffset;
    /** The buffer a view looks into, else null. */
    private final Buffer parent;
    /** Whether the contents changed since the last {@link #run()}; input reorders skip when not. */
    private boolean changed = true;
    /** For a remembered input: the values last written, valid when {@link #rememberedValid}. */
    private float[] remembered;
    private boolean rememberedValid;

    /** A buffer with memory of its own, allocated by oneDNN, alive until the plan closes. */
    private Buffer(dnnl_memory_desc md) {
      memory = new dnnl_memory();
      check(dnnl_memory_create(memory, md, engine, new LibraryAllocates()), "memory_create");
      releases.add(() -> dnnl_memory_destroy(memory));
      try (PointerPointer<Pointer> handle = new PointerPointer<>(1)) {
        check(dnnl_memory_get_data_handle(memory, handle), "memory_get_data_handle");
        data = new FloatPointer(handle.get(0));
      }
      elements = dnnl_memory_desc_get_size(md) / Float.BYTES;
      arenaOffset = -1;
      parent = null;
      account(dnnl_memory_desc_get_size(md));
    }

    /**
     * A transient buffer in the shared arena ({@code viewOf} null), or a view of layout {@code md}
     * into {@code viewOf}'s memory (e.g. a sub-memory descriptor, whose offset is in the
     * descriptor); both get their address in {@link #bind()}.
     */
    private Buffer(dnnl_memory_desc md, Buffer viewOf) {
      memory = new dnnl_memory();
      check(dnnl_memory_create(memory, md, engine, new Address(0)), "memory_create");
      releases.add(() -> dnnl_memory_destroy(memory));
      long size = dnnl_memory_desc_get_size(md);
      elements = size / Float.BYTES;
      parent = viewOf;
      if (viewOf == null) {
        arenaOffset = transientBytes;
        transientBytes += (size + ALIGN - 1) / ALIGN * ALIGN;
      } else {
        arenaOffset = -1;
      }
      transients.add(this);
      boundGeneration = -1;
    }

    /**
     * Copies a FLOAT32 tensor of this buffer's size into it. A remembered input first compares the
     * tensor with the values it last copied and, when they are equal bit for bit, skips both the
     * copy and its reorder: the primitive-side buffer still holds exactly those values.
     */
    void write(Tensor t) {
      checkSize(t);
      float[] a = t.floatArray();
      int off = t.offset();
      int n = t.size();
      if (remembered != null) {
        if (rememberedValid && java.util.Arrays.equals(a, off, off + n, remembered, 0, n)) {
          return;
        }
        System.arraycopy(a, off, remembered, 0, n);
        rememberedValid = true;
      }
      data.position(0).put(a, off, n);
      changed = true;
    }

    /** Overwrites a FLOAT32 tensor with this buffer's elements. */
    void read(Tensor t) {
      checkSize(t);
      data.position(0).get(t.floatArray(), t.offset(), t.size());
    }

    /** Adds this buffer's elements into a FLOAT32 tensor (for accumulating gradients). */
    void addTo(Tensor t) {
      checkSize(t);
      int n = t.size();
      if (scratch.length < n) {
        scratch = new float[n];
      }
      data.position(0).get(scratch, 0, n);
      float[] out = t.floatArray();
      int off = t.offset();
      for (int i = 0; i < n; i++) {
        out[off + i] += scratch[i];
      }
    }

    private void checkSize(Tensor t) {
      if (t.size() != elements) {
        throw new IllegalArgumentException("tensor " + t.shape() + " does not match a native buffer of " + elements);
      }
    }
  }

  /** Takes ownership of a memory descriptor this plan created. */
  dnnl_memory_desc own(dnnl_memory_desc md) {
    releases.add(() -> dnnl_memory_desc_destroy(md));
    return md;
  }

  /** Takes ownership of a primitive descriptor. */
  dnnl_primitive_desc own(dnnl_primitive_desc pd) {
    releases.add(() -> dnnl_primitive_desc_destroy(pd));
    return pd;
  }

  /**
   * The memory descriptor a primitive descriptor chose for execution argument {@code arg} (a
   * {@code DNNL_ARG_*}); owned by the primitive descriptor.
   */
  static dnnl_memory_desc query(dnnl_primitive_desc pd, int arg) {
    return dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
  }

  /** A new transient buffer of the given layout (nothing in it survives from one call to the next). */
  Buffer buffer(dnnl_memory_desc md) {
    return new Buffer(md, (Buffer) null);
  }

  /**
   * A buffer of layout {@code md} over the memory of {@code parent}, e.g. a sub-memory descriptor
   * of {@code parent}'s (whose offset is in the descriptor): no memory of its own.
   */
  Buffer view(Buffer parent, dnnl_memory_desc md) {
    return new Buffer(md, parent);
  }

  /** Declares an existing row-major buffer (one a primitive writes) as the next output. */
  void output(Buffer plainBuffer) {
    outs.add(plainBuffer);
  }

  /** Declares an existing row-major buffer as the next input, written by {@link Buffer#write}. */
  void input(Buffer plainBuffer) {
    ins.add(plainBuffer);
  }

  /** Adds a reorder from {@code from} (layout {@code fromMd}) to {@code to} that runs after the primitives. */
  void reorderAfter(dnnl_memory_desc fromMd, Buffer from, dnnl_memory_desc toMd, Buffer to) {
    after.add(reorder(fromMd, from, toMd, to, null));
  }

  /**
   * Declares input {@code in(i)}: a row-major user buffer of layout {@code userMd}, and returns the
   * buffer the primitive reads, of layout {@code wanted} (the same buffer when the layouts agree).
   */
  Buffer input(dnnl_memory_desc userMd, dnnl_memory_desc wanted) {
    Buffer user = buffer(userMd);
    ins.add(user);
    return toPrimitive(user, userMd, wanted, false);
  }

  /**
   * Like {@link #input}, for an input that often repeats between calls (weights: they change once
   * per training step but are read by several passes, and not at all during evaluation). The plan
   * keeps a Java copy of the last values and skips the copy and reorder when they did not change;
   * correctness never depends on tensor identity. Inputs over 16 M elements are not remembered.
   * The buffer the primitive reads has memory of its own (it must outlive the call); the row-major
   * copy it is reordered from is transient when there is a reorder, since a skipped write also
   * skips the reorder that would read it.
   */
  Buffer inputRemembered(dnnl_memory_desc userMd, dnnl_memory_desc wanted) {
    boolean direct = dnnl_memory_desc_equal(userMd, wanted) != 0;
    Buffer user = direct ? new Buffer(userMd) : buffer(userMd);
    ins.add(user);
    if (user.elements <= REMEMBER_LIMIT) {
      user.remembered = new float[(int) user.elements];
    }
    return toPrimitive(user, userMd, wanted, true);
  }

  /**
   * Declares output {@code out(i)}: returns a buffer of layout {@code primMd} for the primitive to
   * write, whose row-major copy (layout {@code userMd}) is {@code out(i)} after {@link #run()}.
   */
  Buffer output(dnnl_memory_desc primMd, dnnl_memory_desc userMd) {
    Buffer prim = buffer(primMd);
    outs.add(fromPrimitive(prim, primMd, userMd));
    return prim;
  }

  /** The user buffer of input {@code i}, in declaration order. */
  Buffer in(int i) {
    return ins.get(i);
  }

  /** The user buffer of output {@code i}, in declaration order. */
  Buffer out(int i) {
    return outs.get(i);
  }

  /**
   * The buffer a primitive reads for an input: {@code user} itself when {@code wanted} is its
   * layout, else a new buffer of layout {@code wanted} filled from {@code user} by a reorder that
   * runs before the primitives.
   */
  Buffer toPrimitive(Buffer user, dnnl_memory_desc userMd, dnnl_memory_desc wanted, boolean own) {
    if (dnnl_memory_desc_equal(userMd, wanted) != 0) {
      return user;
    }
    Buffer b = own ? new Buffer(wanted) : buffer(wanted);
    steps.add(reorder(userMd, user, wanted, b, user));
    return b;
  }

  /**
   * The user (row-major) buffer an output is read from: {@code prim} itself when it is already
   * row-major, else a new buffer filled from it by a reorder that runs after the primitives.
   */
  Buffer fromPrimitive(Buffer prim, dnnl_memory_desc primMd, dnnl_memory_desc userMd) {
    if (dnnl_memory_desc_equal(userMd, primMd) != 0) {
      return prim;
    }
    Buffer b = buffer(userMd);
    after.add(reorder(primMd, prim, userMd, b, null));
    return b;
  }

  private Step reorder(dnnl_memory_desc fromMd, Buffer from, dnnl_memory_desc toMd, Buffer to, Buffer input) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_reorder_primitive_desc_create(pd, fromMd, engine, toMd, engine, null), "reorder_primitive_desc_create");
    own(pd);
    return step(pd, new int[] {DNNL_ARG_FROM, DNNL_ARG_TO}, new Buffer[] {from, to}, input);
  }

  /** Adds a primitive that runs (in order) after the input reorders and before output reorders. */
  void primitive(dnnl_primitive_desc pd, int[] args, Buffer[] buffers) {
    steps.add(step(pd, args, buffers, null));
    impl = implementation(pd);
  }

  /**
   * The forward primitive {@code pd} of a weighted op (convolution, inner product): src, the
   * remembered weights and, when {@code bias} is not null, the bias read from the user's layouts;
   * dst written into {@code dst}.
   */
  void weightedForward(dnnl_primitive_desc pd, dnnl_memory_desc src, dnnl_memory_desc weights, dnnl_memory_desc bias,
      dnnl_memory_desc dst) {
    Buffer x = input(src, query(pd, DNNL_ARG_SRC));
    Buffer w = inputRemembered(weights, query(pd, DNNL_ARG_WEIGHTS));
    Buffer b = bias != null ? input(bias, query(pd, DNNL_ARG_BIAS)) : null;
    Buffer y = output(query(pd, DNNL_ARG_DST), dst);
    if (bias != null) {
      primitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST}, new Buffer[] {x, w, b, y});
    } else {
      primitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}, new Buffer[] {x, w, y});
    }
  }

  /**
   * The backward-weights primitive {@code pd} of a weighted op (convolution, inner product): src and
   * diffDst read from the user's {@code src} and {@code dst} layouts; diffWeights and, when {@code
   * bias} is not null, diffBias written into {@code weights} and {@code bias}.
   */
  void weightedBackwardWeights(dnnl_primitive_desc pd, dnnl_memory_desc src, dnnl_memory_desc dst,
      dnnl_memory_desc weights, dnnl_memory_desc bias) {
    Buffer x = input(src, query(pd, DNNL_ARG_SRC));
    Buffer dy = input(dst, query(pd, DNNL_ARG_DIFF_DST));
    Buffer dw = output(query(pd, DNNL_ARG_DIFF_WEIGHTS), weights);
    if (bias != null) {
      Buffer db = output(query(pd, DNNL_ARG_DIFF_BIAS), bias);
      primitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
          new Buffer[] {x, dy, dw, db});
    } else {
      primitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS}, new Buffer[] {x, dy, dw});
    }
  }

  /** The implementation oneDNN picked for the last primitive added, e.g. {@code jit:avx512_core}. */
  String impl() {
    return impl;
  }

  /** The bytes a primitive holds of its own (scratchpad, internal buffers); 0 when unknown. */
  private static long memoryConsumption(dnnl_primitive_desc pd) {
    try (org.bytedeco.javacpp.LongPointer out = new org.bytedeco.javacpp.LongPointer(1)) {
      if (dnnl_primitive_desc_query(pd, dnnl_query_memory_consumption_s64, 0, out) != dnnl_success) {
        return 0;
      }
      return Math.max(0, out.get());
    }
  }

  static String implementation(dnnl_primitive_desc pd) {
    try (PointerPointer<Pointer> out = new PointerPointer<>(1)) {
      if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, out) != dnnl_success || out.get(0) == null) {
        return "unknown";
      }
      return new BytePointer(out.get(0)).getString();
    }
  }

  private Step step(dnnl_primitive_desc pd, int[] args, Buffer[] buffers, Buffer from) {
    dnnl_primitive p = new dnnl_primitive();
    check(dnnl_primitive_create(p, pd), "primitive_create");
    releases.add(() -> dnnl_primitive_destroy(p));
    account(memoryConsumption(pd));
    dnnl_exec_arg_t a = new dnnl_exec_arg_t(args.length);
    releases.add(a::close);
    for (int i = 0; i < args.length; i++) {
      a.position(i).arg(args[i]).memory(buffers[i].memory);
    }
    a.position(0);
    return new Step(p, args.length, a, from);
  }

  /** What this plan runs, for diagnostics: set by whoever chose among candidate plans. */
  String label = "";

  /**
   * Executes the input reorders (except those of inputs unchanged since the last run), the
   * primitives and the output reorders, and waits for them.
   */
  void run() {
    for (Step s : steps) {
      if (s.from != null && !s.from.changed) {
        continue;
      }
      check(dnnl_primitive_execute(s.primitive, stream, s.count, s.args), "primitive_execute");
    }
    for (Step s : after) {
      check(dnnl_primitive_execute(s.primitive, stream, s.count, s.args), "primitive_execute");
    }
    check(dnnl_stream_wait(stream), "stream_wait");
    for (Buffer b : ins) {
      b.changed = false;
    }
  }

  @Override
  public void close() {
    for (int i = releases.size() - 1; i >= 0; i--) {
      releases.get(i).run();
    }
    releases.clear();
    nativeMemory.freed(bytes);
    bytes = 0;
    ins.clear();
    outs.clear();
    steps.clear();
    after.clear();
  }
}
