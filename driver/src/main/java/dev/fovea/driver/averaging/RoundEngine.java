package dev.fovea.driver.averaging;

import dev.fovea.driver.Choices;
import dev.fovea.driver.worker.TrainState;
import dev.fovea.driver.worker.WorkerStep;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * How a round's parameters reach the workers and how their results are averaged. Both
 * strategies compute the same average (sums in double, see {@link Averager}); they differ in what
 * passes through the driver. Both either average the optimizer state with the parameters or keep
 * each worker's own ({@code local}, see {@link WorkerVelocities}).
 */
public interface RoundEngine {

  /**
   * Trains one round on {@code workers} (N partitions, partition w holding the one element w; each
   * worker streams its own data) and averages the results into the new state.
   *
   * @param faultWorker for fault tests, the worker whose first attempt fails; -1 for none
   */
  RoundMetrics round(JavaRDD<Integer> workers, WorkerStep step, int faultWorker);

  /**
   * The current averaged state, on the driver. For the sharded strategy this gathers the slices.
   * With per-worker optimizer state its velocity is the mean of the workers' (what a model file
   * records); {@link #workerVelocities()} has each one.
   */
  TrainState state();

  /**
   * Every worker's own velocity, on the driver (N × P floats, gathered from the executors), or
   * null where the velocity is averaged.
   */
  float[][] workerVelocities();

  /** Releases cached data. */
  void close();

  /**
   * The strategy {@code averaging}.
   *
   * @param initial the starting state; its optimizer state ({@code velocity}) sets the length of
   *     every worker's with {@code local} (zeros unless {@code velocities} is given)
   * @param velocities with {@code local}, every worker's optimizer state to start from (a
   *     checkpoint's), or null for zeros; ignored with {@code averaged}
   */
  static RoundEngine create(Choices.Averaging averaging, Choices.OptimizerState optimizerState, JavaSparkContext jsc,
      TrainState initial, float[][] velocities, int workers) {
    WorkerVelocities local = switch (optimizerState) {
      case AVERAGED -> null;
      case LOCAL -> new WorkerVelocities(jsc, workers, initial.velocity.length, velocities);
    };
    return switch (averaging) {
      case TREE -> new TreeAggregation(jsc, initial, local);
      case SHARDED -> new ShardedReduce(jsc, initial, workers, local);
    };
  }
}
