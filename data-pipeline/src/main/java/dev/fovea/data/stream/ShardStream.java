package dev.fovea.data.stream;

import dev.fovea.data.DataException;
import dev.fovea.data.batch.Batch;
import dev.fovea.data.image.Codecs;
import dev.fovea.data.image.Image;
import dev.fovea.data.image.ImageCodec;
import dev.fovea.data.image.Transform;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.ShardReader;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;

/**
 * One worker's minibatches of one epoch, read from a shard set on any Hadoop file system, decoded
 * and augmented on background threads, and handed out in the order the {@link StreamPlan} fixes.
 *
 * <p>Usage on an executor (the driver ships the manifest, plan and transform with the task):
 *
 * <pre>{@code
 * try (ShardStream s = ShardStream.open(conf, dir, manifest, plan, transform, epoch, worker, consumed,
 *     ShardStream.Options.DEFAULT)) {
 *   while (s.hasNext()) {
 *     Batch b = s.next();            // (N, C, H, W) float32 and N labels
 *     ...train on b...
 *     long resumeFrom = s.position(); // samples of this epoch consumed so far
 *     s.recycle(b);                   // optional: b's array is reused for a later batch
 *   }
 * }
 * }</pre>
 *
 * <p><b>Resuming.</b> Opening at {@code consumed = c} yields exactly the batches the stream opened
 * at 0 would yield after its first c samples (for c a multiple of the batch; for any other c, the
 * same samples with the same augmentations, cut into batches starting at c). It costs O(1): only
 * the shards the next batches touch are read. Each sample's augmentation is drawn from {@link
 * StreamPlan#sampleSeed}, so it does not depend on thread scheduling or on where the stream was
 * opened.
 *
 * <p><b>In the driver</b>, worker w in round r of epoch e opens the stream over positions {@code
 * [r·k·batch, (r·k + steps)·batch)} and takes its k batches; a checkpoint needs only (epoch,
 * round). Evaluation opens a plan with {@code training = false} and a validation transform.
 *
 * <p><b>Threads.</b> {@code threads} workers each turn one whole batch into floats; up to {@code
 * prefetch} batches are in flight ahead of the consumer. Shards are read whole (their CRC-32 is
 * checked) by the thread that first needs them; up to {@code cachedShards} stay in memory, and with
 * {@link Options#shared} they come from, and go to, the JVM's {@link ShardCache}.
 */
public final class ShardStream implements Iterator<Batch>, AutoCloseable {

  /**
   * Threads and memory of a stream.
   *
   * @param threads decoding threads (≥ 1)
   * @param prefetch batches decoded ahead of the consumer (≥ 1)
   * @param cachedShards shards kept in memory (≥ 2)
   * @param codec the image codec; null for {@link Codecs#best()}
   * @param shared read shards through the JVM's {@link ShardCache#shared()} cache, so later streams
   *     of the same set (the next round, the next epoch) find them in memory
   */
  public record Options(int threads, int prefetch, int cachedShards, ImageCodec codec, boolean shared) {
    /** Two threads, four batches ahead, three shards cached, the best codec, no shared cache. */
    public static final Options DEFAULT = new Options(2, 4, 3, null);

    public Options {
      if (threads < 1 || prefetch < 1 || cachedShards < 2) {
        throw new IllegalArgumentException("stream options: threads " + threads + ", prefetch " + prefetch
            + ", cached shards " + cachedShards);
      }
    }

    /** Options without the shared cache. */
    public Options(int threads, int prefetch, int cachedShards, ImageCodec codec) {
      this(threads, prefetch, cachedShards, codec, false);
    }
  }

  private final Configuration conf;
  private final String dir;
  private final Manifest manifest;
  private final StreamPlan plan;
  private final Transform transform;
  private final int epoch;
  private final int worker;
  private final long end;
  private final ImageCodec codec;
  private final boolean raw;
  private final int[] rawShape;
  private final ExecutorService pool;
  private final int cachedShards;
  private final boolean shared;
  private final Map<Integer, CompletableFuture<ShardReader.Rows>> shards = new LinkedHashMap<>(8, 0.75f, true);
  private final ArrayDeque<Future<Batch>> inFlight = new ArrayDeque<>();
  /** Arrays of recycled batches, reused by later batches of the same size; guarded by itself. */
  private final ArrayDeque<float[]> free = new ArrayDeque<>();
  private final int prefetch;
  private long submitted;
  private long position;

  private ShardStream(Configuration conf, String dir, Manifest m, StreamPlan plan, Transform t, int epoch,
      int worker, long consumed, long until, Options o) {
    if (t.mean().size() != m.sampleShape().get(0)) {
      throw new IllegalArgumentException("transform for " + t.mean().size() + " channels, shards of "
          + m.sampleShape().get(0));
    }
    this.conf = conf;
    this.dir = dir;
    this.manifest = m;
    this.plan = plan;
    this.transform = t;
    this.epoch = epoch;
    this.worker = worker;
    long all = plan.samplesPerEpoch(worker);
    if (consumed < 0 || consumed > all || until < consumed) {
      throw new IllegalArgumentException("cannot stream samples [" + consumed + ", " + until + ") of " + all);
    }
    this.end = Math.min(until, all);
    this.position = consumed;
    this.submitted = consumed;
    this.codec = o.codec() != null ? o.codec() : Codecs.best();
    this.raw = Manifest.RAW.equals(m.encoding());
    this.rawShape = m.sampleShape().stream().mapToInt(Integer::intValue).toArray();
    this.cachedShards = o.cachedShards();
    this.shared = o.shared();
    this.prefetch = o.prefetch();
    this.pool = Executors.newFixedThreadPool(o.threads(), r -> {
      Thread th = new Thread(r, "fovea-stream-w" + worker);
      th.setDaemon(true);
      return th;
    });
    fill();
  }

