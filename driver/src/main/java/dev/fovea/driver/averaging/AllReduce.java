package dev.fovea.driver.averaging;

import static dev.fovea.driver.averaging.SliceBlocks.localMode;
import static dev.fovea.driver.averaging.SliceBlocks.putBytes;

import dev.fovea.driver.averaging.SliceBlocks.Slice;
import dev.fovea.driver.worker.RoundResult;
import dev.fovea.driver.worker.TrainState;
import dev.fovea.driver.worker.WorkerStep;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.function.IntConsumer;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.storage.BlockId;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.RDDBlockId;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Averaging by an all-reduce among the round's tasks through Spark's block manager, several rounds
 * per Spark job ({@code --averaging allreduce}), as BigDL's all-reduce kept its slices.
 *
 * <p>A <em>group</em> of R rounds is one barrier stage ({@code rdd.barrier().mapPartitions}) of N
 * tasks, task w being worker w. The driver broadcasts the group's start state once (parameters,
 * optimizer state unless every worker keeps its own, buffers) and ships the R rounds' steps (each
 * with its own learning rate). In each round every task
 *
 * <ol>
 *   <li>trains its k steps ({@link WorkerStep#run}) and cuts its result vector (parameters ‖
 *       optimizer state ‖ buffers; parameters ‖ buffers with {@code --optimizer-state local}) into
 *       N slices; it puts slice j ≠ w in its executor's block manager (serialized bytes, {@code
 *       MEMORY_AND_DISK_SER}: memory pressure spills them to disk instead of losing them);
 *   <li>task j reads slice j of every worker as soon as it exists (where the block is local, in
 *       local mode always, straight from the store without a copy; from the owning executor
 *       otherwise), sums it in double in worker order and divides, exactly as {@link Averager} and
 *       {@link ShardedReduce} do (the results are bitwise theirs), and puts the averaged slice;
 *   <li>every task reads all averaged slices into its state for the next round, and drops its own
 *       blocks the other tasks have read (which it knows from the blocks they have put since).
 * </ol>
 *
 * The tasks order themselves by waiting for each other's blocks ({@link Slice#await}); the barrier
 * stage guarantees that all N run at once (Spark launches a barrier stage's tasks together or not
 * at all), and its {@code barrier()} call is not used, since it costs a second (see there).
 *
 * Nothing of the vector passes through the driver or a shuffle file within a group. At its end the
 * tasks return their per-round metrics (a few dozen bytes each) and the driver reads the last
 * round's averaged slices (and, with local optimizer state, each worker's velocity) from the block
 * manager, then removes every block of the group. Blocks are {@link RDDBlockId}s under RDD ids the
 * driver reserves (one per round; the split index encodes stage attempt, kind, sender and
 * receiver), so Spark can serve them between executors and {@code removeRdd} drops them all.
 *
 * <p>Faults: a failed task makes Spark re-run the whole barrier stage (a barrier stage is retried
 * as a whole; Spark retries only a barrier <em>shuffle map</em> stage, so the tasks' metrics reach
 * the driver through a one-partition shuffle of a few hundred bytes), and the group restarts from
 * its start state, whose broadcasts the driver keeps until the job ends. Every
 * round is a pure function of its inputs, so the retried group gives bitwise the same parameters;
 * its blocks are named by the stage attempt, so a straggler of the failed attempt can neither be
 * read nor remove a block of the new one. The driver's history and checkpoints advance per group.
 *
 * <p>With {@code --exchange bf16} the same blocks carry each worker's delta from the round's start
 * in bfloat16 with error feedback, 2 bytes a value ({@link Bf16Exchange}, which runs the round's
 * exchange in place of the f32 one); each worker's residuals enter and leave a group like the
 * velocities of {@code --optimizer-state local}.
 *
 * <p>A barrier stage runs only when all N tasks can run at once and without dynamic allocation:
 * the first group checks both and names the alternative ({@code --averaging tree}) if not.
 */
public final class AllReduce implements RoundEngine {
  private static final ByteOrder ORDER = SliceBlocks.ORDER;
  static final int RAW = 0;
  static final int AVERAGED = 1;
  static final int VELOCITY = 2;

