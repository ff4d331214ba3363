package dev.fovea.driver.worker;

/**
 * What a round ships to every worker: the flat parameter vector and the optimizer state (SGD
 * velocity), laid out alike. A plain class so Kryo carries it.
 */
public final class TrainState {
  public float[] params;
  public float[] velocity;

  /** For Kryo. */
  public TrainState() {}

  public TrainState(float[] params, float[] velocity) {
    if (params.length != velocity.length) {
      throw new IllegalArgumentException("params and velocity differ in length");
    }
    this.params = params;
    this.velocity = velocity;
  }
}
