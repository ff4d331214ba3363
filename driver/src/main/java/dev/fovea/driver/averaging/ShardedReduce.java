package dev.fovea.driver.averaging;

import dev.fovea.driver.worker.RoundResult;
import dev.fovea.driver.worker.TrainState;
import dev.fovea.driver.worker.WorkerStep;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Averaging through Spark's shuffle, never through the driver. The state vector (parameters, then
 * velocity, then buffers) lives as S = N slices in a cached RDD. A round is
 *
 * <ol>
 *   <li>all-gather: every slice is sent to every worker's partition (a shuffle);
 *   <li>each worker assembles the vector, trains its k minibatches and splits its result into S
 *       slices; slice i goes to reducer i (reduce-scatter, a second shuffle), together with the
 *       round's small metrics under key -1;
 *   <li>reducer i sums slice i over the workers in double and divides: the averaged slice, with its
 *       part of the optimizer state, stays on that reducer for the next round.
 * </ol>
 *
 * Only the metrics (a few dozen bytes per worker) reach the driver. {@link #state()} gathers the
 * full vector for checkpoints, evaluation and the final model, and restarts the slice RDD from it,
 * which also bounds the lineage a lost executor would recompute.
 *
 * <p>With per-worker optimizer state ({@code local}) the vector holds parameters and buffers only,
 * a third less to move per round; each worker's velocity stays in a cached RDD ({@link
 * WorkerVelocities}) zipped with the worker's data slice. Its lineage goes through this strategy's
 * shuffles back to the last restart, so a lost partition is recomputable without anything kept.
 */
public final class ShardedReduce implements RoundEngine {
  private final JavaSparkContext jsc;
  private final int workers;
  private final int slices;
  private final int params;
  /** The optimizer state's length (S blocks of the parameter count), averaged with the parameters unless local. */
  private final int stateLength;
  private final int buffers;
  private final WorkerVelocities local;
  private JavaPairRDD<Integer, float[]> state;
  private List<Broadcast<float[]>> restartBroadcasts = new ArrayList<>();
  private TrainState gathered;

  /** @param local each worker's own velocity, or null to average the velocity with the parameters */
  ShardedReduce(JavaSparkContext jsc, TrainState initial, int workers, WorkerVelocities local) {
    this.jsc = jsc;
    this.workers = workers;
    this.slices = workers;
    this.params = initial.params.length;
    this.stateLength = initial.velocity.length;
    this.buffers = initial.buffers.length;
    this.local = local;
    restart(local == null ? initial : new TrainState(initial.params, null, initial.buffers));
  }

  private static int from(int slice, int slices, int length) {
    return (int) ((long) slice * length / slices);
  }

  /** The state as one vector: parameters, optimizer state (unless null), buffers. */
  static float[] flatten(TrainState s) {
    int p = s.params.length;
    int v = s.velocity == null ? 0 : s.velocity.length;
    float[] all = new float[p + v + s.buffers.length];
    System.arraycopy(s.params, 0, all, 0, p);
    if (s.velocity != null) {
      System.arraycopy(s.velocity, 0, all, p, v);
    }
    System.arraycopy(s.buffers, 0, all, p + v, s.buffers.length);
    return all;
  }

  /** The inverse of {@link #flatten}: {@code v} optimizer state values after the {@code p} parameters (0: none). */
  static TrainState unflatten(float[] all, int p, int v) {
    return new TrainState(java.util.Arrays.copyOfRange(all, 0, p),
        v > 0 ? java.util.Arrays.copyOfRange(all, p, p + v) : null,
        java.util.Arrays.copyOfRange(all, p + v, all.length));
  }

