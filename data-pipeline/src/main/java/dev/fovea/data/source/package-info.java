/**
 * Dataset sources beyond IDX: CIFAR-10/100 binary batches (read into memory, sharded by {@code
 * ShardWriter}), and image folders, ImageNet trees and tables of image bytes (listed and read on
 * executors, sharded by {@code ImageShardWriter}). Depends on {@code dev.fovea.data.shard} and Spark.
 */
package dev.fovea.data.source;
