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
  /** The averaged state's slices (slice i under key i), as the next round reads them. */
  private JavaPairRDD<Integer, float[]> state;
  /** The persisted RDD that holds {@link #state}'s values (itself after a restart). */
  private JavaPairRDD<Integer, ?> cached;
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
    if (cached != null) {
      cached.unpersist(false);
    }
    for (Broadcast<float[]> b : restartBroadcasts) {
      b.destroy();
    }
    restartBroadcasts = parts;
    state = fresh;
    cached = fresh;
    gathered = s;
  }

  /**
   * One worker's share of a slice, or (under key -1) its metrics; summed by the reducers. A share
   * of one worker keeps its floats ({@link #values}, 4 bytes a value through the shuffle); shares
   * become double sums only where two meet, which is exact (every float is a double), so the
   * reducers' sums are bitwise those of summing in double throughout.
   */
  public static final class Partial implements Serializable {
    private static final long serialVersionUID = 3L;
    /** The worker whose share this is, while it holds one. */
    public int worker;
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
          // each slice straight into its place in the parameters, optimizer state and buffers
          TrainState start = new TrainState(new float[p], sv > 0 ? new float[sv] : null, new float[total - p - sv]);
          int seen = 0;
          while (copies.hasNext()) {
            SliceCopy c = copies.next();
            scatter(c.values, from(c.slice, s, total), start.params, start.velocity, start.buffers);
            seen++;
          }
          if (seen != s) {
            throw new IllegalStateException("worker " + w + " received " + seen + " of " + s + " slices");
          }
          Tuple2<Integer, float[]> mine = in.next();
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
    // Reduce-scatter. Each worker sends each reducer exactly one share, so Spark's aggregation
    // (reduceByKey's map-side combine and sorting writer) has nothing to combine: a plain
    // partitionBy writes every share straight to its reducer's file, and the reducer sums its
    // shares itself, in worker order (reduce).
    JavaPairRDD<Integer, Partial> shares = trained.flatMapToPair(r -> {
      float[] velocity = averageVelocity ? r.velocity : null;
      List<Tuple2<Integer, Partial>> out = new ArrayList<>(s + 1);
      for (int i = 0; i < s; i++) {
        Partial part = new Partial();
        part.values = gather(from(i, s, total), from(i + 1, s, total), r.params, velocity, r.buffers);
        part.workers = 1;
        part.worker = r.worker;
        out.add(new Tuple2<>(i, part));
      }
      Partial m = new Partial();
      m.workers = 1;
      m.worker = r.worker;
      m.lossSum = r.lossSum;
      m.samples = r.samples;
      m.maxComputeNanos = r.computeNanos;
      m.executors.add(r.executorId);
      out.add(new Tuple2<>(-1, m));
      return out.iterator();
    }).partitionBy(new HashPartitioner(s));
    JavaPairRDD<Integer, Partial> next = shares.mapPartitionsToPair(ShardedReduce::reduce, true)
        .persist(StorageLevel.MEMORY_ONLY());
    // one job per round: it fills the cache with the averaged slices and brings back the metrics
    List<Partial> metrics = next.filter(t -> t._1 < 0).values().collect();
    Partial m = metrics.get(0);
    if (Double.isFinite(m.lossSum)) {
      cached.unpersist(false);
      cached = next;
      state = next.filter(t -> t._1 >= 0).mapValues(a -> a.values);
      gathered = null;
      if (!averageVelocity) {
        local.advance(trained);
      }
    } else {
      next.unpersist(false);
      if (!averageVelocity) {
        trained.unpersist(false);
      }
    }
    return new RoundMetrics(m.lossSum, m.samples, m.maxComputeNanos, m.executors);
  }

  /**
   * A reducer's work: its slices' shares, summed in double in worker order and averaged into
   * floats (under the slice's key, in {@link Partial#values}); the metrics' shares (key -1) merged.
   */
  static Iterator<Tuple2<Integer, Partial>> reduce(Iterator<Tuple2<Integer, Partial>> shares) {
    java.util.TreeMap<Integer, List<Partial>> byKey = new java.util.TreeMap<>();
    while (shares.hasNext()) {
      Tuple2<Integer, Partial> t = shares.next();
      byKey.computeIfAbsent(t._1, k -> new ArrayList<>()).add(t._2);
    }
    List<Tuple2<Integer, Partial>> out = new ArrayList<>(byKey.size());
    for (java.util.Map.Entry<Integer, List<Partial>> e : byKey.entrySet()) {
      List<Partial> ps = e.getValue();
      ps.sort(java.util.Comparator.comparingInt(x -> x.worker));
      Partial sum = new Partial();
      for (Partial x : ps) {
        sum.workers += x.workers;
        sum.lossSum += x.lossSum;
        sum.samples += x.samples;
        sum.maxComputeNanos = Math.max(sum.maxComputeNanos, x.maxComputeNanos);
        sum.executors.addAll(x.executors);
      }
      if (e.getKey() >= 0) {
        sum.values = averageInOrder(ps);
      }
      out.add(new Tuple2<>(e.getKey(), sum));
    }
    return out.iterator();
  }

  /**
   * The mean of one worker's share each, summed in double from the first worker's values in the
   * given order: bitwise what {@link Partial#merge} gives in any order (the sums are exact, see
   * {@link Averager}), without a double array where two workers meet.
   */
  static float[] averageInOrder(List<Partial> ps) {
    float[][] x = new float[ps.size()][];
    for (int j = 0; j < x.length; j++) {
      x[j] = ps.get(j).values;
    }
    return averageInOrder(x);
  }

  /** The mean of {@code xs}, summed in double from {@code xs[0]} in the given order (see above). */
  static float[] averageInOrder(float[]... xs) {
    float[] first = xs[0];
    if (xs.length == 1) { // one worker: (float) ((double) x / 1) == x
      return first;
    }
    float[] avg = new float[first.length];
    if (xs.length == 2) {
      float[] second = xs[1];
      for (int i = 0; i < avg.length; i++) {
        avg[i] = (float) (((double) first[i] + second[i]) / 2);
      }
      return avg;
    }
    double[] sum = new double[first.length];
    for (int i = 0; i < sum.length; i++) {
      sum[i] = first[i]; // not 0.0 + x, which turns -0.0 into 0.0
    }
    for (int j = 1; j < xs.length; j++) {
      float[] x = xs[j];
      for (int i = 0; i < sum.length; i++) {
        sum[i] += x[i];
      }
    }
    int n = xs.length;
    for (int i = 0; i < avg.length; i++) {
      avg[i] = (float) (sum[i] / n);
    }
    return avg;
  }

  /** Values {@code [lo, hi)} of the concatenation of {@code parts} (a null part is left out). */
  static float[] gather(int lo, int hi, float[]... parts) {
    float[] out = new float[hi - lo];
    AllReduce.pieces(lo, hi, parts, (part, at, from, length) -> System.arraycopy(part, at, out, from, length));
    return out;
  }

  /** The inverse of {@link #gather}: {@code values} into the concatenation of {@code parts} from {@code lo}. */
  static void scatter(float[] values, int lo, float[]... parts) {
    AllReduce.pieces(lo, lo + values.length, parts,
        (part, at, from, length) -> System.arraycopy(values, from, part, at, length));
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
    cached.unpersist(false);
    for (Broadcast<float[]> b : restartBroadcasts) {
      b.destroy();
    }
    if (local != null) {
      local.close();
    }
  }
}
