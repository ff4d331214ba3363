package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.DType;
import dev.fovea.kernels.NetworkCompiler;
import dev.fovea.kernels.ResidentNetwork;
import dev.fovea.kernels.Tensor;
import dev.fovea.optim.Frozen;
import dev.fovea.optim.UpdateRule;
import java.util.BitSet;

/**
 * Training steps with an {@link UpdateRule} (any optimizer, its schedule, gradient clipping) over
 * one state (parameters, buffers, optimizer state), for as many steps as a round has: {@link #step}
 * runs forward, loss, backward and the update; {@link #copyOut} hands the state back. Made by
 * {@link Network#trainer}; used by one thread; the caller's arrays are copied in and never written
 * until {@code copyOut}. The step count starts at the session's first step in the whole run and
 * grows by one per step, so the schedule's rate and Adam's bias correction are those of the global
 * step however the run is cut into rounds.
 *
 * <p>On a backend that compiles steps resident ({@link NetworkCompiler#compileResident}, oneDNN),
 * with FLOAT32 batches and no frozen parameters, the parameters, gradients and optimizer state stay
 * in native memory in the layouts the primitives want between steps: the weights are reordered in
 * once (at the first step of a batch size) and out once (at {@code copyOut}), and the backend runs
 * the rule's update there ({@link ResidentNetwork#step}). Everything else (the reference backend,
 * FLOAT64 batches, frozen parameters, per-pixel cross-entropy, a network the backend cannot keep
 * resident) runs the heap loop: {@link Network#lossAndGradient(Backend, float[], float[], float[],
 * Tensor, int[], long, BitSet)} then {@link UpdateRule#apply(float[], float[], float[], long)} (with {@link Frozen}).
 *
 * <p>The native state belongs to the backend's compiled step (freed when the backend closes); a
 * backend serves one trainer at a time, and a second trainer's first step makes the first one's
 * next call fail rather than mix their states.
 */
public final class Trainer implements AutoCloseable {
  private final Network net;
  private final Backend backend;
  private final UpdateRule rule;
  private final BitSet frozen;
  private final float[] params;
  private final float[] buffers;
  private final float[] state;
  private float[] grads;
  /** Steps completed in the whole run before the next one. */
  private long step;
  /** The resident step holding the state now (the heap arrays are stale then), or null. */
  private ResidentNetwork resident;
  private long token;
  private boolean closed;

  Trainer(Network net, Backend backend, float[] params, float[] buffers, float[] state, UpdateRule rule, long firstStep,
      BitSet frozen) {
    if (state.length != rule.stateSize(params.length)) {
      throw new IllegalArgumentException("trainer: " + params.length + " parameters need " + rule.stateSize(
          params.length) + " optimizer state values for " + rule.optimizer() + ", got " + state.length);
    }
    if (firstStep < 0) {
      throw new IllegalArgumentException("trainer: first step must be >= 0, got " + firstStep);
    }
    this.net = net;
    this.backend = backend;
    this.frozen = (BitSet) frozen.clone();
    this.rule = this.frozen.isEmpty() ? rule : rule.withOptimizer(new Frozen(rule.optimizer(), this.frozen));
    this.params = params.clone();
    this.buffers = buffers.clone();
    this.state = state.clone();
    this.step = firstStep;
  }

  /**
   * One step on a batch {@code images (N, C, H, W)} with {@code labels} (N class indices) and the
   * step seed (dropout): gradients, then the rule's update of the parameters and optimizer state;
   * the running statistics are updated too. Returns the summed loss of the main output.
   */
  public double step(Tensor images, int[] labels, long seed) {
    return step(images, labels, null, seed);
  }

  /**
   * One step with the network's {@link Network#loss()}: {@code labels} for class losses, {@code
   * targets (N, ...)} of the output's shape for the others. Per-pixel cross-entropy runs the heap
   * loop (layer by layer, each op on the backend), every other loss the resident step where there is one.
   */
  public double step(Tensor images, int[] labels, Tensor targets, long seed) {
    if (closed) {
      throw new IllegalStateException("trainer is closed");
    }
    ResidentNetwork r = residentFor(images);
    if (r != resident) {
      // another batch size (or the heap loop) from now on: bring the state back to the heap first
      unload();
      if (r != null) {
        token = r.load(params, state);
        resident = r;
      }
    }
    if (resident != null) {
      net.checkInput(images);
      boolean labelled = net.loss().readsLabels();
      return resident.step(token, buffers, images, labelled ? labels : null, labelled ? null : targets,
          i -> Network.nodeSeed(seed, i), rule, step++);
    }
    if (grads == null) {
      grads = new float[params.length];
    }
    double loss = net.lossAndGradient(backend, params, buffers, grads, images, labels, targets, seed, frozen);
    rule.apply(params, grads, state, step++);
    return loss;
  }

  private ResidentNetwork residentFor(Tensor images) {
    if (!frozen.isEmpty() || images.dtype() != DType.FLOAT32 || NetworkLowering.lossKind(net.loss()) == null
        || !(backend instanceof NetworkCompiler c)) {
      return null;
    }
    int batch = images.shape().dim(0);
    if (resident != null && resident.batch() == batch) {
      return resident;
    }
    return c.compileResident(net, batch, rule.optimizer().stateBlocks(), () -> net.graph(true, new BitSet()));
  }

  private void unload() {
    if (resident != null) {
      resident.store(token, params, state);
      resident = null;
    }
  }

  /** Whether the state is in native memory now (a resident step ran and {@link #copyOut} has not been asked since). */
  public boolean resident() {
    return resident != null;
  }

  /** Steps completed in the whole run before the next one. */
  public long steps() {
    return step;
  }

  /**
   * Copies the current parameters, buffers and optimizer state into the given arrays (of the
   * lengths the trainer was made with); training may go on afterwards.
   */
  public void copyOut(float[] params, float[] buffers, float[] state) {
    if (closed) {
      throw new IllegalStateException("trainer is closed");
    }
    if (resident != null) {
      resident.store(token, this.params, this.state);
    }
    System.arraycopy(this.params, 0, params, 0, this.params.length);
    System.arraycopy(this.buffers, 0, buffers, 0, this.buffers.length);
    System.arraycopy(this.state, 0, state, 0, this.state.length);
  }

  /** Ends the session; state not copied out is dropped. */
  @Override
  public void close() {
    closed = true;
    resident = null;
  }
}
