package dev.fovea.kernels.compile;

import dev.fovea.kernels.NetworkGraph;
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
 * The resident part of a {@link CompiledStep} ({@link dev.fovea.kernels.ResidentNetwork}):
 * parameters, gradients and optimizer state stay in device memory between steps; weights a kernel
 * wants in another layout than row-major are held in that layout (with their gradient and state),
 * converted in by {@link #load} and out by {@link #store} only, and the update runs as the device's
 * {@link UpdateKernel}. An ordinary step has one too, holding nothing.
 */
final class ResidentState<B extends StepBuffer<L>, L> {

  /** A weight slice held in a kernel's layout, with its gradient and optimizer state blocks in the same layout. */
  private record Master<B>(NetworkGraph.Slice slice, B plain, B weights, B grad, List<B> state) {}

  private final CompiledStep<B, L> c;
  private final int stateBlocks;
  /** The optimizer state of every row-major parameter, {@code stateBlocks} blocks of the parameter count. */
  private long stateBlock;
  private final Map<Integer, Master<B>> masters = new HashMap<>();
  private final Set<Integer> weightSlices = new HashSet<>();
  private UpdateKernel update;
  private long token;

  ResidentState(CompiledStep<B, L> c, int stateBlocks) {
    this.c = c;
    this.stateBlocks = stateBlocks;
  }

  int stateBlocks() {
    return stateBlocks;
  }

  // ---- compiling ----

  /** Allocates the row-major optimizer state (after the parameter count is known). */
  void allocate() {
    stateBlock = c.memory.allocate((long) Math.max(stateBlocks * c.paramCount, 1) * Float.BYTES);
  }

  /** See {@link CompiledStep#weightsIn}: the resident case. */
  B weightsIn(NetworkGraph.Slice s, B plainView, L wanted) {
    StepLowering<B, L> lowering = c.lowering;
    if (!weightSlices.add(s.offset())) {
      // one held copy per slice: a second reader could want another layout
      throw new Unsupported("a resident step whose parameter slice is read by two nodes");
    }
    if (lowering.same(plainView.layout, wanted)) {
      return plainView;
    }
    long size = MemoryPlan.rounded(lowering.size(wanted));
    B w = lowering.at(wanted, c.memory.allocate(size));
    B gw = lowering.at(wanted, c.memory.allocate(size));
    List<B> held = new ArrayList<>();
    List<B> plainState = new ArrayList<>();
    for (int j = 0; j < stateBlocks; j++) {
      held.add(lowering.at(wanted, c.memory.allocate(size)));
      plainState.add(lowering.at(plainView.layout,
          stateBlock + ((long) j * c.paramCount + s.offset()) * Float.BYTES));
    }
    String t = c.tag;
    c.tag = t.substring(0, t.indexOf('/') + 1) + "load";
    c.planInto(c.loadProgram, () -> {
      c.reorder(plainView, w);
      for (int j = 0; j < stateBlocks; j++) {
        c.reorder(plainState.get(j), held.get(j));
      }
    });
    c.tag = t.substring(0, t.indexOf('/') + 1) + "store";
    c.planInto(c.storeProgram, () -> {
      c.reorder(w, plainView);
      for (int j = 0; j < stateBlocks; j++) {
        c.reorder(held.get(j), plainState.get(j));
      }
    });
    c.tag = t;
    masters.put(s.offset(), new Master<>(s, plainView, w, gw, held));
    return w;
  }

  /** See {@link CompiledStep#gradientOf}. */
  B gradientOf(NetworkGraph.Slice s, B plainView) {
    Master<B> m = masters.get(s.offset());
    return m != null ? m.grad : plainView;
  }

  /** Makes the device's update kernel over {@link #regions()} (after the lowering finished). */
  void finish() {
    update = c.lowering.updateKernel(regions());
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
    addRegion(regions, at, c.paramCount - at);
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
        state[j] = stateBlock + (long) j * c.paramCount * Float.BYTES + o;
      }
      regions.add(new UpdateKernel.Region(c.paramBlock + o, c.gradBlock + o, state, count));
    }
  }

  // ---- running ----

  private void check(long token) {
    if (!c.resident() || c.closed) {
      throw new IllegalStateException(c.closed ? "the resident step was freed (its backend closed or evicted it)"
          : "this step is not resident");
    }
    if (token != this.token) {
      throw new IllegalStateException("the resident step was loaded by someone else since");
    }
  }

  /** See {@link dev.fovea.kernels.ResidentNetwork#load}. */
  long load(float[] params, float[] state) {
    check(token);
    int paramCount = c.paramCount;
    if (params.length != paramCount || state.length != (long) stateBlocks * paramCount) {
      throw new IllegalArgumentException("resident step of " + paramCount + " parameters and " + stateBlocks
          + " state blocks loaded with " + params.length + " parameters and " + state.length + " state values");
    }
    DeviceMemory memory = c.memory;
    memory.put(c.paramBlock, params, 0, paramCount);
    memory.put(stateBlock, state, 0, state.length);
    // gradients no node writes stay zero for the whole round, as the heap loop's zeroed vector
    memory.zero(c.gradBlock, (long) Math.max(paramCount, 1) * Float.BYTES);
    for (Master<B> m : masters.values()) {
      memory.zero(m.grad.address, m.grad.bytes);
    }
    c.loadProgram.run(c.lowering, c.profiling);
    return ++token;
  }

  /** See {@link dev.fovea.kernels.ResidentNetwork#step}. */
  double step(long token, float[] buffers, Tensor src, int[] labels, Tensor targets, IntToLongFunction seeds,
      UpdateRule rule, long step) {
    check(token);
    StepRun<B, L> run = c.run;
    run.checkBatch(src);
    if (buffers.length < c.bufferCount) {
      throw new IllegalArgumentException("buffer vector too short for the compiled step");
    }
    if (rule.optimizer().stateBlocks() != stateBlocks) {
      throw new IllegalArgumentException("a resident step holding " + stateBlocks + " state blocks cannot run "
          + rule.optimizer() + " (" + rule.optimizer().stateBlocks() + ")");
    }
    run.takeTargets(labels, targets);
    c.write(c.input, src);
    c.memory.put(c.bufferBlock, buffers, 0, c.bufferCount);
    // no host node of a resident step has parameters (compile refuses them): they get empty vectors
    run.params = new float[0];
    run.grads = new float[0];
    run.buffers = buffers;
    run.seeds = seeds;
    try {
      run.execute();
    } finally {
      run.forgetStepInputs();
    }
    // the device's update kernel, outside execute: a host kernel runs in the Java thread's own
    // floating-point mode, as on the heap
    update.apply(rule, step);
    return run.loss;
  }

  /** See {@link dev.fovea.kernels.ResidentNetwork#store}. */
  void store(long token, float[] params, float[] state) {
    check(token);
    int paramCount = c.paramCount;
    if (params.length != paramCount || state.length != (long) stateBlocks * paramCount) {
      throw new IllegalArgumentException("resident step of " + paramCount + " parameters and " + stateBlocks
          + " state blocks stored into " + params.length + " parameters and " + state.length + " state values");
    }
    c.storeProgram.run(c.lowering, c.profiling);
    c.memory.get(c.paramBlock, params, 0, paramCount);
    c.memory.get(stateBlock, state, 0, state.length);
  }

  // ---- for tests ----

  /** See {@link CompiledStep#updateWith}. */
  double updateWith(long token, float[] grads, UpdateRule rule, long step) {
    check(token);
    if (grads.length != c.paramCount) {
      throw new IllegalArgumentException(grads.length + " gradients for " + c.paramCount + " parameters");
    }
    c.memory.put(c.gradBlock, grads, 0, c.paramCount);
    for (Master<B> m : masters.values()) {
      c.memory.zero(m.grad.address, m.grad.bytes);
      c.lowering.convertNow(m.plain.layout, c.gradBlock + (long) m.slice.offset() * Float.BYTES, m.weights.layout,
          m.grad.address);
    }
    return update.apply(rule, step);
  }

  /** See {@link CompiledStep#nonzeroPadding}. */
  long nonzeroPadding() {
    DeviceMemory memory = c.memory;
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
      c.lowering.convertNow(m.plain.layout, ones, m.weights.layout, mark);
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

  /** See {@link CompiledStep#paddingElements}. */
  long paddingElements() {
    long n = 0;
    for (Master<B> m : masters.values()) {
      n += m.weights.bytes / Float.BYTES - m.slice.shape().size();
    }
    return n;
  }

  /** See {@link CompiledStep#masterCount}. */
  int masterCount() {
    return masters.size();
  }

  /** Drops the update kernel when the step is freed. */
  void close() {
    update = null;
  }
}