  private final JavaSparkContext jsc;
  private final int workers;
  private final boolean local;
  private final int stateLength;
  private TrainState state;
  /** With local optimizer state: every worker's velocity; null while all are zeros. */
  private float[][] velocities;
  private boolean checked;
  private Group last;
  /** With {@code --exchange bf16}: the codec and every worker's residuals; null for f32. */
  private final Bf16Exchange bf16;

  /**
   * @param local true where every worker keeps its own velocity ({@code --optimizer-state local})
   * @param velocities with {@code local}, every worker's velocity to start from, or null for zeros
   */
  AllReduce(JavaSparkContext jsc, TrainState initial, int workers, boolean local, float[][] velocities) {
    this(jsc, initial, workers, local, velocities, false, null);
  }

  /**
   * @param bf16 true for {@code --exchange bf16}: deltas in bfloat16 with error feedback ({@link Bf16Exchange})
   * @param residuals with {@code bf16}, every worker's residuals to start from (a checkpoint's), or null for zeros
   */
  AllReduce(JavaSparkContext jsc, TrainState initial, int workers, boolean local, float[][] velocities, boolean bf16,
      float[][] residuals) {
    this.bf16 = bf16 ? new Bf16Exchange(workers, initial.params.length + (local ? 0 : initial.velocity.length)
        + initial.buffers.length, residuals) : null;
    this.jsc = jsc;
    this.workers = workers;
    this.local = local;
    this.stateLength = initial.velocity.length;
    if (local && velocities != null && velocities.length != workers) {
      throw new IllegalArgumentException("the checkpoint holds " + velocities.length + " workers' velocities, not "
          + workers);
    }
    this.velocities = local ? velocities : null;
    this.state = local ? new TrainState(initial.params, null, initial.buffers) : initial;
  }

  /**
   * Where a group's time went: per round and worker the time inside the task (compute and
   * synchronisation) and the synchronisation alone (from the first put to the last averaged slice
   * read), and on the driver the group's fixed cost.
   *
   * @param roundNanos [round][worker]: the round inside the task
   * @param syncNanos [round][worker]: the round's synchronisation inside the task
   * @param computeNanos [round][worker]: the worker's training step
   * @param transferNanos [round][worker]: the part of the synchronisation spent in remote block
   *     transfers (from the request to the last byte copied; 0 in local mode, where every block is
   *     read in place)
   * @param faults [round][worker]: minor page faults of the worker's JVM, all its threads, during
   *     the round's synchronisation (-1 where the operating system does not say): pages the JVM
   *     touched for the first time, which on some virtual machines cost 10 µs each
   * @param broadcastNanos creating the start state's broadcast on the driver
   * @param jobNanos the barrier stage's job, from submission to its results on the driver
   * @param collectNanos reading the averaged state (and velocities) back on the driver and
   *     removing the group's blocks
   */
  public record Group(long[][] roundNanos, long[][] syncNanos, long[][] computeNanos, long[][] transferNanos,
      long[][] faults, long broadcastNanos, long jobNanos, long collectNanos) {

    /** The group's wall time on the driver. */
    public long wallNanos() {
      return broadcastNanos + jobNanos + collectNanos;
    }

    /**
     * The group's cost outside its rounds: broadcast, job launch and result, state return (the
     * wall time less the slowest worker's time in each round).
     */
    public long fixedNanos() {
      long rounds = 0;
      for (long[] r : roundNanos) {
        rounds += Arrays.stream(r).max().orElse(0);
      }
      return Math.max(0, wallNanos() - rounds);
    }
  }

  /** The timings of the last group run, or null before the first. */
  public Group lastGroup() {
    return last;
  }

  @Override
  public RoundMetrics round(JavaRDD<Integer> data, WorkerStep step, int faultWorker) {
    return rounds(data, List.of(step), new int[] {faultWorker}, i -> { }).get(0);
  }

