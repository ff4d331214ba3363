package dev.fovea.driver.averaging;

import dev.fovea.driver.worker.RoundResult;
import dev.fovea.driver.worker.TrainState;
import dev.fovea.driver.worker.WorkerStep;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

/**
 * Averaging through the driver, as DL4J and SparkNet did: the state is broadcast, every worker
 * returns its whole trained vector, {@code treeAggregate} sums them in a tree of depth 2 and the
 * driver divides. Driver traffic per round: one broadcast of the state and the tree's final sums.
 * With per-worker optimizer state ({@code local}) only parameters and buffers are broadcast and
 * summed, half the traffic; each worker's velocity stays in a cached RDD ({@link
 * WorkerVelocities}), which keeps the round's broadcast until the next checkpoint so that a lost
 * partition can be recomputed.
 */
public final class TreeAggregation implements RoundEngine {
  private final JavaSparkContext jsc;
  private final WorkerVelocities local;
  private TrainState state;

  /** @param local each worker's own velocity, or null to average the velocity */
  TreeAggregation(JavaSparkContext jsc, TrainState initial, WorkerVelocities local) {
    this.jsc = jsc;
    this.local = local;
    this.state = local == null ? initial : new TrainState(initial.params, null, initial.buffers);
  }

  @Override
  public RoundMetrics round(JavaRDD<Integer> workers, WorkerStep step, int faultWorker) {
    Broadcast<TrainState> shipped = jsc.broadcast(state);
    Averager sum;
    if (local == null) {
      sum = workers
          .mapPartitionsWithIndex((w, it) -> {
            failIfInjected(w, faultWorker);
            RoundResult res = step.run(w, shipped.value());
            res.executorId = SparkEnv.get().executorId();
            return Collections.singletonList(res).iterator();
          }, true)
          .treeAggregate(new Averager(), Averager::add, Averager::merge, 2);
      shipped.destroy();
    } else {
      JavaRDD<RoundResult> trained = workers.zipPartitions(local.rdd(), (Iterator<Integer> it,
          Iterator<float[]> velocity) -> {
        int w = TaskContext.getPartitionId();
        failIfInjected(w, faultWorker);
        TrainState s = shipped.value();
        RoundResult res = step.run(w, new TrainState(s.params, velocity.next(), s.buffers));
        res.executorId = SparkEnv.get().executorId();
        return Collections.singletonList(res).iterator();
      }).setName("fovea round results").persist(StorageLevel.MEMORY_AND_DISK());
      sum = trained.treeAggregate(new Averager(false), Averager::add, Averager::merge, 2);
      if (Double.isFinite(sum.lossSum)) {
        local.keep(shipped);
        local.advance(trained);
      } else {
        trained.unpersist(false);
        shipped.destroy();
      }
    }
    if (Double.isFinite(sum.lossSum)) {
      state = sum.average();
    }
    return new RoundMetrics(sum.lossSum, sum.samples, sum.maxComputeNanos, sum.executors);
  }

  static void failIfInjected(int worker, int faultWorker) {
    if (worker == faultWorker && TaskContext.get().attemptNumber() == 0) {
      throw new IllegalStateException("injected fault: worker " + worker + ", first attempt");
    }
  }

  @Override
  public TrainState state() {
    return local == null ? state : new TrainState(state.params, local.mean(), state.buffers);
  }

  @Override
  public float[][] workerVelocities() {
    return local == null ? null : local.gather();
  }

  @Override
  public void close() {
    if (local != null) {
      local.close();
    }
  }
}
