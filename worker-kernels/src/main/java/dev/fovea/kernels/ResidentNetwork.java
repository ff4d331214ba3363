package dev.fovea.kernels;

import dev.fovea.optim.UpdateRule;
import java.util.function.IntToLongFunction;

/**
 * A compiled training step whose parameters, gradients and optimizer state stay in the backend's
 * own memory, in the layouts its primitives want, for many steps: {@link #load} copies them in (and
 * reorders them) once, each {@link #step} runs forward, loss, backward and the update in place, and
 * {@link #store} copies them back out once. Compiled by a {@link NetworkCompiler} for a number of
 * optimizer state blocks and owned by its backend (freed when the backend closes); used by one
 * thread, and one loader, at a time.
 *
 * <p>The update is an {@link UpdateRule} handed to every step: any optimizer of {@code
 * dev.fovea.optim}, with its schedule and gradient clipping (the norm over all parameters before
 * any is updated). Its formula ({@link UpdateRule#apply(java.util.List, long)}, element-wise over
 * {@link dev.fovea.optim.Segment}s) is the specification; the backend supplies the update kernel
 * over the memory it holds: a backend whose memory is host memory (oneDNN) runs the formula itself
 * over direct views of its native segments, so equal gradients give the heap loop's parameters
 * and state; a device backend implements a kernel per optimizer and is checked against the
 * formula at a stated tolerance.
 */
public interface ResidentNetwork {

  /** The compiled batch size. */
  int batch();

  /** The optimizer state blocks held per parameter ({@code dev.fovea.optim.Optimizer#stateBlocks}). */
  int stateBlocks();

  /**
   * Copies {@code params} (P) and {@code state} ({@link #stateBlocks} blocks of P) in and zeroes
   * the gradients; returns a token that {@link #step} and {@link #store} check, so that a second
   * loader on the same step is caught rather than silently mixed in.
   */
  long load(float[] params, float[] state);

  /**
   * One training step on the loaded state: gradients of the batch, then {@code rule}'s update of
   * the parameters and state in place after {@code step} completed steps ({@code rule.apply(…,
   * step)}: the schedule's rate and Adam's bias correction follow from it). Updates the running
   * statistics in {@code buffers} in place and returns the summed loss of the main output.
   *
   * @param src images {@code (N, C, H, W)}, N the compiled batch
   * @param labels N class indices
   * @param seeds the seed of node i for this step
   * @param rule the update; its optimizer must have {@link #stateBlocks} state blocks
   * @param step steps completed before this one in the whole run, from 0
   */
  default double step(long token, float[] buffers, Tensor src, int[] labels, IntToLongFunction seeds,
      UpdateRule rule, long step) {
    return step(token, buffers, src, labels, null, seeds, rule, step);
  }

  /**
   * {@link #step(long, float[], Tensor, int[], IntToLongFunction, UpdateRule, long)} with the
   * graph's loss ({@link NetworkGraph#loss()}): {@code labels} for softmax cross-entropy, {@code
   * targets (N, ...)} of the main output's shape for the others (either null where not read).
   */
  double step(long token, float[] buffers, Tensor src, int[] labels, Tensor targets, IntToLongFunction seeds,
      UpdateRule rule, long step);

  /** Copies the current parameters and optimizer state out into {@code params} and {@code state}. */
  void store(long token, float[] params, float[] state);
}
