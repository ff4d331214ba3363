package dev.fovea.nn;

import dev.fovea.kernels.Tensor;

/**
 * What one layer sees of one pass besides its sources and parameters: whether it trains, its own
 * seed (derived from the step seed and the layer's position, so a pass is a pure function of
 * parameters, buffers, batch and seed), views of its buffers, whether its sources need gradients,
 * and one slot to keep what its backward pass needs (a dropout mask, batch statistics).
 */
public final class LayerContext {
  private final boolean training;
  private final long seed;
  private final Tensor[] buffers;
  private final boolean needDiffSrc;
  private Object saved;

  /**
   * @param training whether this is a training pass (dropout drops, batch norm uses and updates
   *     batch statistics)
   * @param seed this layer's seed for the pass
   * @param buffers views of this layer's buffers, in the order of {@link Layer#buffers}
   * @param needDiffSrc whether backward must return the gradients of the sources
   */
  public LayerContext(boolean training, long seed, Tensor[] buffers, boolean needDiffSrc) {
    this.training = training;
    this.seed = seed;
    this.buffers = buffers;
    this.needDiffSrc = needDiffSrc;
  }

  /** An evaluation context with no buffers, for a layer used on its own. */
  public static LayerContext evaluation() {
    return new LayerContext(false, 0, new Tensor[0], true);
  }

  public boolean training() {
    return training;
  }

  public long seed() {
    return seed;
  }

  public Tensor[] buffers() {
    return buffers;
  }

  public boolean needDiffSrc() {
    return needDiffSrc;
  }

  /** Keeps {@code value} for the backward pass of the same call. */
  public void save(Object value) {
    saved = value;
  }

  /** This context, with what forward saved, but telling backward that no source gradient is needed. */
  LayerContext withoutDiffSrc() {
    LayerContext c = new LayerContext(training, seed, buffers, false);
    c.saved = saved;
    return c;
  }

  /** What forward saved, or null. */
  public Object saved() {
    return saved;
  }
}
