package dev.fovea.driver.worker;

import dev.fovea.data.image.Transform;
import dev.fovea.data.shard.HadoopConf;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.stream.ShardStream;
import dev.fovea.data.stream.StreamPlan;
import dev.fovea.kernels.Shape;
import java.io.Serializable;

/**
 * A shard set as workers stream it, shipped with every round or evaluation task: where it is,
 * which sample each worker sees at each position ({@link StreamPlan}), what turns a stored image
 * into a network input ({@link Transform}), and how many decoding threads a worker may use.
 *
 * <p>Streams read shards through the executor's {@link dev.fovea.data.stream.ShardCache}, so
 * round after round an executor reads each shard from the file system once while the set fits in
 * a quarter of its heap; decoding and augmentation run on every pass, seeded per sample.
 *
 * @param conf the driver's Hadoop configuration (reaches the same file systems)
 * @param dir the shard-set folder
 * @param manifest its manifest, kept as {@link Manifest#forReaders()} (the per-shard class counts and the
 *     sharding report, which grow with shards × classes, stay on the driver)
 * @param plan training (shuffled, equal batches per worker) or evaluation (every sample once)
 * @param transform decoding's geometric transform, flip and normalisation
 * @param threads decoding threads per worker (at most the task's CPUs)
 */
public record ShardInput(HadoopConf conf, String dir, Manifest manifest, StreamPlan plan, Transform transform,
    int threads) implements Serializable {

  public ShardInput {
    if (threads < 1) {
      throw new IllegalArgumentException("decoding threads must be >= 1, not " + threads);
    }
    // shipped with every round and evaluation task: only what the readers use
    manifest = manifest.forReaders();
  }

  /** The network input of one sample: (C, H, W). */
  public Shape sampleShape() {
    return Shape.of(transform.mean().size(), transform.outHeight(), transform.outWidth());
  }

  /**
   * Worker {@code worker}'s samples {@code [from, until)} of epoch {@code epoch}, decoded on up to
   * {@link #threads} background threads, two batches per thread ahead of the consumer.
   */
  public ShardStream open(int epoch, int worker, long from, long until) {
    ShardStream.Options o = new ShardStream.Options(threads, 2 * threads, 3, null, true);
    return ShardStream.open(conf.get(), dir, manifest, plan, transform, epoch, worker, from, until, o);
  }
}
