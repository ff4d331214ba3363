package dev.fovea.driver.worker;

/**
 * What a round ships to every worker: the flat parameter vector, the optimizer state (SGD
 * velocity, laid out like the parameters) and the network's buffers (batch-norm running
 * statistics; empty for networks without). A plain class so Kryo carries it.
 */
public final class TrainState {
  public float[] params;
  public float[] velocity;
  public float[] buffers;

  /** For Kryo. */
  public TrainState() {}

  public TrainState(float[] params, float[] velocity, float[] buffers) {
    if (params.length != velocity.length) {
      throw new IllegalArgumentException("params and velocity differ in length");
    }
    this.params = params;
    this.velocity = velocity;
    this.buffers = buffers;
  }
}
