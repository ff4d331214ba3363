package dev.fovea.driver.worker;

import dev.fovea.data.batch.Batch;
import dev.fovea.data.batch.Normalizer;
import dev.fovea.data.shard.SampleBlock;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.Network;
import java.io.Serializable;

/**
 * A forward pass over a worker's slice of the test set: every sample of the slice counted exactly
 * once. Results add up across workers.
 */
public final class Evaluation implements Serializable {
  private static final long serialVersionUID = 1L;
  public double lossSum;
  public long correct;
  public long count;

  /** Combines two partial results. */
  public Evaluation merge(Evaluation o) {
    Evaluation e = new Evaluation();
    e.lossSum = lossSum + o.lossSum;
    e.correct = correct + o.correct;
    e.count = count + o.count;
    return e;
  }

  public double accuracy() {
    return count == 0 ? Double.NaN : (double) correct / count;
  }

  public double meanLoss() {
    return count == 0 ? Double.NaN : lossSum / count;
  }

  /** Evaluates {@code params} on every sample of {@code slice} in batches of {@code batch}. */
  public static Evaluation run(String model, int classes, Normalizer normalizer, String backend, int threads,
      float[] params, SampleBlock slice, int batch) {
    Network net = WorkerRuntime.network(model, normalizer.sampleShape(), classes);
    int n = slice.count();
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Evaluation e = new Evaluation();
    Backend b = WorkerRuntime.borrow(backend, threads);
    try {
      for (int from = 0; from < n; from += batch) {
        int size = Math.min(batch, n - from);
        Batch x = normalizer.batch(slice, order, from, size);
        Tensor logits = net.forward(b, params, x.images());
        Tensor probs = Tensor.zeros(logits.shape());
        e.lossSum += b.softmaxCrossEntropyForward(logits, x.labels(), probs);
        int k = logits.shape().dim(1);
        for (int i = 0; i < size; i++) {
          int best = 0;
          for (int j = 1; j < k; j++) {
            if (logits.get(i * k + j) > logits.get(i * k + best)) {
              best = j;
            }
          }
          if (best == x.labels()[i]) {
            e.correct++;
          }
        }
        e.count += size;
      }
    } finally {
      WorkerRuntime.release(backend, threads, b);
    }
    return e;
  }
}
