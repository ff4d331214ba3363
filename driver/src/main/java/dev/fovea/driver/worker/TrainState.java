package dev.fovea.driver.worker;

/**
 * What a round ships to every worker: the flat parameter vector, the optimizer state (SGD
 * velocity, laid out like the parameters) and the network's buffers (batch-norm running
 * statistics; empty for networks without). A plain class so Kryo carries it. With per-worker
 * optimizer state the velocity is not shipped ({@code null}); each worker's stays with its
 * partition. Java-serializable too, for a session that uses Spark's Java serializer.
 */
public final class TrainState implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  public float[] params;
  public float[] velocity;
  public float[] buffers;

  /** For Kryo. */
  public TrainState() {}

  /**
   * @param velocity laid out like {@code params}; null where the velocity is kept per worker
   *     ({@code --optimizer-state local}) and is not part of what is shipped
   */
  public TrainState(float[] params, float[] velocity, float[] buffers) {
    if (velocity != null && params.length != velocity.length) {
      throw new IllegalArgumentException("params and velocity differ in length");
    }
    this.params = params;
    this.velocity = velocity;
    this.buffers = buffers;
  }
}
