package dev.fovea.kernels.compile;

import dev.fovea.kernels.NetworkGraph;
import java.util.List;

/**
 * What a device supplies to compile one step ({@link CompiledStep}): its layouts and their
 * conversion, the lowering of each graph op forward and backward, its fusion rules and its update
 * kernel. One instance per compiled step; it holds the device objects it creates for that step
 * and frees them in {@link #close()}. Every planning method appends actions to the step's program
 * through {@link CompiledStep#action}, in the order they must run.
 *
 * @param <B> the device's buffer
 * @param <L> the device's layout descriptor
 */
public interface StepLowering<B extends StepBuffer<L>, L> extends DeviceStream, AutoCloseable {

  /** The memory the step's blocks come from. */
  DeviceMemory memory();

  // ---- layouts ----

  /** The row-major (plain, dense) layout of {@code dims}. */
  L rowMajor(long[] dims);

  /** Bytes a buffer of {@code layout} spans. */
  long size(L layout);

  /** Whether two layouts describe the same bytes the same way. */
  boolean same(L a, L b);

  /** A buffer of {@code layout} over the bytes at {@code address}. */
  B at(L layout, long address);

  /** Plans a conversion of {@code from}'s values into {@code to}'s layout and bytes. */
  void reorder(CompiledStep<B, L> step, B from, B to);

  /** Plans {@code dst = Σ scales[j] · srcs[j]} (all in {@code dst}'s layout; {@code dst} may be a source). */
  void sum(CompiledStep<B, L> step, List<B> srcs, float[] scales, B dst);

  /** Converts now, outside any program: {@code from} bytes at {@code src} into {@code to} at {@code dst} (tests). */
  void convertNow(L from, long src, L to, long dst);

  // ---- ops ----

  /** Whether a plain ReLU after a node of {@code producer} can run inside that node's kernel. */
  boolean fusesRelu(NetworkGraph.Op producer);

  /**
   * Plans node i's forward pass ({@link CompiledStep#setAct} its output, {@link CompiledStep#save}
   * what backward needs) and returns true; false when the device does not lower this node (it then
   * runs on the host). Flatten, sums and fused ReLUs are the step's own and never reach here.
   */
  boolean forward(CompiledStep<B, L> step, int i);

  /**
   * Plans node i's backward pass from its output gradient {@code diffDst}: parameter gradients,
   * and the source gradients delivered through {@link CompiledStep#sink} / {@link CompiledStep#sunk}
   * or {@link CompiledStep#deliver}. Called only for nodes whose {@link #forward} returned true
   * (and for fused ReLUs, with {@link StepPlan#fusedInto} set).
   */
  void backward(CompiledStep<B, L> step, int i, B diffDst);

  /** Plans a log-softmax over the rows of {@code x} (row-major {@code (N, K)}) into a new acquired buffer of x's layout. */
  B logSoftmax(CompiledStep<B, L> step, B x);

  /** Called once every action is planned (e.g. to give all kernels one scratchpad). */
  void finish(CompiledStep<B, L> step);

  // ---- resident rounds ----

  /** The update kernel over the resident regions of the step. */
  UpdateKernel updateKernel(List<UpdateKernel.Region> regions);

  /** Frees the device objects made for the step (not its memory's blocks). */
  @Override
  void close();
}
