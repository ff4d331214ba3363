/**
 * Dataset sources, the shard format and its manifest, the Spark jobs that write shards and the
 * executor-side readers that turn shards into minibatches. Depends on {@code dev.fovea.kernels}
 * (for tensors), Spark (provided), Parquet, Hadoop's FileSystem API and OpenCV (JavaCPP preset).
 *
 * <ul>
 *   <li>{@code idx}, {@code source}: IDX, CIFAR-10/100, image folders, ImageNet trees, tables.
 *   <li>{@code shard}: {@code ShardWriter} (in-memory datasets, raw uint8) and {@code
 *       ImageShardWriter} (images decoded and encoded on executors, JPEG or raw), {@code
 *       manifest.json}, the checksummed {@code ShardReader}.
 *   <li>{@code image}: codecs (libjpeg-turbo through OpenCV, {@code javax.imageio} fallback) and
 *       transforms.
 *   <li>{@code batch}: the minibatch type and {@code Normalizer} (raw pixels of predictions).
 *   <li>{@code stream}: {@code StreamPlan}, {@code ShardStream} and {@code ShardCache}, the path by
 *       which the driver's workers train on and evaluate any shard set.
 * </ul>
 */
package dev.fovea.data;
