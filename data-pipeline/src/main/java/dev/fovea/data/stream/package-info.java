/**
 * Streaming minibatches on executors: {@link dev.fovea.data.stream.StreamPlan}, the pure function
 * of (seed, epoch, workers) that says which stored sample each worker sees at each position, and
 * {@link dev.fovea.data.stream.ShardStream}, which reads shards, decodes and augments on background
 * threads and hands out NCHW float32 batches, resumable in O(1) from (epoch, samples consumed).
 * Depends on {@code dev.fovea.data.shard}, {@code dev.fovea.data.image} and the kernels' tensors.
 */
package dev.fovea.data.stream;
