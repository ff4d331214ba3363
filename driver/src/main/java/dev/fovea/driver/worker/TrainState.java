package dev.fovea.driver.worker;

/**
 * What a round ships to every worker: the flat parameter vector, the optimizer's state ({@code
 * velocity}: S blocks laid out like the parameters, S = {@code Optimizer.stateBlocks()}; SGD's
 * velocity, Adam's two moments) and the network's buffers (batch-norm running statistics; empty for
 * networks without). A plain class so Kryo carries it. With per-worker optimizer state it is not
 * shipped ({@code null}); each worker's stays with its partition. Java-serializable too, for a session that uses Spark's Java serializer.
 */
public final class TrainState implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  public float[] params;
  public float[] velocity;
  public float[] buffers;

  /** For Kryo. */
  public TrainState() {}

  /**
   * @param velocity the optimizer's state, whole blocks laid out like {@code params}; null where it is
   *     kept per worker ({@code --optimizer-state local}) and is not part of what is shipped
   */
  public TrainState(float[] params, float[] velocity, float[] buffers) {
    if (velocity != null && (params.length == 0 ? velocity.length != 0 : velocity.length % params.length != 0)) {
      throw new IllegalArgumentException("the optimizer state (" + velocity.length + " values) is not whole blocks of "
          + params.length + " parameters");
    }
    this.params = params;
    this.velocity = velocity;
    this.buffers = buffers;
  }
}