  private void restart(TrainState s) {
    float[] all = flatten(s);
    // One broadcast per slice, not parallelizePairs(slices): a parallelized collection travels
    // inside the tasks, and one slice of a large model with few workers exceeds Spark's RPC message
    // limit (ResNet-50 on one worker: 205 MB > spark.rpc.message.maxSize, 128 MB). The broadcasts
    // are kept until the next restart so that the slice RDD stays recomputable.
    List<Broadcast<float[]>> parts = new ArrayList<>();
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < slices; i++) {
      parts.add(jsc.broadcast(java.util.Arrays.copyOfRange(all, from(i, slices, all.length),
          from(i + 1, slices, all.length))));
      ids.add(i);
    }
    JavaPairRDD<Integer, float[]> fresh = jsc.parallelize(ids, slices)
        .mapToPair(i -> new Tuple2<>(i, parts.get(i).value()))
        .partitionBy(new HashPartitioner(slices)).persist(StorageLevel.MEMORY_ONLY());
    fresh.count();
    if (state != null) {
      state.unpersist(false);
    }
    for (Broadcast<float[]> b : restartBroadcasts) {
      b.destroy();
    }
    restartBroadcasts = parts;
    state = fresh;
    gathered = s;
  }

  /**
   * One worker's share of a slice, or (under key -1) its metrics; summed by the reducers. A share
   * of one worker keeps its floats ({@link #values}, 4 bytes a value through the shuffle); shares
   * become double sums only where two meet, which is exact (every float is a double), so the
   * reducers' sums are bitwise those of summing in double throughout.
   */
  public static final class Partial implements Serializable {
    private static final long serialVersionUID = 2L;
    /** One worker's values, while this partial holds exactly one worker's share; else null. */
    public float[] values;
    /** The sum in double of two or more workers' shares; null while {@link #values} holds one. */
    public double[] sum;
    public int workers;
    public double lossSum;
    public long samples;
    public long maxComputeNanos;
    public TreeSet<String> executors = new TreeSet<>();

    /** Combines two partials of the same key. */
    public Partial merge(Partial o) {
      Partial p = new Partial();
      if (sum != null || values != null) {
        p.sum = widened();
        if (o.values != null) {
          for (int i = 0; i < p.sum.length; i++) {
            p.sum[i] += o.values[i];
          }
        } else {
          for (int i = 0; i < p.sum.length; i++) {
            p.sum[i] += o.sum[i];
          }
        }
      }
      p.workers = workers + o.workers;
      p.lossSum = lossSum + o.lossSum;
      p.samples = samples + o.samples;
      p.maxComputeNanos = Math.max(maxComputeNanos, o.maxComputeNanos);
      p.executors.addAll(executors);
      p.executors.addAll(o.executors);
      return p;
    }

    /** A fresh double copy of this share's values or sum. */
    private double[] widened() {
      if (sum != null) {
        return sum.clone();
      }
      double[] d = new double[values.length];
      for (int i = 0; i < d.length; i++) {
        d[i] = values[i];
      }
      return d;
    }

    /** The share averaged over its workers, as floats. */
    float[] average() {
      if (values != null) { // one worker: (float) ((double) x / 1) == x
        return values;
      }
      float[] avg = new float[sum.length];
      for (int i = 0; i < avg.length; i++) {
        avg[i] = (float) (sum[i] / workers);
      }
      return avg;
    }
  }

  /** A slice of the state on its way to a worker. */
  public static final class SliceCopy implements Serializable {
    private static final long serialVersionUID = 1L;
    public int slice;
    public float[] values;
  }

  @Override
  public RoundMetrics round(JavaRDD<Integer> data, WorkerStep step, int faultWorker) {
    int n = workers;
    int s = slices;
    int p = params;
    boolean averageVelocity = local == null;
    int sv = averageVelocity ? stateLength : 0;
    int total = params + sv + buffers;
    JavaPairRDD<Integer, SliceCopy> toWorkers = state.flatMapToPair(t -> {
      List<Tuple2<Integer, SliceCopy>> out = new ArrayList<>(n);
      for (int w = 0; w < n; w++) {
        SliceCopy c = new SliceCopy();
        c.slice = t._1;
        c.values = t._2;
        out.add(new Tuple2<>(w, c));
      }
      return out.iterator();
    }).partitionBy(new HashPartitioner(n));
    // worker w (it streams its own data), with its own velocity where it keeps one (null otherwise)
    JavaRDD<Tuple2<Integer, float[]>> inputs = averageVelocity
        ? data.map(w -> new Tuple2<Integer, float[]>(w, null))
        : data.zipPartitions(local.rdd(), (Iterator<Integer> w, Iterator<float[]> v) ->
            Collections.singletonList(new Tuple2<>(w.next(), v.next())).iterator());
    JavaRDD<RoundResult> trained = inputs.zipPartitions(toWorkers.values(),
        (Iterator<Tuple2<Integer, float[]>> in, Iterator<SliceCopy> copies) -> {
          int w = org.apache.spark.TaskContext.getPartitionId();
          TreeAggregation.failIfInjected(w, faultWorker);
          float[] all = new float[total];
          int seen = 0;
          while (copies.hasNext()) {
            SliceCopy c = copies.next();
            System.arraycopy(c.values, 0, all, from(c.slice, s, all.length), c.values.length);
            seen++;
          }
          if (seen != s) {
            throw new IllegalStateException("worker " + w + " received " + seen + " of " + s + " slices");
          }
          Tuple2<Integer, float[]> mine = in.next();
          TrainState start = unflatten(all, p, sv);
          if (!averageVelocity) {
            start.velocity = mine._2;
          }
          RoundResult r = step.run(w, start);
          r.worker = w;
          r.executorId = SparkEnv.get().executorId();
          return Collections.singletonList(r).iterator();
        });
    if (!averageVelocity) {
      trained = trained.setName("fovea round results").persist(StorageLevel.MEMORY_AND_DISK());
    }
    JavaPairRDD<Integer, Partial> partials = trained.flatMapToPair(r -> {
      float[] result = flatten(new TrainState(r.params, averageVelocity ? r.velocity : null, r.buffers));
      List<Tuple2<Integer, Partial>> out = new ArrayList<>(s + 1);
      for (int i = 0; i < s; i++) {
        int lo = from(i, s, total);
        int hi = from(i + 1, s, total);
        Partial part = new Partial();
        part.values = java.util.Arrays.copyOfRange(result, lo, hi);
        part.workers = 1;
        out.add(new Tuple2<>(i, part));
      }
      Partial m = new Partial();
      m.workers = 1;
      m.lossSum = r.lossSum;
      m.samples = r.samples;
      m.maxComputeNanos = r.computeNanos;
      m.executors.add(r.executorId);
      out.add(new Tuple2<>(-1, m));
      return out.iterator();
    });
    JavaPairRDD<Integer, Partial> reduced = partials.reduceByKey(new HashPartitioner(s), Partial::merge)
        .persist(StorageLevel.MEMORY_ONLY());
    List<Partial> metrics = reduced.filter(t -> t._1 < 0).values().collect();
    Partial m = metrics.get(0);
    JavaPairRDD<Integer, float[]> next = reduced.filter(t -> t._1 >= 0).mapValues(Partial::average)
        .persist(StorageLevel.MEMORY_ONLY());
    if (Double.isFinite(m.lossSum)) {
      next.count();
      state.unpersist(false);
      state = next;
      gathered = null;
      if (!averageVelocity) {
        local.advance(trained);
      }
    } else if (!averageVelocity) {
      trained.unpersist(false);
    }
    reduced.unpersist(false);
    return new RoundMetrics(m.lossSum, m.samples, m.maxComputeNanos, m.executors);
  }

  @Override
  public TrainState state() {
    if (local != null) {
      // first: the velocities' lineage may reach back to the slices' restart broadcasts
      local.gather();
    }
    if (gathered == null) {
      int v = local == null ? stateLength : 0;
      float[] all = new float[params + v + buffers];
      for (Tuple2<Integer, float[]> t : state.collect()) {
        System.arraycopy(t._2, 0, all, from(t._1, slices, all.length), t._2.length);
      }
      // restart from the gathered vector: the lineage a lost executor would recompute stays short
      restart(unflatten(all, params, v));
    }
    return local == null ? gathered : new TrainState(gathered.params, local.mean(), gathered.buffers);
  }

  @Override
  public float[][] workerVelocities() {
    return local == null ? null : local.gather();
  }

  @Override
  public void close() {
    state.unpersist(false);
    for (Broadcast<float[]> b : restartBroadcasts) {
      b.destroy();
    }
    if (local != null) {
      local.close();
    }
  }
}
