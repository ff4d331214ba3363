package dev.fovea.driver.averaging;

import dev.fovea.driver.worker.RoundResult;
import dev.fovea.driver.worker.RoundTask;
import dev.fovea.driver.worker.TrainState;
import java.util.Collections;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Averaging through the driver, as DL4J and SparkNet did: the state is broadcast, every worker
 * returns its whole trained vector, {@code treeAggregate} sums them in a tree of depth 2 and the
 * driver divides. Driver traffic per round: one broadcast of the state and the tree's final sums.
 */
public final class TreeAggregation implements RoundEngine {
  private final JavaSparkContext jsc;
  private TrainState state;

  public TreeAggregation(JavaSparkContext jsc, TrainState initial) {
    this.jsc = jsc;
    this.state = initial;
  }

  @Override
  public RoundMetrics round(JavaRDD<Integer> workers, RoundTask task, int faultWorker) {
    Broadcast<TrainState> shipped = jsc.broadcast(state);
    Averager sum = workers
        .mapPartitionsWithIndex((w, it) -> {
          failIfInjected(w, faultWorker);
          RoundResult res = task.run(w, shipped.value());
          res.executorId = SparkEnv.get().executorId();
          return Collections.singletonList(res).iterator();
        }, true)
        .treeAggregate(new Averager(), Averager::add, Averager::merge, 2);
    shipped.destroy();
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
    return state;
  }

  @Override
  public void close() {}
}
