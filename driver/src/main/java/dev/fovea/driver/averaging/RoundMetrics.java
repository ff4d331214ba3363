package dev.fovea.driver.averaging;

import java.util.Set;

/**
 * What the driver learns of a round besides the parameters.
 *
 * @param lossSum summed training loss over the round's samples
 * @param samples samples trained in the round, all workers together
 * @param maxComputeNanos the slowest worker's compute time
 * @param executors executor ids that ran the round's tasks
 * @param taskNanos the round's own time, where {@link RoundEngine#rounds} runs it: its wall time on
 *     the driver where each round is its own Spark jobs (tree, sharded), the slowest worker's time in
 *     the round inside its task (compute and synchronisation) where the rounds share one job ({@link
 *     AllReduce}); -1 from {@link RoundEngine#round}
 * @param syncNanos likewise, the slowest worker's synchronisation in the round; -1 where not measured
 */
public record RoundMetrics(double lossSum, long samples, long maxComputeNanos, Set<String> executors, long taskNanos,
    long syncNanos) {

  /** A round the driver times itself (one or more Spark jobs of its own). */
  public RoundMetrics(double lossSum, long samples, long maxComputeNanos, Set<String> executors) {
    this(lossSum, samples, maxComputeNanos, executors, -1, -1);
  }
}
