package dev.fovea.kernels;

import java.util.function.IntToLongFunction;

/**
 * A compiled training step whose parameters, gradients and SGD velocity stay in the backend's own
 * memory, in the layouts its primitives want, for many steps: {@link #load} copies them in (and
 * reorders them) once, each {@link #step} runs forward, loss, backward and the SGD update in place,
 * and {@link #store} copies them back out once. Compiled by a {@link NetworkCompiler} and owned by
 * its backend (freed when the backend closes); used by one thread, and one loader, at a time.
 *
 * <p>The update is SGD with momentum and L2 weight decay with exactly the float arithmetic of
 * {@code dev.fovea.optim.Sgd.step}, element by element, so equal gradients give bitwise equal
 * parameters and velocity.
 */
public interface ResidentNetwork {

  /** The compiled batch size. */
  int batch();

  /**
   * Copies {@code params} and {@code velocity} (each of the network's parameter count) in and
   * zeroes the gradients; returns a token that {@link #step} and {@link #store} check, so that a
   * second loader on the same step is caught rather than silently mixed in.
   */
  long load(float[] params, float[] velocity);

  /**
   * One training step on the loaded state: gradients of the batch, then {@code v ← momentum · v +
   * g + weightDecay · w; w ← w − learningRate · v} (or, with momentum 0, {@code w ← w −
   * learningRate · (g + weightDecay · w)}, velocity untouched) in place. Updates the running
   * statistics in {@code buffers} in place and returns the summed loss of the main output.
   *
   * @param src images {@code (N, C, H, W)}, N the compiled batch
   * @param labels N class indices
   * @param seeds the seed of node i for this step
   */
  double step(long token, float[] buffers, Tensor src, int[] labels, IntToLongFunction seeds, float learningRate,
      float momentum, float weightDecay);

  /** Copies the current parameters and velocity out into {@code params} and {@code velocity}. */
  void store(long token, float[] params, float[] velocity);
}
