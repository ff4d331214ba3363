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
 *
 * <p>What travels: a partition holds one worker, so its partial sum is that worker's result, and a
 * float converts to double exactly. Such a partial therefore keeps the worker's float vectors
 * ({@link #single}) and becomes double only where two partials meet ({@link #merge}, on the driver
 * or on treeAggregate's intermediate level): 4 bytes per value cross the network instead of 8,
 * with bitwise the same sums. A partial of two workers keeps both results as floats too ({@link
 * #second}): 8 bytes a value, what its double sum would take, and where the two meet on the driver
 * (two workers) the average is taken from the floats without a double array.
 */
public final class Averager implements Serializable {
  private static final long serialVersionUID = 3L;
  /** False where every worker keeps its own velocity: only parameters and buffers are summed. */
  public boolean averageVelocity = true;
  /** The one result this partial holds while it holds exactly one (its floats), else null. */
  public RoundResult single;
  /** The second result while this partial holds exactly two (both as floats), else null. */
  public RoundResult second;
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
    if (workers == 0) {
      single = floats(r);
    } else if (workers == 1 && single != null) {
      second = floats(r);
    } else {
      widen();
      accumulate(params, r.params);
      if (velocity != null) {
        accumulate(velocity, r.velocity);
      }
      accumulate(buffers, r.buffers);
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
    if (o.workers == 0) {
      return this;
    }
    if (workers == 0) {
      return o;
    }
    if (workers == 1 && single != null && o.workers == 1 && o.single != null) {
      second = o.single;
    } else if (o.single != null) {
      widen();
      accumulate(o.single);
      if (o.second != null) {
        accumulate(o.second);
      }
    } else {
      widen();
      accumulate(params, o.params);
      if (velocity != null) {
        accumulate(velocity, o.velocity);
      }
      accumulate(buffers, o.buffers);
    }
    lossSum += o.lossSum;
    samples += o.samples;
    workers += o.workers;
    maxComputeNanos = Math.max(maxComputeNanos, o.maxComputeNanos);
    executors.addAll(o.executors);
    return this;
  }

  /** The parts of {@code r} that are summed. */
  private RoundResult floats(RoundResult r) {
    RoundResult f = new RoundResult();
    f.params = r.params;
    f.velocity = averageVelocity ? r.velocity : null;
    f.buffers = r.buffers;
    return f;
  }

  /** Turns a partial of one or two results into double sums (exact: every float is a double). */
  private void widen() {
    if (single == null) {
      return;
    }
    params = toDouble(single.params);
    velocity = averageVelocity ? toDouble(single.velocity) : null;
    buffers = toDouble(single.buffers);
    single = null;
    if (second != null) {
      accumulate(second);
      second = null;
    }
  }

  private void accumulate(RoundResult r) {
    accumulate(params, r.params);
    if (velocity != null) {
      accumulate(velocity, r.velocity);
    }
    accumulate(buffers, r.buffers);
  }

  /** {@code (float) (((double) a + b) / 2)}: bitwise the double sum of two widened, halved and rounded. */
  private static float[] mean(float[] a, float[] b) {
    if (a == null) {
      return null;
    }
    float[] m = new float[a.length];
    for (int i = 0; i < m.length; i++) {
      m[i] = (float) (((double) a[i] + b[i]) / 2);
    }
    return m;
  }

  private static double[] toDouble(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }

  private static void accumulate(double[] sum, float[] x) {
    for (int i = 0; i < sum.length; i++) {
      sum[i] += x[i];
    }
  }

  private static void accumulate(double[] sum, double[] x) {
    for (int i = 0; i < sum.length; i++) {
      sum[i] += x[i];
    }
  }

  /** The averaged state; its velocity is null where the workers keep their own. */
  public TrainState average() {
    if (workers == 0) {
      throw new IllegalStateException("no worker returned a result");
    }
    if (second != null) {
      return new TrainState(mean(single.params, second.params), averageVelocity ? mean(single.velocity,
          second.velocity) : null, mean(single.buffers, second.buffers));
    }
    if (single != null) { // one worker: its result is the average, exactly
      return new TrainState(single.params, averageVelocity ? single.velocity : null, single.buffers);
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
