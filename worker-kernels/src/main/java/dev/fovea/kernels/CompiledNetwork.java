package dev.fovea.kernels;

import java.util.function.IntToLongFunction;

/**
 * A network step compiled by a {@link NetworkCompiler} for one batch size and mode. Owned by the
 * backend that compiled it (freed when that backend closes); used by one thread at a time.
 *
 * <p>The semantics are those of {@code dev.fovea.nn.Network}'s layer-by-layer passes, to float
 * rounding: the same loss, gradients, running-statistics updates and dropout masks.
 */
public interface CompiledNetwork {

  /**
   * One training pass: writes the gradient of every parameter slice into {@code grads} (slices of
   * nodes that run on the host are accumulated into it, so the caller zeroes it first), updates
   * the running statistics in {@code buffers} in place and returns the summed loss of the main
   * output.
   *
   * @param src images {@code (N, C, H, W)} (N the compiled batch)
   * @param labels N class indices
   * @param seeds the seed of node i for this step (dropout draws from it)
   */
  default double lossAndGradient(float[] params, float[] buffers, float[] grads, Tensor src, int[] labels,
      IntToLongFunction seeds) {
    return lossAndGradient(params, buffers, grads, src, labels, null, seeds);
  }

  /**
   * {@link #lossAndGradient(float[], float[], float[], Tensor, int[], IntToLongFunction)} with the
   * graph's loss ({@link NetworkGraph#loss()}): {@code labels} for softmax cross-entropy, {@code
   * targets (N, ...)} of the main output's shape for the others (either null where not read).
   */
  double lossAndGradient(float[] params, float[] buffers, float[] grads, Tensor src, int[] labels, Tensor targets,
      IntToLongFunction seeds);

  /**
   * Logits {@code (N, classes)} of the main output for {@code src (N, C, H, W)}, evaluating with
   * the running statistics in {@code buffers} (unchanged).
   *
   * @param seeds the seed of node i for this pass (what host layers see, as layer by layer)
   */
  Tensor forward(float[] params, float[] buffers, Tensor src, IntToLongFunction seeds);
}
