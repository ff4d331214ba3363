package dev.fovea.kernels;

import java.util.function.Supplier;

/**
 * An optional capability of a backend: running a whole network step (forward, loss and backward,
 * or an evaluation forward pass) as one compiled program instead of op by op, so that activations
 * and their gradients can stay in the backend's own memory and layouts between layers.
 * {@code dev.fovea.nn.Network} uses it when its backend implements this interface; a backend
 * without it (the reference) runs layer by layer as before.
 *
 * <p>The backend owns what it compiles: it caches one {@link CompiledNetwork} per (owner, batch,
 * training) and frees them all, deterministically, in {@link Backend#close()}.
 */
public interface NetworkCompiler {

  /**
   * The compiled step for {@code owner}, {@code batch}
   * samples and the given mode, compiled from {@code graph} on first use and cached; null when this
   * backend does not compile steps now (the caller then runs layer by layer).
   *
   * @param owner what the cache is keyed by, compared by {@code equals} (a network by identity; a
   *     fine-tuning pass by network and frozen parameters); {@code graph} must always describe it
   *     the same
   * @param training whether the step trains (batch statistics, dropout, backward) or evaluates
   * @param graph called at most once per key, when the step is compiled
   */
  CompiledNetwork compile(Object owner, int batch, boolean training, Supplier<NetworkGraph> graph);

  /**
   * The resident training step ({@link ResidentNetwork}) for {@code owner} and {@code batch}
   * samples, holding {@code stateBlocks} blocks of optimizer state per parameter, compiled from
   * {@code graph} on first use and cached like {@link #compile}; null when this backend cannot keep
   * this network's parameters resident (the caller then trains with {@link #compile}'s step and
   * updates on the heap).
   */
  default ResidentNetwork compileResident(Object owner, int batch, int stateBlocks, Supplier<NetworkGraph> graph) {
    return null;
  }
}
