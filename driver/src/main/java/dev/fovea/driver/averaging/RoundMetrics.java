package dev.fovea.driver.averaging;

import java.util.Set;

/**
 * What the driver learns of a round besides the parameters.
 *
 * @param lossSum summed training loss over the round's samples
 * @param samples samples trained in the round, all workers together
 * @param maxComputeNanos the slowest worker's compute time
 * @param executors executor ids that ran the round's tasks
 */
public record RoundMetrics(double lossSum, long samples, long maxComputeNanos, Set<String> executors) {}
