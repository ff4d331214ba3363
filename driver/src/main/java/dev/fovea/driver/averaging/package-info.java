/**
 * How workers' parameters are combined after each round: {@link
 * dev.fovea.driver.averaging.RoundEngine} and its two strategies, {@link
 * dev.fovea.driver.averaging.TreeAggregation} (broadcast and {@code treeAggregate} through the
 * driver) and {@link dev.fovea.driver.averaging.ShardedReduce} (reduce-scatter and all-gather
 * through the shuffle). Either averages the SGD velocity with the parameters ({@code
 * --optimizer-state averaged}) or leaves each worker its own ({@code local}, kept in {@link
 * dev.fovea.driver.averaging.WorkerVelocities}): half the traffic, N × P floats more state, and a
 * lineage kept recomputable until the next checkpoint so a lost executor changes nothing.
 * docs/averaging.md has the trade-off; driver/BENCHMARKS.md the measurements and the model to 256
 * workers. Depends on the worker package.
 */
package dev.fovea.driver.averaging;
