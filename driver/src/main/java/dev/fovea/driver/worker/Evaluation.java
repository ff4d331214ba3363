package dev.fovea.driver.worker;

import dev.fovea.data.batch.Batch;
import dev.fovea.data.stream.ShardStream;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.Network;
import java.io.Serializable;

/**
 * A forward pass over a worker's slice of the test set, streamed through an evaluation plan (shards
 * in order, nothing shuffled or dropped) and a validation transform: every sample of the slice
 * counted exactly once. Results add up across workers: loss, top-1 and top-5 hits, and the confusion matrix
 * ({@code confusion[truth · classes + predicted]}), from which per-class accuracy follows.
 */
public final class Evaluation implements Serializable {
  private static final long serialVersionUID = 1L;
  public double lossSum;
  public long correct;
  public long top5;
  public long count;
  public int classes;
  public long[] confusion;

  /** For Kryo. */
  public Evaluation() {}

  Evaluation(int classes) {
    this.classes = classes;
    this.confusion = new long[classes * classes];
  }

  /** Combines two partial results. */
  public Evaluation merge(Evaluation o) {
    Evaluation e = new Evaluation(classes);
    e.lossSum = lossSum + o.lossSum;
    e.correct = correct + o.correct;
    e.top5 = top5 + o.top5;
    e.count = count + o.count;
    for (int i = 0; i < confusion.length; i++) {
      e.confusion[i] = confusion[i] + o.confusion[i];
    }
    return e;
  }

  /** Share of samples whose true class is among the 5 highest logits (all of them when classes ≤ 5). */
  public double top5Accuracy() {
    return count == 0 ? Double.NaN : (double) top5 / count;
  }

  /** Accuracy on the samples of each true class (NaN for a class with no sample). */
  public double[] perClassAccuracy() {
    double[] a = new double[classes];
    for (int t = 0; t < classes; t++) {
      long total = 0;
      for (int p = 0; p < classes; p++) {
        total += confusion[t * classes + p];
      }
      a[t] = total == 0 ? Double.NaN : (double) confusion[t * classes + t] / total;
    }
    return a;
  }

  public double accuracy() {
    return count == 0 ? Double.NaN : (double) correct / count;
  }

  public double meanLoss() {
    return count == 0 ? Double.NaN : lossSum / count;
  }

  /**
   * Evaluates {@code params} on every sample of worker {@code worker}'s slice of {@code data}, whose
   * plan must be an evaluation plan; batches are the plan's.
   */
  public static Evaluation run(String model, int classes, ShardInput data, String backend, int threads,
      float[] params, float[] buffers, int worker) {
    if (data.plan().training()) {
      throw new IllegalArgumentException("evaluation needs an evaluation plan, not " + data.plan());
    }
    Network net = WorkerRuntime.network(model, data.sampleShape(), classes);
    Evaluation e = new Evaluation(classes);
    Backend b = WorkerRuntime.borrow(backend, threads);
    try (ShardStream stream = data.open(0, worker, 0, Long.MAX_VALUE)) {
      while (stream.hasNext()) {
        Batch x = stream.next();
        int size = x.size();
        Tensor logits = net.forward(b, params, buffers, x.images());
        Tensor probs = Tensor.zeros(logits.shape());
        e.lossSum += b.softmaxCrossEntropyForward(logits, x.labels(), probs);
        int k = logits.shape().dim(1);
        for (int i = 0; i < size; i++) {
          int truth = x.labels()[i];
          int best = 0;
          int above = 0;
          double mine = logits.get(i * k + truth);
          for (int j = 0; j < k; j++) {
            double v = logits.get(i * k + j);
            if (v > logits.get(i * k + best)) {
              best = j;
            }
            if (v > mine || v == mine && j < truth) {
              above++;
            }
          }
          if (best == truth) {
            e.correct++;
          }
          if (above < 5) {
            e.top5++;
          }
          e.confusion[truth * k + best]++;
        }
        e.count += size;
        stream.recycle(x);
      }
    } finally {
      WorkerRuntime.release(backend, threads, b);
    }
    return e;
  }
}
