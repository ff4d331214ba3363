package dev.fovea.driver.averaging;

import dev.fovea.driver.worker.RoundResult;
import dev.fovea.driver.worker.TrainState;
import java.io.Serializable;
import java.util.TreeSet;

/**
 * Sums workers' round results for {@code treeAggregate} and averages them on the driver.
 *
 * <p>Sums are kept in double. Adding a handful of floats in double is exact unless one
 * parameter's values across workers differ in magnitude by more than about 2^25, so the average
 * does not depend on the order in which Spark combines partitions (task completion order), and a
 * retried or re-ordered round gives the same parameters. One worker's result passes through
 * exactly: {@code (double) x / 1} rounds back to {@code x}.
 */
public final class Averager implements Serializable {
  private static final long serialVersionUID = 1L;
  /** False where every worker keeps its own velocity: only parameters and buffers are summed. */
  public boolean averageVelocity = true;
  public double[] params;
  public double[] velocity;
  public double[] buffers;
  public double lossSum;
  public long samples;
  public int workers;
  public long maxComputeNanos;
  public TreeSet<String> executors = new TreeSet<>();

  /** For Kryo, and the sum of nothing that averages the velocity too. */
  public Averager() {}

  /** The sum of nothing; {@code averageVelocity} false leaves each worker's velocity out. */
  public Averager(boolean averageVelocity) {
    this.averageVelocity = averageVelocity;
  }

  /** Adds one worker's result (the {@code seqOp}). */
  public Averager add(RoundResult r) {
    if (params == null) {
      params = new double[r.params.length];
      velocity = averageVelocity ? new double[r.velocity.length] : null;
      buffers = new double[r.buffers.length];
    }
    for (int i = 0; i < params.length; i++) {
      params[i] += r.params[i];
    }
    if (velocity != null) {
      for (int i = 0; i < velocity.length; i++) {
        velocity[i] += r.velocity[i];
      }
    }
    for (int i = 0; i < buffers.length; i++) {
      buffers[i] += r.buffers[i];
    }
    lossSum += r.lossSum;
    samples += r.samples;
    workers++;
    maxComputeNanos = Math.max(maxComputeNanos, r.computeNanos);
    if (r.executorId != null) {
      executors.add(r.executorId);
    }
    return this;
  }

  /** Combines two partial sums (the {@code combOp}). */
  public Averager merge(Averager o) {
    if (o.params == null) {
      return this;
    }
    if (params == null) {
      return o;
    }
    for (int i = 0; i < params.length; i++) {
      params[i] += o.params[i];
    }
    if (velocity != null) {
      for (int i = 0; i < velocity.length; i++) {
        velocity[i] += o.velocity[i];
      }
    }
    for (int i = 0; i < buffers.length; i++) {
      buffers[i] += o.buffers[i];
    }
    lossSum += o.lossSum;
    samples += o.samples;
    workers += o.workers;
    maxComputeNanos = Math.max(maxComputeNanos, o.maxComputeNanos);
    executors.addAll(o.executors);
    return this;
  }

  /** The averaged state; its velocity is null where the workers keep their own. */
  public TrainState average() {
    if (workers == 0) {
      throw new IllegalStateException("no worker returned a result");
    }
    float[] p = new float[params.length];
    float[] v = velocity == null ? null : new float[velocity.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (params[i] / workers);
    }
    for (int i = 0; v != null && i < v.length; i++) {
      v[i] = (float) (velocity[i] / workers);
    }
    float[] b = new float[buffers.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (buffers[i] / workers);
    }
    return new TrainState(p, v, b);
  }
}