  @Override
  public List<RoundMetrics> rounds(JavaRDD<Integer> data, List<? extends WorkerStep> steps, int[] faultWorkers,
      IntConsumer beforeRound) {
    if (!checked) {
      checkBarrierSlots(jsc, data, workers);
      checked = true;
    }
    int rounds = steps.size();
    beforeRound.accept(0);
    long t0 = System.nanoTime();
    // bf16: one more RDD id, for each worker's residuals and slice of the final state (Bf16Exchange)
    int[] rddIds = new int[rounds + (bf16 != null ? 1 : 0)];
    for (int i = 0; i < rddIds.length; i++) {
      rddIds[i] = jsc.sc().newRddId();
    }
    Broadcast<TrainState> start = jsc.broadcast(state);
    List<Broadcast<float[]>> own = new ArrayList<>();
    if (local && velocities != null) {
      for (float[] v : velocities) {
        own.add(jsc.broadcast(v));
      }
    }
    Bf16Exchange.Plan plan = bf16 == null ? null : bf16.begin(jsc);
    long t1 = System.nanoTime();
    GroupTask task = new GroupTask(start, local ? own : null, local ? stateLength : 0, new ArrayList<>(steps),
        faultWorkers.clone(), rddIds, workers, state.params.length, local ? 0 : stateLength, state.buffers.length,
        plan);
    ClassTag<GroupResult> tag = ClassTag$.MODULE$.apply(GroupResult.class);
    List<GroupResult> results;
    try {
      // The tasks' small results go through a one-partition shuffle: Spark re-runs a failed barrier
      // stage only where it is a shuffle map stage (a failed barrier result stage fails the job).
      results = new ArrayList<>(JavaRDD.fromRDD(data.rdd().barrier().mapPartitions(task, false, tag), tag)
          .coalesce(1, true).collect());
    } catch (RuntimeException e) {
      removeBlocks(rddIds);
      throw e;
    } finally {
      start.destroy();
      for (Broadcast<float[]> b : own) {
        b.destroy();
      }
      if (plan != null) {
        plan.destroy();
      }
    }
    long t2 = System.nanoTime();
    results.sort(java.util.Comparator.comparingInt(g -> g.worker));
    List<RoundMetrics> metrics = new ArrayList<>(rounds);
    long[][] roundNanos = new long[rounds][workers];
    long[][] syncNanos = new long[rounds][workers];
    long[][] computeNanos = new long[rounds][workers];
    long[][] transferNanos = new long[rounds][workers];
    long[][] faults = new long[rounds][workers];
    boolean finite = true;
    for (int i = 0; i < rounds; i++) {
      double loss = 0;
      long samples = 0;
      long compute = 0;
      long inside = 0;
      long sync = 0;
      TreeSet<String> executors = new TreeSet<>();
      for (GroupResult g : results) {
        loss += g.lossSum[i];
        samples += g.samples[i];
        compute = Math.max(compute, g.computeNanos[i]);
        inside = Math.max(inside, g.roundNanos[i]);
        sync = Math.max(sync, g.syncNanos[i]);
        executors.add(g.executorId);
        roundNanos[i][g.worker] = g.roundNanos[i];
        syncNanos[i][g.worker] = g.syncNanos[i];
        computeNanos[i][g.worker] = g.computeNanos[i];
        transferNanos[i][g.worker] = g.transferNanos[i];
        faults[i][g.worker] = g.faults[i];
      }
      finite &= Double.isFinite(loss);
      metrics.add(new RoundMetrics(loss, samples, compute, executors, inside, sync));
    }
    // the last round's averaged slices hold the new state; a diverged group leaves the state as it was
    try {
      if (finite) {
        int attempt = results.get(0).attempt;
        BlockManager bm = SparkEnv.get().blockManager();
        int last = rddIds[rddIds.length - 1]; // bf16: the extra RDD id's f32 slices (Bf16Exchange.Worker#finish)
        int p = state.params.length;
        int v = local ? 0 : stateLength;
        int total = p + v + state.buffers.length;
        float[] params = new float[p];
        float[] velocity = v > 0 ? new float[v] : null;
        float[] buffers = new float[state.buffers.length];
        for (int j = 0; j < workers; j++) {
          try (Slice s = Slice.fetch(bm, id(last, attempt, AVERAGED, j, 0, workers),
              4 * (from(j + 1, workers, total) - from(j, workers, total)))) {
            scatter(s.floats, from(j, workers, total), params, velocity, buffers);
          }
        }
        state = new TrainState(params, velocity, buffers);
        if (local) {
          float[][] next = new float[workers][];
          for (int w = 0; w < workers; w++) {
            next[w] = new float[stateLength];
            try (Slice s = Slice.fetch(bm, id(last, attempt, VELOCITY, w, 0, workers), 4 * stateLength)) {
              s.floats.get(0, next[w]);
            }
          }
          velocities = next;
        }
        if (bf16 != null) {
          bf16.collect(bm, last, attempt);
        }
      }
    } finally {
      removeBlocks(rddIds);
    }
    long t3 = System.nanoTime();
    last = new Group(roundNanos, syncNanos, computeNanos, transferNanos, faults, t1 - t0, t2 - t1, t3 - t2);
    return metrics;
  }

