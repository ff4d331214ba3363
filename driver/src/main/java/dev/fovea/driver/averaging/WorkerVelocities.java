package dev.fovea.driver.averaging;

import dev.fovea.driver.worker.RoundResult;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

/**
 * Every worker's own SGD velocity ({@code --optimizer-state local}), kept on the executors between
 * rounds: an RDD of N partitions, partition w holding worker w's velocity (P floats).
 *
 * <p>Round r's velocities are read from the cached results of round r (an RDD of {@link
 * RoundResult}, persisted {@code MEMORY_AND_DISK}); the previous round's results are released once
 * the new ones exist. If an executor dies, Spark recomputes the lost partitions from lineage: the
 * previous round's results, the data slices and whatever carried the round's parameters. For that
 * lineage to be recomputable, the tree strategy's per-round broadcasts are {@linkplain #keep kept}
 * until the lineage is truncated; the sharded strategy's parameters come through shuffles of RDDs
 * and need nothing kept. {@link #gather()} (at checkpoints and epoch ends, which need every worker's
 * velocity anyway) collects the velocities, restarts the RDD from them (one broadcast per worker,
 * each fetched only by the executor that runs that worker) and destroys the older broadcasts, so
 * the lineage, and what the driver keeps for it, never spans more than one checkpoint interval:
 * N × P floats of restarted velocities plus, for the tree strategy, one broadcast state per round.
 */
final class WorkerVelocities {
  private final JavaSparkContext jsc;
  private final int workers;
  private final int params;
  private JavaRDD<float[]> velocities;
  private JavaRDD<RoundResult> backing;
  private final List<Broadcast<?>> kept = new ArrayList<>();
  private float[][] gathered;

  /**
   * @param params the length of one worker's optimizer state (S blocks of the parameter count)
   * @param initial every worker's optimizer state (from a checkpoint), or null for zeros
   */
  WorkerVelocities(JavaSparkContext jsc, int workers, int params, float[][] initial) {
    this.jsc = jsc;
    this.workers = workers;
    this.params = params;
    if (initial != null && initial.length != workers) {
      throw new IllegalArgumentException("the checkpoint holds " + initial.length + " workers' velocities, not "
          + workers);
    }
    restart(initial);
  }

  private void restart(float[][] values) {
    List<Integer> ids = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      ids.add(w);
    }
    JavaRDD<float[]> fresh;
    if (values == null) {
      int p = params;
      // zeros are made on the executors: nothing of size P is held by the driver
      fresh = jsc.parallelize(ids, workers).map(w -> new float[p]);
    } else {
      // One broadcast per worker, kept until the next truncation so the RDD stays recomputable.
      // Not parallelize(values): a zipped RDD's partition carries its parents' partitions, so a
      // parallelized collection's data would ride along in every later round's tasks.
      List<Broadcast<float[]>> each = new ArrayList<>();
      for (float[] v : values) {
        Broadcast<float[]> b = jsc.broadcast(v);
        each.add(b);
        kept.add(b);
      }
      fresh = jsc.parallelize(ids, workers).map(w -> each.get(w).value());
    }
    fresh = fresh.setName("fovea worker velocities").persist(StorageLevel.MEMORY_AND_DISK());
    fresh.count();
    release();
    velocities = fresh;
    backing = null;
    gathered = values;
  }

  /** Worker w's velocity in partition w. */
  JavaRDD<float[]> rdd() {
    return velocities;
  }

  /** Keeps a broadcast the current lineage reads, until the next {@link #gather()}. */
  void keep(Broadcast<?> b) {
    kept.add(b);
  }

  /** The round's results (persisted by the caller, already computed) hold the new velocities. */
  void advance(JavaRDD<RoundResult> results) {
    JavaRDD<float[]> next = results.map(r -> r.velocity);
    if (backing != null) {
      backing.unpersist(false);
    } else {
      velocities.unpersist(false);
    }
    velocities = next;
    backing = results;
    gathered = null;
  }

  /** Every worker's velocity, on the driver; truncates the lineage (see the class comment). */
  float[][] gather() {
    if (gathered == null) {
      List<float[]> all = velocities.collect();
      float[][] v = all.toArray(new float[0][]);
      List<Broadcast<?>> old = new ArrayList<>(kept);
      kept.clear();
      restart(v);
      for (Broadcast<?> b : old) {
        b.destroy();
      }
    }
    return gathered;
  }

  /** The mean of the workers' velocities (in double, like the parameters' average). */
  float[] mean() {
    float[][] v = gather();
    double[] sum = new double[params];
    for (float[] w : v) {
      for (int i = 0; i < params; i++) {
        sum[i] += w[i];
      }
    }
    float[] m = new float[params];
    for (int i = 0; i < params; i++) {
      m[i] = (float) (sum[i] / v.length);
    }
    return m;
  }

  private void release() {
    if (backing != null) {
      backing.unpersist(false);
    }
    if (velocities != null) {
      velocities.unpersist(false);
    }
  }

  void close() {
    release();
    for (Broadcast<?> b : kept) {
      b.destroy();
    }
    kept.clear();
  }
}