  /**
   * Opens worker {@code worker}'s stream of epoch {@code epoch}, skipping its first {@code consumed}
   * samples without reading them.
   *
   * @param plan how samples are ordered, batched and dropped; built over {@code m}'s shards
   * @param t the per-sample transform (training or validation)
   */
  public static ShardStream open(Configuration conf, String dir, Manifest m, StreamPlan plan, Transform t,
      int epoch, int worker, long consumed, Options o) {
    return open(conf, dir, m, plan, t, epoch, worker, consumed, Long.MAX_VALUE, o);
  }

  /**
   * Opens worker {@code worker}'s stream of epoch {@code epoch} over positions {@code [consumed,
   * until)} only (clipped to the epoch): what one round of training takes. Nothing past {@code
   * until} is read or decoded.
   */
  public static ShardStream open(Configuration conf, String dir, Manifest m, StreamPlan plan, Transform t,
      int epoch, int worker, long consumed, long until, Options o) {
    if (plan.shardRows().length != m.shards().size() || plan.samples() != m.count()) {
      throw new IllegalArgumentException("the plan is over " + plan.shardRows().length + " shards and "
          + plan.samples() + " samples, the manifest lists " + m.shards().size() + " and " + m.count());
    }
    return new ShardStream(conf, dir, m, plan, t, epoch, worker, consumed, until, o);
  }

  /** Samples of this epoch consumed so far: what to pass as {@code consumed} to resume. */
  public long position() {
    return position;
  }

  /** Samples this worker takes in the epoch. */
  public long samplesPerEpoch() {
    return plan.samplesPerEpoch(worker);
  }

  /** The position at which this stream ends: the epoch's end or the {@code until} it was opened with. */
  public long end() {
    return end;
  }

  @Override
  public boolean hasNext() {
    return position < end;
  }

  @Override
  public Batch next() {
    if (!hasNext()) {
      throw new NoSuchElementException("epoch " + epoch + " of worker " + worker + " is finished");
    }
    Future<Batch> f = inFlight.poll();
    Batch b;
    try {
      b = f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a batch", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    }
    position += b.size();
    fill();
    return b;
  }

  /**
   * Hands back a batch this stream returned and the caller no longer reads, so that a later batch
   * of the same size is decoded into its array instead of a new one: at (32, 3, 224, 224) that is
   * 19 MB less to allocate and zero per batch. Optional; the caller must not touch {@code b} after.
   */
  public void recycle(Batch b) {
    float[] x = b.images().floatArray();
    synchronized (free) {
      if (free.size() <= prefetch) {
        free.push(x);
      }
    }
  }

  private void fill() {
    while (inFlight.size() < prefetch && submitted < end) {
      long from = submitted;
      int n = (int) Math.min(plan.batch(), end - from);
      submitted += n;
      inFlight.add(pool.submit(() -> makeBatch(from, n)));
    }
  }

  private Batch makeBatch(long from, int n) {
    StreamPlan.Locator loc = plan.new Locator(epoch, worker);
    int per = transform.sampleSize();
    float[] x;
    synchronized (free) {
      x = free.poll();
    }
    if (x == null || x.length != n * per) {
      // every element is written below: transforms fill their whole (C, H, W) output
      x = new float[n * per];
    }
    int[] labels = new int[n];
    dev.fovea.data.shard.TargetSpec spec = manifest.targetSpec();
    float[] targets = spec.isClass() ? null : new float[n * spec.size()];
    for (int i = 0; i < n; i++) {
      long p = from + i;
      long[] at = loc.locate(p);
      ShardReader.Rows rows = shard((int) at[0]);
      int row = (int) at[1];
      labels[i] = rows.labels()[row];
      if (targets != null) {
        spec.decode(rows.targets()[row], targets, i * spec.size());
      }
      Image img = image(rows.images()[row], (int) at[0], row);
      transform.apply(img, new SplittableRandom(plan.sampleSeed(epoch, worker, p)), x, i * per);
    }
    Shape shape = Shape.of(n, transform.mean().size(), transform.outHeight(), transform.outWidth());
    return new Batch(Tensor.wrap(x, shape), labels,
        targets == null ? null : Tensor.wrap(targets, spec.tensorShape().prepend(n)));
  }

  private Image image(byte[] stored, int shard, int row) {
    if (raw) {
      return new Image(rawShape[2], rawShape[1], rawShape[0], stored, true);
    }
    try {
      return codec.decode(stored, rawShape[0]);
    } catch (ImageCodec.BadImageException e) {
      throw new DataException("shard " + manifest.shards().get(shard).file() + ": row " + row
          + " is not a readable image: " + e.getMessage(), e);
    }
  }

  private ShardReader.Rows shard(int s) {
    CompletableFuture<ShardReader.Rows> f;
    boolean load = false;
    synchronized (shards) {
      f = shards.get(s);
      if (f == null) {
        f = new CompletableFuture<>();
        shards.put(s, f);
        load = true;
        while (shards.size() > cachedShards) {
          Iterator<Integer> it = shards.keySet().iterator();
          it.next();
          it.remove();
        }
      }
    }
    if (load) {
      try {
        Manifest.ShardEntry e = manifest.shards().get(s);
        f.complete(shared
            ? ShardCache.shared().get(dir + "/" + e.file() + "#" + e.crc32(), () -> ShardReader.readRows(conf, dir,
                manifest, e))
            : ShardReader.readRows(conf, dir, manifest, e));
      } catch (RuntimeException e) {
        f.completeExceptionally(e);
      }
    }
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
    }
  }

  /** Stops the background threads; batches in flight are discarded. */
  @Override
  public void close() {
    pool.shutdownNow();
  }
}
