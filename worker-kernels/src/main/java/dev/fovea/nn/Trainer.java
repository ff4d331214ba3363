package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.DType;
import dev.fovea.kernels.NetworkCompiler;
import dev.fovea.kernels.ResidentNetwork;
import dev.fovea.kernels.Tensor;
import dev.fovea.optim.Frozen;
import dev.fovea.optim.Sgd;
import java.util.BitSet;

/**
 * Training steps with SGD over one state (parameters, buffers, velocity), for as many steps as a
 * round has: {@link #step} runs forward, loss, backward and the update; {@link #copyOut} hands the
 * state back. Made by {@link Network#trainer}; used by one thread; the caller's arrays are copied in
 * and never written until {@code copyOut}.
 *
 * <p>On a backend that compiles steps resident ({@link NetworkCompiler#compileResident}, oneDNN),
 * with FLOAT32 batches and no frozen parameters, the parameters, gradients and velocity stay in
 * native memory in the layouts the primitives want between steps: the weights are reordered in
 * once (at the first step of a batch size) and out once (at {@code copyOut}), and the update runs
 * in place with exactly {@link Sgd#step}'s arithmetic. Everything else (the reference backend,
 * FLOAT64 batches, frozen parameters, a network the backend cannot keep resident) runs the heap
 * loop: {@link Network#lossAndGradient(Backend, float[], float[], float[], Tensor, int[], long,
 * BitSet)} then {@link Sgd#step} (or {@link Frozen}'s), exactly as before.
 *
 * <p>The native state belongs to the backend's compiled step (freed when the backend closes); a
 * backend serves one trainer at a time, and a second trainer's first step makes the first one's
 * next call fail rather than mix their states.
 */
public final class Trainer implements AutoCloseable {
  private final Network net;
  private final Backend backend;
  private final Sgd sgd;
  private final BitSet frozen;
  private final float[] params;
  private final float[] buffers;
  private final float[] velocity;
  private float[] grads;
  /** The resident step holding the state now (the heap arrays are stale then), or null. */
  private ResidentNetwork resident;
  private long token;
  private boolean closed;

  Trainer(Network net, Backend backend, float[] params, float[] buffers, float[] velocity, Sgd sgd, BitSet frozen) {
    if (params.length != velocity.length) {
      throw new IllegalArgumentException("trainer: " + params.length + " parameters but " + velocity.length
          + " velocities");
    }
    this.net = net;
    this.backend = backend;
    this.sgd = sgd;
    this.frozen = (BitSet) frozen.clone();
    this.params = params.clone();
    this.buffers = buffers.clone();
    this.velocity = velocity.clone();
  }

  /**
   * One step on a batch {@code images (N, C, H, W)} with {@code labels} (N class indices) and the
   * step seed (dropout): gradients, then the SGD update of the parameters and velocity; the running
   * statistics are updated too. Returns the summed loss of the main output.
   */
  public double step(Tensor images, int[] labels, long seed) {
    return step(images, labels, null, seed);
  }

  /**
   * One step with the network's {@link Network#loss()}: {@code labels} for class losses, {@code
   * targets (N, ...)} of the output's shape for the others. Losses other than softmax
   * cross-entropy run the heap loop (layer by layer, each op on the backend), not the resident step.
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
        token = r.load(params, velocity);
        resident = r;
      }
    }
    if (resident != null) {
      net.checkInput(images);
      return resident.step(token, buffers, images, labels, i -> Network.nodeSeed(seed, i), (float) sgd.learningRate(),
          (float) sgd.momentum(), (float) sgd.weightDecay());
    }
    if (grads == null) {
      grads = new float[params.length];
    }
    double loss = net.lossAndGradient(backend, params, buffers, grads, images, labels, targets, seed, frozen);
    if (frozen.isEmpty()) {
      sgd.step(params, grads, velocity);
    } else {
      new Frozen(sgd, frozen).step(params, grads, velocity, 0, sgd.learningRate());
    }
    return loss;
  }

  private ResidentNetwork residentFor(Tensor images) {
    if (!frozen.isEmpty() || images.dtype() != DType.FLOAT32 || !net.loss().readsLabels()
        || !(backend instanceof NetworkCompiler c)) {
      return null;
    }
    int batch = images.shape().dim(0);
    if (resident != null && resident.batch() == batch) {
      return resident;
    }
    return c.compileResident(net, batch, () -> net.graph(true, new BitSet()));
  }

  private void unload() {
    if (resident != null) {
      resident.store(token, params, velocity);
      resident = null;
    }
  }

  /** Whether the state is in native memory now (a resident step ran and {@link #copyOut} has not been asked since). */
  public boolean resident() {
    return resident != null;
  }

  /**
   * Copies the current parameters, buffers and velocity into the given arrays (of the lengths the
   * trainer was made with); training may go on afterwards.
   */
  public void copyOut(float[] params, float[] buffers, float[] velocity) {
    if (closed) {
      throw new IllegalStateException("trainer is closed");
    }
    if (resident != null) {
      resident.store(token, this.params, this.velocity);
    }
    System.arraycopy(this.params, 0, params, 0, this.params.length);
    System.arraycopy(this.buffers, 0, buffers, 0, this.buffers.length);
    System.arraycopy(this.velocity, 0, velocity, 0, this.velocity.length);
  }

  /** Ends the session; state not copied out is dropped. */
  @Override
  public void close() {
    closed = true;
    resident = null;
  }
}
