package dev.fovea.driver.averaging;

import dev.fovea.driver.Choices;
import dev.fovea.driver.worker.TrainState;
import dev.fovea.driver.worker.WorkerStep;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * How a round's parameters reach the workers and how their results are averaged. The three
 * strategies compute the same average (sums in double, see {@link Averager}); they differ in what
 * passes through the driver and in Spark jobs per round ({@link AllReduce}: one per group of
 * rounds). All either average the optimizer state with the parameters or keep
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
   * Trains a group of consecutive rounds, {@code steps.get(i)} being round i's work. Tree and
   * sharded run one round (one or more Spark jobs) after the other and stop after a round whose
   * loss is not finite; {@link AllReduce} runs the whole group as one Spark job. The state
   * advances past the group; with a non-finite loss it stays at the last good round's (tree,
   * sharded) or at the group's start (all-reduce).
   *
   * @param faultWorkers per round, for fault tests, the worker whose first attempt fails; -1 for none
   * @param beforeRound called with the round's index in the group before the Spark jobs that run it
   *     (a job group's name, say): before every round, or once with 0 where the group is one job
   * @return the rounds' metrics, in order (fewer than the steps where a loss was not finite)
   */
  default List<RoundMetrics> rounds(JavaRDD<Integer> workers, List<? extends WorkerStep> steps, int[] faultWorkers,
      IntConsumer beforeRound) {
    List<RoundMetrics> out = new ArrayList<>(steps.size());
    for (int i = 0; i < steps.size(); i++) {
      beforeRound.accept(i);
      long t0 = System.nanoTime();
      RoundMetrics m = round(workers, steps.get(i), faultWorkers[i]);
      out.add(new RoundMetrics(m.lossSum(), m.samples(), m.maxComputeNanos(), m.executors(), System.nanoTime() - t0,
          m.syncNanos()));
      if (!Double.isFinite(m.lossSum())) {
        break;
      }
    }
    return out;
  }

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

  /**
   * With {@code --exchange bf16}, every worker's error-feedback residuals ({@link Bf16Exchange}),
   * which a checkpoint must hold for a bitwise resume; null with f32.
   */
  default float[][] exchangeResiduals() {
    return null;
  }

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
    return create(averaging, optimizerState, Choices.Exchange.F32, jsc, initial, velocities, null, workers);
  }

  /**
   * The strategy {@code averaging} exchanging {@code exchange}: {@code bf16} only with {@code
   * allreduce} ({@link Bf16Exchange}).
   *
   * @param residuals with {@code bf16}, every worker's residuals to start from (a checkpoint's), or null for zeros
   */
  static RoundEngine create(Choices.Averaging averaging, Choices.OptimizerState optimizerState,
      Choices.Exchange exchange, JavaSparkContext jsc, TrainState initial, float[][] velocities, float[][] residuals,
      int workers) {
    if (exchange == Choices.Exchange.BF16 && averaging != Choices.Averaging.ALLREDUCE) {
      throw new IllegalArgumentException("invalid value bf16 for --exchange: " + Choices.Exchange.REFUSAL);
    }
    if (averaging == Choices.Averaging.ALLREDUCE) { // every worker's velocity stays in its task within a group
      return new AllReduce(jsc, initial, workers, optimizerState == Choices.OptimizerState.LOCAL, velocities,
          exchange == Choices.Exchange.BF16, residuals);
    }
    WorkerVelocities local = switch (optimizerState) {
      case AVERAGED -> null;
      case LOCAL -> new WorkerVelocities(jsc, workers, initial.velocity.length, velocities);
    };
    return averaging == Choices.Averaging.TREE ? new TreeAggregation(jsc, initial, local)
        : new ShardedReduce(jsc, initial, workers, local);
  }
}
