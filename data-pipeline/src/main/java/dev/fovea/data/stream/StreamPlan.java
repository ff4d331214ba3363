package dev.fovea.data.stream;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which stored sample worker w sees at position p of epoch e: a pure function of the shard sizes,
 * (seed, epoch, workers) and the buffer size, so any position can be found in O(1) without reading
 * what comes before it.
 *
 * <p><b>Training.</b> The epoch's sequence is the shards concatenated in an order shuffled by
 * (seed, e). Worker w owns positions {@code [w·n/N, (w+1)·n/N)} of it, which it visits window by
 * window: window k is its {@code buffer} consecutive samples {@code [k·B, (k+1)·B)}, visited in a
 * permutation drawn from (seed, e, w, k) — a shuffle within a bounded in-memory buffer. Every
 * worker takes {@code floor(min slice / batch)} batches per epoch; the remaining samples of each
 * slice (fewer than one batch plus the slice-size difference) are dropped for that epoch, and since
 * the shard order changes every epoch, different samples are dropped in different epochs.
 *
 * <p><b>Evaluation.</b> Shards in manifest order, no shuffling: worker w reads its slice once, in
 * order, in {@code ceil(slice / batch)} batches, the last of which may be smaller. Across workers
 * every sample is read exactly once.
 *
 * @param shardRows rows of each shard, in manifest order
 * @param seed the run's seed
 * @param workers N
 * @param batch samples per batch per worker
 * @param buffer B, the shuffle window in samples (training only)
 * @param training whether to shuffle and drop (training) or read everything once in order
 */
public record StreamPlan(long[] shardRows, long seed, int workers, int batch, int buffer, boolean training)
    implements Serializable {

  public StreamPlan {
    if (workers < 1 || batch < 1 || buffer < 1) {
      throw new IllegalArgumentException("stream plan: workers, batch and buffer must be >= 1");
    }
    long n = Arrays.stream(shardRows).sum();
    if (training && n / workers < batch) {
      throw new IllegalArgumentException("stream plan: " + n + " samples cannot give each of " + workers
          + " workers one batch of " + batch);
    }
    shardRows = shardRows.clone();
  }

  /** A plan over a manifest's shards. */
  public static StreamPlan of(List<Long> shardRows, long seed, int workers, int batch, int buffer,
      boolean training) {
    return new StreamPlan(shardRows.stream().mapToLong(Long::longValue).toArray(), seed, workers, batch, buffer,
        training);
  }

  @Override
  public long[] shardRows() {
    return shardRows.clone();
  }

  public long samples() {
    return Arrays.stream(shardRows).sum();
  }

  long sliceStart(int worker) {
    return worker * samples() / workers;
  }

  long sliceLength(int worker) {
    return (worker + 1) * samples() / workers - sliceStart(worker);
  }

  /** Batches worker w takes in one epoch (the same for all workers when training). */
  public int batchesPerEpoch(int worker) {
    if (training) {
      return (int) ((samples() / workers) / batch);
    }
    return (int) ((sliceLength(worker) + batch - 1) / batch);
  }

  /** Samples worker w takes in one epoch. */
  public long samplesPerEpoch(int worker) {
    return training ? (long) batchesPerEpoch(worker) * batch : sliceLength(worker);
  }

  /** Shard indices in the order the epoch's sequence visits them. */
  public int[] shardOrder(int epoch) {
    int[] p = new int[shardRows.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = i;
    }
    if (training) {
      shuffle(p, new SplittableRandom(mix(seed, epoch, -1, -1)));
    }
    return p;
  }

  /**
   * The stored sample at position {@code p} of worker w's epoch e: {shard index, row in the shard}.
   * {@code ShardStream} caches the window permutation and shard order this recomputes.
   */
  public long[] locate(int epoch, int worker, long p) {
    return new Locator(epoch, worker).locate(p);
  }

  /** Seed of the augmentation of the sample at position p of worker w's epoch e. */
  public long sampleSeed(int epoch, int worker, long p) {
    return mix(seed ^ 0x5DEECE66DL, epoch, worker, p);
  }

  /** Position lookups for one (epoch, worker), caching the current window's permutation. */
  final class Locator {
    private final int epoch;
    private final int worker;
    private final long[] start;
    private final int[] order;
    private final long sliceStart;
    private final long sliceLength;
    private long window = -1;
    private int[] perm;

    Locator(int epoch, int worker) {
      this.epoch = epoch;
      this.worker = worker;
      this.order = shardOrder(epoch);
      this.start = new long[order.length + 1];
      for (int i = 0; i < order.length; i++) {
        start[i + 1] = start[i] + shardRows[order[i]];
      }
      this.sliceStart = sliceStart(worker);
      this.sliceLength = sliceLength(worker);
    }

    long[] locate(long p) {
      if (p < 0 || p >= samplesPerEpoch(worker)) {
        throw new IndexOutOfBoundsException("position " + p + " outside worker " + worker + "'s "
            + samplesPerEpoch(worker) + " samples");
      }
      long inSlice = p;
      if (training) {
        long k = p / buffer;
        if (k != window) {
          int len = (int) Math.min(buffer, sliceLength - k * buffer);
          perm = new int[len];
          for (int i = 0; i < len; i++) {
            perm[i] = i;
          }
          shuffle(perm, new SplittableRandom(mix(seed, epoch, worker, k)));
          window = k;
        }
        inSlice = k * buffer + perm[(int) (p - k * buffer)];
      }
      long q = sliceStart + inSlice;
      int i = Arrays.binarySearch(start, q);
      int s = i >= 0 ? i : -i - 2;
      while (shardRows[order[s]] == 0 || q >= start[s + 1]) {
        s++;
      }
      return new long[] {order[s], q - start[s]};
    }
  }

  private static void shuffle(int[] p, SplittableRandom rng) {
    for (int i = p.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
  }

  /** Stafford's mix13 over the four inputs: independent streams per (seed, epoch, worker, index). */
  static long mix(long seed, long epoch, long worker, long index) {
    long h = seed;
    h = fmix(h ^ (epoch * 0x9E3779B97F4A7C15L));
    h = fmix(h ^ (worker * 0xBF58476D1CE4E5B9L));
    h = fmix(h ^ (index * 0x94D049BB133111EBL));
    return h;
  }

  private static long fmix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StreamPlan p && Arrays.equals(shardRows, p.shardRows) && seed == p.seed
        && workers == p.workers && batch == p.batch && buffer == p.buffer && training == p.training;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(shardRows) * 31 + Long.hashCode(seed) + workers * 7 + batch * 13 + buffer;
  }

  @Override
  public String toString() {
    return "StreamPlan[" + shardRows.length + " shards, " + samples() + " samples, seed " + seed + ", " + workers
        + " workers, batch " + batch + ", buffer " + buffer + (training ? ", training]" : ", evaluation]");
  }
}
