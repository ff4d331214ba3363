package dev.fovea.driver.worker;

/**
 * What one worker returns from a round. A plain class so Kryo carries it; Java-serializable too, for
 * a session that uses Spark's Java serializer.
 */
public final class RoundResult implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  public int worker;
  public float[] params;
  public float[] velocity;
  public float[] buffers;
  /** Summed loss over every sample trained this round. */
  public double lossSum;
  public long samples;
  public long computeNanos;
  /** Spark's id of the executor that ran the task ({@code driver} in local mode). */
  public String executorId;

  /** For Kryo. */
  public RoundResult() {}
}
