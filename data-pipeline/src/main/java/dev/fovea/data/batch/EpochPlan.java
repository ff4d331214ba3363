package dev.fovea.data.batch;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Which samples each worker trains on, in which order, as a pure function of (seed, epoch, number
 * of workers).
 *
 * <p>Worker w of N owns samples {@code [w·n/N, (w+1)·n/N)} of the (globally shuffled) shard order.
 * In each epoch it visits them in an order drawn from ({@code seed}, epoch, w). Every worker takes
 * the same number of batches per epoch, {@code floor(min slice / batch)}; the few samples past that
 * (fewer than one batch per worker) are left out of that epoch. Batches are grouped into rounds of
 * k; the last round of an epoch may hold fewer.
 *
 * @param samples total samples n
 * @param workers N
 * @param batch samples per batch per worker
 * @param stepsPerRound k, batches each worker trains between two averagings
 * @param seed the run's seed
 */
public record EpochPlan(long samples, int workers, int batch, int stepsPerRound, long seed) implements Serializable {

  public EpochPlan {
    if (workers < 1 || batch < 1 || stepsPerRound < 1) {
      throw new IllegalArgumentException("plan: workers, batch and steps per round must be >= 1");
    }
    if (samples / workers < batch) {
      throw new IllegalArgumentException("plan: " + samples + " samples cannot give each of " + workers
          + " workers one batch of " + batch);
    }
  }

  /** First sample of worker w's slice, in shard order. */
  public long sliceStart(int worker) {
    return worker * samples / workers;
  }

  /** One past the last sample of worker w's slice. */
  public long sliceEnd(int worker) {
    return (worker + 1) * samples / workers;
  }

  public int batchesPerEpoch() {
    return (int) ((samples / workers) / batch);
  }

  public int roundsPerEpoch() {
    return (batchesPerEpoch() + stepsPerRound - 1) / stepsPerRound;
  }

  /** Batches trained in round {@code r} of an epoch (k, or fewer in the last round). */
  public int stepsInRound(int roundInEpoch) {
    return Math.min(stepsPerRound, batchesPerEpoch() - roundInEpoch * stepsPerRound);
  }

  /** The order in which worker w visits its slice (indices into the slice) in epoch e. */
  public int[] order(int epoch, int worker) {
    int n = (int) (sliceEnd(worker) - sliceStart(worker));
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    long mixed = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + worker * 0x94D049BB133111EBL;
    SplittableRandom rng = new SplittableRandom(mixed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