  private void removeBlocks(int[] rddIds) {
    for (int id : rddIds) {
      SparkEnv.get().blockManager().master().removeRdd(id, false);
    }
  }

  /**
   * Refuses, in one line naming the alternative, what a barrier stage cannot run on: dynamic
   * allocation, or fewer task slots than workers (on a cluster, after waiting a minute for
   * executors to register).
   */
  static void checkBarrierSlots(JavaSparkContext jsc, JavaRDD<Integer> data, int workers) {
    if (jsc.getConf().getBoolean("spark.dynamicAllocation.enabled", false)) {
      throw new IllegalArgumentException("--averaging allreduce runs each group of rounds as one barrier stage, "
          + "which Spark refuses with dynamic allocation (spark.dynamicAllocation.enabled=true); use --averaging tree");
    }
    ResourceProfile profile = data.rdd().getResourceProfile();
    if (profile == null) {
      profile = jsc.sc().resourceProfileManager().defaultResourceProfile();
    }
    long deadline = System.nanoTime() + 60_000_000_000L;
    int slots = jsc.sc().maxNumConcurrentTasks(profile);
    while (slots < workers && !jsc.master().startsWith("local") && System.nanoTime() < deadline) {
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      slots = jsc.sc().maxNumConcurrentTasks(profile);
    }
    if (slots < workers) {
      throw new IllegalArgumentException("--averaging allreduce needs all " + workers + " workers' tasks running at "
          + "once (one barrier stage), but this Spark has " + slots + " task slot" + (slots == 1 ? "" : "s")
          + " (master " + jsc.master() + "); use --averaging tree, or at most " + slots + " --workers");
    }
  }

  /** The first value of slice {@code slice} of {@code slices} over {@code length} values. */
  static int from(int slice, int slices, int length) {
    return (int) ((long) slice * length / slices);
  }

  /**
   * The block of one slice: under RDD {@code rdd} (one per round), split index {@code ((attempt · 3
   * + kind) · N + from) · N + to}.
   */
  static BlockId id(int rdd, int attempt, int kind, int from, int to, int workers) {
    long index = (((long) attempt * 3 + kind) * workers + from) * workers + to;
    if (index > Integer.MAX_VALUE) {
      throw new IllegalStateException("all-reduce: block index overflows at stage attempt " + attempt + " with "
          + workers + " workers");
    }
    return new RDDBlockId(rdd, (int) index);
  }

  /**
   * Values {@code [lo, hi)} of the concatenation of {@code parts} (null parts left out), as a block,
   * in a buffer of {@link SliceBuffers}; returns it, to be given back once the block is removed.
   */
  static ByteBuffer put(BlockManager bm, BlockId id, int lo, int hi, float[]... parts) {
    ByteBuffer bytes = SliceBuffers.take(4 * (hi - lo)).order(ORDER);
    copyRange(bytes.asFloatBuffer(), lo, hi, parts);
    putBytes(bm, id, bytes);
    return bytes;
  }

