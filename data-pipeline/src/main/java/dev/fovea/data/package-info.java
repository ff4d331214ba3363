/**
 * Dataset sources, the shard format and its manifest, the Spark job that writes shards and the
 * executor-side reader that turns shard slices into minibatches. Depends on {@code
 * dev.fovea.kernels} (for tensors), Spark (provided) and Hadoop's FileSystem API.
 */
package dev.fovea.data;
