package dev.fovea.driver.averaging;

import dev.fovea.driver.worker.RoundTask;
import dev.fovea.driver.worker.TrainState;
import org.apache.spark.api.java.JavaRDD;

/**
 * How a round's parameters reach the workers and how their results are averaged. Both
 * strategies compute the same average (sums in double, see {@link Averager}); they differ in what
 * passes through the driver.
 */
public interface RoundEngine {

  /**
   * Trains one round on {@code workers} (N partitions, partition w holding the one element w; each
   * worker streams its own data) and averages the results into the new state.
   *
   * @param faultWorker for fault tests, the worker whose first attempt fails; -1 for none
   */
  RoundMetrics round(JavaRDD<Integer> workers, RoundTask task, int faultWorker);

  /** The current averaged state, on the driver. For the sharded strategy this gathers the slices. */
  TrainState state();

  /** Releases cached data. */
  void close();

  /** The strategy by name: {@code tree} or {@code sharded}. */
  static RoundEngine create(String name, org.apache.spark.api.java.JavaSparkContext jsc, TrainState initial,
      int workers) {
    return switch (name) {
      case "tree" -> new TreeAggregation(jsc, initial);
      case "sharded" -> new ShardedReduce(jsc, initial, workers);
      default -> throw new IllegalArgumentException("unknown averaging strategy '" + name + "'; known: tree, sharded");
    };
  }
}