  /** {@code values} as a block. */
  static void put(BlockManager bm, BlockId id, float[] values) {
    ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ORDER);
    bytes.asFloatBuffer().put(values);
    putBytes(bm, id, bytes);
  }

  /** {@code values} into the concatenation of {@code parts} (null parts left out) from {@code lo}. */
  static void scatter(FloatBuffer values, int lo, float[]... parts) {
    int base = values.position();
    pieces(lo, lo + values.remaining(), parts, (part, at, from, length) -> values.get(base + from, part, at, length));
  }

  /** What {@link #pieces} calls: {@code length} values at {@code part[at]}, {@code from} values into the range. */
  interface Piece {
    void accept(float[] part, int at, int from, int length);
  }

  /**
   * The range {@code [lo, hi)} of the concatenation of {@code parts} (null parts left out), piece
   * by piece: one call per part it overlaps.
   */
  static void pieces(int lo, int hi, float[][] parts, Piece piece) {
    int offset = 0;
    for (float[] part : parts) {
      if (part == null) {
        continue;
      }
      int a = Math.max(lo, offset);
      int b = Math.min(hi, offset + part.length);
      if (a < b) {
        piece.accept(part, a - offset, a - lo, b - a);
      }
      offset += part.length;
    }
  }

  /** What one task returns from a group: its per-round metrics; the state stays in the block manager. */
  public static final class GroupResult implements Serializable {
    private static final long serialVersionUID = 1L;
    public int worker;
    /** The stage attempt that produced the blocks to read. */
    public int attempt;
    public String executorId;
    public double[] lossSum;
    public long[] samples;
    public long[] computeNanos;
    public long[] syncNanos;
    public long[] transferNanos;
    public long[] faults;
    public long[] roundNanos;

    /** For Kryo. */
    public GroupResult() {}

    GroupResult(int rounds) {
      lossSum = new double[rounds];
      samples = new long[rounds];
      computeNanos = new long[rounds];
      syncNanos = new long[rounds];
      transferNanos = new long[rounds];
      faults = new long[rounds];
      roundNanos = new long[rounds];
    }
  }

  /** One worker's task of a group: its rounds, each followed by the all-reduce of the result. */
  static final class GroupTask extends AbstractFunction1<scala.collection.Iterator<Integer>,
      scala.collection.Iterator<GroupResult>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Broadcast<TrainState> start;
    private final List<Broadcast<float[]>> velocities;
    private final int velocityLength;
    private final List<WorkerStep> steps;
    private final int[] faults;
    private final int[] rddIds;
    private final int n;
    private final int p;
    private final int v;
    private final int b;
    private final Bf16Exchange.Plan bf16;

    /**
     * @param velocities with local optimizer state, each worker's velocity (empty: zeros); null
     *     where the velocity is averaged (then {@code v} is its length in the vector)
     * @param bf16 with {@code --exchange bf16}, the workers' residuals ({@code rddIds} then holds one
     *     more id, for what {@link Bf16Exchange.Worker#finish} puts); null for f32
     */
    GroupTask(Broadcast<TrainState> start, List<Broadcast<float[]>> velocities, int velocityLength,
        List<WorkerStep> steps, int[] faults, int[] rddIds, int n, int p, int v, int b, Bf16Exchange.Plan bf16) {
      this.start = start;
      this.velocities = velocities;
      this.velocityLength = velocityLength;
      this.steps = steps;
      this.faults = faults;
      this.rddIds = rddIds;
      this.n = n;
      this.p = p;
      this.v = v;
      this.b = b;
      this.bf16 = bf16;
    }

    @Override
    public scala.collection.Iterator<GroupResult> apply(scala.collection.Iterator<Integer> ignored) {
      BarrierTaskContext ctx = BarrierTaskContext.get();
      int w = ctx.partitionId();
      int attempt = ctx.stageAttemptNumber();
      BlockManager bm = SparkEnv.get().blockManager();
      boolean local = velocities != null;
      TrainState s0 = start.value();
      float[] params = s0.params;
      float[] velocity = local ? null : s0.velocity;
      float[] buffers = s0.buffers;
      float[] own = !local ? null : velocities.isEmpty() ? new float[velocityLength] : velocities.get(w).value();
      int total = p + v + b;
      int rounds = steps.size();
      Bf16Exchange.Worker codec = bf16 == null ? null : bf16.worker(w, n, total);
      GroupResult g = new GroupResult(rounds);
      ByteBuffer[] rawOut = new ByteBuffer[n];
      ByteBuffer lastAveraged = null;
      for (int i = 0; i < rounds; i++) {
        long t0 = System.nanoTime();
        if (w == faults[i] && ctx.stageAttemptNumber() == 0 && ctx.attemptNumber() == 0) {
          throw new IllegalStateException("injected fault: worker " + w + ", first attempt");
        }
        RoundResult r = steps.get(i).run(w, new TrainState(params, local ? own : velocity, buffers));
        long t1 = System.nanoTime();
        Slice.FETCH_NANOS.set(0L);
        long f1 = minorFaults();
        float[] rv = local ? null : r.velocity;
        int rdd = rddIds[i];
        if (codec != null) { // --exchange bf16: the same exchange of deltas, 2 bytes a value
          codec.round(ctx, bm, rddIds, i, attempt, new float[][] {params, velocity, buffers},
              new float[][] {r.params, rv, r.buffers});
        } else {
          // reduce-scatter: slice j to worker j (worker w keeps its own slice w)
          for (int j = 0; j < n; j++) {
            if (j != w) {
              rawOut[j] = put(bm, id(rdd, attempt, RAW, w, j, n), from(j, n, total), from(j + 1, n, total), r.params, rv,
                  r.buffers);
            }
          }
          int lo = from(w, n, total);
          int hi = from(w + 1, n, total);
          ByteBuffer averaged = averageSlice(ctx, bm, rdd, attempt, w, lo, hi, r.params, rv, r.buffers);
          if (i > 0) { // every worker has put this round's slice for w, so it has read w's last averaged one
            bm.removeBlock(id(rddIds[i - 1], attempt, AVERAGED, w, 0, n), !localMode());
            SliceBuffers.give(lastAveraged); // removed: no reader holds it, nothing reads it again
          }
          lastAveraged = averaged;
          // all-gather into the result's own arrays: they become the next round's state
          scatter(averaged.asFloatBuffer(), lo, r.params, rv, r.buffers);
          putBytes(bm, id(rdd, attempt, AVERAGED, w, 0, n), averaged);
          for (int j = 0; j < n; j++) {
            if (j != w) {
              try (Slice s = Slice.await(ctx, bm, id(rdd, attempt, AVERAGED, j, 0, n),
                  4 * (from(j + 1, n, total) - from(j, n, total)))) {
                scatter(s.floats, from(j, n, total), r.params, rv, r.buffers);
              }
            }
          }
          for (int j = 0; j < n; j++) { // worker j put its averaged slice, so it has read w's slice j
            if (j != w) {
              bm.removeBlock(id(rdd, attempt, RAW, w, j, n), !localMode());
              SliceBuffers.give(rawOut[j]);
            }
          }
        }
        long t2 = System.nanoTime();
        params = r.params;
        velocity = rv;
        buffers = r.buffers;
        if (local) {
          own = r.velocity;
        }
        g.lossSum[i] = r.lossSum;
        g.samples[i] = r.samples;
        g.computeNanos[i] = r.computeNanos;
        g.syncNanos[i] = t2 - t1;
        g.transferNanos[i] = Slice.FETCH_NANOS.get();
        long f2 = minorFaults();
        g.faults[i] = f1 < 0 || f2 < 0 ? -1 : f2 - f1;
        g.roundNanos[i] = t2 - t0;
      }
      if (local) {
        put(bm, id(rddIds[rddIds.length - 1], attempt, VELOCITY, w, 0, n), own); // the driver's `last`
      }
      if (codec != null) {
        codec.finish(bm, rddIds[rounds], attempt, params, velocity, buffers);
      }
      g.worker = w;
      g.attempt = attempt;
      g.executorId = SparkEnv.get().executorId();
      return scala.collection.Iterator$.MODULE$.single(g);
    }

    /**
     * Slice {@code [lo, hi)} averaged over the workers, as the bytes of its block: summed in double
     * in worker order from the first worker's values and divided by N, bitwise {@link Averager}'s
     * and {@link ShardedReduce#averageInOrder}'s result (the sums of a few floats in double are
     * exact). Read in place, without copies: this worker's own slice from its result's arrays (one
     * pass per array it spans), the others' from their blocks.
     */
    private ByteBuffer averageSlice(TaskContext ctx, BlockManager bm, int rdd, int attempt, int w, int lo, int hi,
        float[]... mine) {
      int len = hi - lo;
      ByteBuffer bytes = SliceBuffers.take(4 * len).order(ORDER);
      FloatBuffer out = bytes.asFloatBuffer();
      List<Slice> held = new ArrayList<>(n - 1);
      try {
        FloatBuffer[] peers = new FloatBuffer[n];
        for (int i = 0; i < n; i++) {
          if (i != w) {
            Slice s = Slice.await(ctx, bm, id(rdd, attempt, RAW, i, w, n), 4 * len);
            held.add(s);
            if (s.floats.remaining() != len) {
              throw new IllegalStateException("all-reduce: worker " + i + "'s slice " + w + " holds "
                  + s.floats.remaining() + " values, not " + len);
            }
            peers[i] = s.floats.slice();
          }
        }
        FloatBuffer[] x = new FloatBuffer[n];
        pieces(lo, hi, mine, (part, at, from, length) -> {
          for (int i = 0; i < n; i++) {
            x[i] = i == w ? FloatBuffer.wrap(part, at, length).slice() : peers[i].slice(from, length);
          }
          average(x, out.slice(from, length));
        });
        return bytes;
      } finally {
        for (Slice s : held) {
          s.close();
        }
      }
    }
  }

  /**
   * {@code out[k]}: the mean of {@code x[i][k]} over i, summed in double in the order of {@code x}
   * from {@code x[0][k]} (not 0.0 + x, which turns -0.0 into 0.0) and divided, as {@link
   * ShardedReduce#averageInOrder} does with arrays.
   */
  static void average(FloatBuffer[] x, FloatBuffer out) {
    int len = out.remaining();
    int n = x.length;
    if (n == 1) { // one worker: (float) ((double) x / 1) == x
      out.put(x[0]);
      return;
    }
    if (n == 2) {
      FloatBuffer a = x[0];
      FloatBuffer b = x[1];
      for (int k = 0; k < len; k++) {
        out.put(k, (float) (((double) a.get(k) + b.get(k)) / 2));
      }
      return;
    }
    for (int k = 0; k < len; k++) {
      double sum = x[0].get(k);
      for (int i = 1; i < n; i++) {
        sum += x[i].get(k);
      }
      out.put(k, (float) (sum / n));
    }
  }

  /**
   * This JVM's minor page faults so far, all threads (field 10 of Linux's {@code /proc/self/stat}),
   * or -1 where there is no such file.
   */
  static long minorFaults() {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
      // the command name (field 2) is in parentheses and may hold spaces: count from after it
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[7]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Values {@code [lo, hi)} of the concatenation of {@code parts} into {@code out}. */
  static void copyRange(FloatBuffer out, int lo, int hi, float[]... parts) {
    pieces(lo, hi, parts, (part, at, from, length) -> out.put(part, at, length));
  }

  @Override
  public TrainState state() {
    if (!local) {
      return state;
    }
    float[] mean = new float[stateLength];
    if (velocities != null) {
      double[] sum = new double[stateLength];
      for (float[] x : velocities) {
        for (int i = 0; i < stateLength; i++) {
          sum[i] += x[i];
        }
      }
      for (int i = 0; i < stateLength; i++) {
        mean[i] = (float) (sum[i] / velocities.length);
      }
    }
    return new TrainState(state.params, mean, state.buffers);
  }

  /**
   * The bytes a round puts into the block managers, all workers together: worker w puts its N − 1
   * slices for the others and its averaged slice, N × T values in all, 4 bytes each (2 with bf16).
   */
  public long blockBytesPerRound() {
    return (bf16 != null ? 2L : 4L) * workers * (state.params.length + (local ? 0 : stateLength)
        + state.buffers.length);
  }

  @Override
  public float[][] exchangeResiduals() {
    return bf16 == null ? null : bf16.residuals(state.params.length + (local ? 0 : stateLength) + state.buffers.length);
  }

  @Override
  public float[][] workerVelocities() {
    if (!local) {
      return null;
    }
    if (velocities == null) {
      velocities = new float[workers][stateLength];
    }
    return velocities;
  }

  @Override
  public void close() {}
}
