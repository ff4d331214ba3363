package dev.fovea.driver.worker;

import dev.fovea.data.batch.Batch;
import dev.fovea.data.stream.ShardStream;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.Loss;
import dev.fovea.nn.Network;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A forward pass over a worker's slice of the test set, streamed through an evaluation plan (shards
 * in order, nothing shuffled or dropped) and a validation transform: every sample of the slice
 * counted exactly once. Results add up across workers: loss, top-1 and top-5 hits, and the confusion matrix
 * ({@code confusion[truth · classes + predicted]}), from which per-class accuracy follows; and the
 * {@link #MISTAKES} most confidently misclassified samples, with their pixels, for the report.
 *
 * <p>A network trained towards target tensors (a loss other than softmax cross-entropy: images,
 * float vectors) is measured instead by the errors of its outputs against the targets: {@link
 * #mse()}, {@link #mae()} and {@link #psnr()}; {@link #loss} names the loss, {@link #accuracy()}
 * is NaN. A multi-label network (sigmoid binary cross-entropy) is measured by per-label F1 at
 * {@code σ(y) > 0.5} and mean average precision ({@link #f1PerLabel()}, {@link #meanAveragePrecision()}),
 * a segmentation network (per-pixel softmax cross-entropy) by pixel accuracy and mean intersection
 * over union ({@link #pixelAccuracy()}, {@link #meanIou()}).
 */
public final class Evaluation implements Serializable {
  private static final long serialVersionUID = 1L;
  public double lossSum;
  public long correct;
  public long top5;
  public long count;
  public int classes;
  public long[] confusion;
  /** The most confident mistakes, most confident first; at most {@link #MISTAKES}. */
  public Mistake[] mistakes = new Mistake[0];
  /** The network's loss ({@code Loss.id()}): which metrics fit. */
  public String loss = Loss.SOFTMAX_CROSS_ENTROPY.id();
  /** Target networks: Σ (output - target)² over every value of every sample. */
  public double squaredErrorSum;
  /** Target networks: Σ |output - target|. */
  public double absoluteErrorSum;
  /** Target networks: the number of values those sums run over (samples × values per sample). */
  public long values;
  /** Multi-label networks: the labels K, and per label the true and false positives and false negatives. */
  public int labels;
  public long[] labelTp;
  public long[] labelFp;
  public long[] labelFn;
  /**
   * Multi-label networks: every sample's logits {@code (N, K)} and its 0/1 targets, for average
   * precision (which ranks the whole set): 5 bytes per label and sample.
   */
  public float[] scores;
  public byte[] truths;
  /** Segmentation networks: the classes K and the pixels' confusion {@code [truth · K + predicted]}. */
  public int maskClasses;
  public long[] pixelConfusion;

  /** Mistakes kept per evaluation: a report's grid; a few kilobytes each at most. */
  public static final int MISTAKES = 16;

  /** Longest side of a mistake's stored picture; larger inputs are subsampled to it. */
  static final int MISTAKE_SIDE = 64;

  /**
   * A misclassified test sample: its network input (normalised, subsampled to at most {@link
   * #MISTAKE_SIDE} a side), its true and predicted class and the predicted class's probability.
   * Ordered by confidence, then by where it lies in the test set, so merging is deterministic.
   */
  public static final class Mistake implements Serializable {
    private static final long serialVersionUID = 1L;
    public int truth;
    public int predicted;
    public float confidence;
    /** The worker whose slice holds the sample and its position there: a stable order. */
    public int worker;
    public long position;
    public int channels;
    public int height;
    public int width;
    /** {@code (C, H, W)}, the normalised input as the network saw it. */
    public float[] pixels;

    /** For Kryo. */
    public Mistake() {}

    static final Comparator<Mistake> MOST_CONFIDENT = Comparator.comparingDouble((Mistake m) -> -m.confidence)
        .thenComparingInt(m -> m.worker).thenComparingLong(m -> m.position);
  }

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
    e.loss = loss;
    e.squaredErrorSum = squaredErrorSum + o.squaredErrorSum;
    e.absoluteErrorSum = absoluteErrorSum + o.absoluteErrorSum;
    e.values = values + o.values;
    e.labels = Math.max(labels, o.labels);
    e.labelTp = add(labelTp, o.labelTp);
    e.labelFp = add(labelFp, o.labelFp);
    e.labelFn = add(labelFn, o.labelFn);
    e.scores = scores == null ? o.scores : o.scores == null ? scores : concat(scores, o.scores);
    e.truths = truths == null ? o.truths : o.truths == null ? truths : concat(truths, o.truths);
    e.maskClasses = Math.max(maskClasses, o.maskClasses);
    e.pixelConfusion = add(pixelConfusion, o.pixelConfusion);
    for (int i = 0; i < confusion.length; i++) {
      e.confusion[i] = confusion[i] + o.confusion[i];
    }
    List<Mistake> all = new ArrayList<>(List.of(mistakes));
    all.addAll(List.of(o.mistakes));
    e.mistakes = top(all);
    return e;
  }

  private static long[] add(long[] a, long[] b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    long[] s = a.clone();
    for (int i = 0; i < s.length; i++) {
      s[i] += b[i];
    }
    return s;
  }

  private static float[] concat(float[] a, float[] b) {
    float[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
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

  private static Mistake[] top(List<Mistake> candidates) {
    candidates.sort(Mistake.MOST_CONFIDENT);
    return candidates.subList(0, Math.min(MISTAKES, candidates.size())).toArray(new Mistake[0]);
  }

  public double accuracy() {
    return count == 0 || !classTargets() ? Double.NaN : (double) correct / count;
  }

  /** Whether this evaluates class predictions (accuracy), not outputs against target tensors. */
  public boolean classTargets() {
    return Loss.parse(loss).readsLabels();
  }

  /** Mean squared error over every output value (target networks; NaN for class networks). */
  public double mse() {
    return values == 0 ? Double.NaN : squaredErrorSum / values;
  }

  /** Mean absolute error over every output value (target networks; NaN for class networks). */
  public double mae() {
    return values == 0 ? Double.NaN : absoluteErrorSum / values;
  }

  /**
   * Peak signal-to-noise ratio in dB of outputs against targets whose values span [0, 1] (image
   * targets): {@code 10 · log10(1 / mse())}, the MSE taken over the whole set.
   */
  public double psnr() {
    return 10 * Math.log10(1 / mse());
  }

  /** Multi-label: F1 of each label at {@code σ(y) > 0.5} (NaN for a label never present nor predicted). */
  public double[] f1PerLabel() {
    return labelTp == null ? new double[0] : TargetMetrics.f1(labelTp, labelFp, labelFn);
  }

  /** Multi-label: the mean of {@link #f1PerLabel()} (macro F1). */
  public double meanF1() {
    return TargetMetrics.meanOfDefined(f1PerLabel());
  }

  /** Multi-label: average precision of each label over the whole set (NaN for a label with no positive). */
  public double[] averagePrecisionPerLabel() {
    double[] ap = new double[labels];
    for (int l = 0; l < labels; l++) {
      ap[l] = TargetMetrics.averagePrecision(scores, truths, labels, l);
    }
    return ap;
  }

  /** Multi-label: the mean of {@link #averagePrecisionPerLabel()} (mAP). */
  public double meanAveragePrecision() {
    return TargetMetrics.meanOfDefined(averagePrecisionPerLabel());
  }

  /** Segmentation: the share of pixels classified as their mask says. */
  public double pixelAccuracy() {
    return pixelConfusion == null ? Double.NaN : TargetMetrics.pixelAccuracy(pixelConfusion, maskClasses);
  }

  /** Segmentation: intersection over union of each class (NaN for one neither present nor predicted). */
  public double[] iouPerClass() {
    return pixelConfusion == null ? new double[0] : TargetMetrics.iou(pixelConfusion, maskClasses);
  }

  /** Segmentation: the mean of {@link #iouPerClass()} (mIoU). */
  public double meanIou() {
    return TargetMetrics.meanOfDefined(iouPerClass());
  }

  /**
   * The metrics that fit the loss, as JSON fields: {@code test_accuracy} and {@code
   * test_top5_accuracy} for classes; {@code test_f1} (the mean over labels), {@code
   * test_f1_per_label} and {@code test_map} for multi-label outputs; {@code test_pixel_accuracy},
   * {@code test_mean_iou} and {@code test_iou_per_class} for segmentation; {@code test_mse}, {@code
   * test_mae} and {@code test_psnr} for other target tensors.
   */
  public void putMetrics(com.fasterxml.jackson.databind.node.ObjectNode o) {
    switch (Loss.parse(loss)) {
      case SOFTMAX_CROSS_ENTROPY -> {
        o.put("test_accuracy", accuracy());
        o.put("test_top5_accuracy", top5Accuracy());
      }
      case SIGMOID_BCE -> {
        o.put("test_f1", meanF1());
        com.fasterxml.jackson.databind.node.ArrayNode a = o.putArray("test_f1_per_label");
        for (double f : f1PerLabel()) {
          a.add(f);
        }
        o.put("test_map", meanAveragePrecision());
      }
      case PIXEL_SOFTMAX_CROSS_ENTROPY -> {
        o.put("test_pixel_accuracy", pixelAccuracy());
        o.put("test_mean_iou", meanIou());
        com.fasterxml.jackson.databind.node.ArrayNode a = o.putArray("test_iou_per_class");
        for (double f : iouPerClass()) {
          a.add(f);
        }
      }
      default -> {
        o.put("test_mse", mse());
        o.put("test_mae", mae());
        o.put("test_psnr", psnr());
      }
    }
  }

  /**
   * One line of the metrics that fit: {@code accuracy 0.9012 · top-5 0.9981}, {@code F1 0.91
   * (0.95 0.88) · mAP 0.96}, {@code pixel accuracy 0.97 · mean IoU 0.93} or {@code MSE ... · PSNR
   * ... dB}.
   */
  public String metricsLine() {
    return switch (Loss.parse(loss)) {
      case SOFTMAX_CROSS_ENTROPY -> String.format("accuracy %.4f · top-5 %.4f", accuracy(), top5Accuracy());
      case SIGMOID_BCE -> String.format("F1 %.4f (per label %s) · mAP %.4f", meanF1(), fixed(f1PerLabel()),
          meanAveragePrecision());
      case PIXEL_SOFTMAX_CROSS_ENTROPY -> String.format("pixel accuracy %.4f · mean IoU %.4f (per class %s)",
          pixelAccuracy(), meanIou(), fixed(iouPerClass()));
      default -> String.format("MSE %.6f · MAE %.6f · PSNR %.2f dB", mse(), mae(), psnr());
    };
  }

  private static String fixed(double[] v) {
    StringBuilder b = new StringBuilder();
    for (double x : v) {
      b.append(b.length() == 0 ? "" : " ").append(String.format("%.3f", x));
    }
    return b.toString();
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
    e.loss = net.loss().id();
    if (!net.loss().readsLabels()) {
      return e.errors(net, data, backend, threads, params, buffers, worker);
    }
    List<Mistake> mistakes = new ArrayList<>();
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
          if (best != truth) {
            float confidence = (float) probs.get(i * k + best);
            if (mistakes.size() < MISTAKES || confidence > mistakes.get(mistakes.size() - 1).confidence) {
              mistakes.add(mistake(x.images(), i, truth, best, confidence, worker, e.count + i));
              mistakes.sort(Mistake.MOST_CONFIDENT);
              if (mistakes.size() > MISTAKES) {
                mistakes.remove(MISTAKES);
              }
            }
          }
        }
        e.count += size;
        stream.recycle(x);
      }
    } finally {
      WorkerRuntime.release(backend, threads, b);
    }
    e.mistakes = mistakes.toArray(new Mistake[0]);
    return e;
  }

  /** Outputs against targets: the loss, squared and absolute errors over the worker's slice. */
  private Evaluation errors(Network net, ShardInput data, String backend, int threads, float[] params,
      float[] buffers, int worker) {
    Backend b = WorkerRuntime.borrow(backend, threads);
    try (ShardStream stream = data.open(0, worker, 0, Long.MAX_VALUE)) {
      while (stream.hasNext()) {
        Batch x = stream.next();
        Tensor out = net.forward(b, params, buffers, x.images());
        Tensor t = x.targets();
        Loss l = net.loss();
        if (t == null || !t.shape().equals(l.targetShape(net.outputShape()).prepend(x.size()))) {
          throw new IllegalArgumentException("the network gives outputs of " + out.shape() + " (loss " + l.id()
              + "), the test set's targets are " + (t == null ? "classes" : "of " + t.shape()));
        }
        lossSum += l.lossAndGradient(b, out, x.labels(), t, 1, Tensor.zeros(out.shape()));
        switch (l) {
          case SIGMOID_BCE -> countLabels(out, t);
          case PIXEL_SOFTMAX_CROSS_ENTROPY -> countPixels(out, t);
          default -> {
            squaredErrorSum += b.squaredErrorForward(out, t);
            absoluteErrorSum += b.absoluteErrorForward(out, t);
            values += out.size();
          }
        }
        count += x.size();
        stream.recycle(x);
      }
    } finally {
      WorkerRuntime.release(backend, threads, b);
    }
    return this;
  }

  /** Multi-label outputs {@code (N, K)} against 0/1 targets: the counts at logit > 0, and the scores. */
  private void countLabels(Tensor out, Tensor t) {
    int n = out.shape().dim(0);
    int k = out.size() / n;
    if (labelTp == null) {
      labels = k;
      labelTp = new long[k];
      labelFp = new long[k];
      labelFn = new long[k];
      scores = new float[0];
      truths = new byte[0];
    }
    int at = scores.length;
    scores = Arrays.copyOf(scores, at + n * k);
    truths = Arrays.copyOf(truths, at + n * k);
    for (int i = 0; i < n * k; i++) {
      boolean predicted = out.get(i) > 0;
      boolean truth = t.get(i) > 0.5;
      int l = i % k;
      labelTp[l] += predicted && truth ? 1 : 0;
      labelFp[l] += predicted && !truth ? 1 : 0;
      labelFn[l] += !predicted && truth ? 1 : 0;
      scores[at + i] = (float) out.get(i);
      truths[at + i] = (byte) (truth ? 1 : 0);
    }
  }

  /** Segmentation outputs {@code (N, K, H, W)} against masks {@code (N, H, W)}: the pixels' confusion. */
  private void countPixels(Tensor out, Tensor t) {
    int n = out.shape().dim(0);
    int k = out.shape().dim(1);
    int hw = out.size() / (n * k);
    if (pixelConfusion == null) {
      maskClasses = k;
      pixelConfusion = new long[k * k];
    }
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < hw; p++) {
        int best = 0;
        for (int c = 1; c < k; c++) {
          if (out.get((i * k + c) * hw + p) > out.get((i * k + best) * hw + p)) {
            best = c;
          }
        }
        pixelConfusion[(int) t.get(i * hw + p) * k + best]++;
      }
    }
  }

  /** Sample {@code i} of {@code images (N, C, H, W)}, every s-th pixel so that no side exceeds the limit. */
  private static Mistake mistake(Tensor images, int i, int truth, int predicted, float confidence, int worker,
      long position) {
    int c = images.shape().dim(1);
    int h = images.shape().dim(2);
    int w = images.shape().dim(3);
    int step = (Math.max(h, w) + MISTAKE_SIDE - 1) / MISTAKE_SIDE;
    Mistake m = new Mistake();
    m.truth = truth;
    m.predicted = predicted;
    m.confidence = confidence;
    m.worker = worker;
    m.position = position;
    m.channels = c;
    m.height = (h + step - 1) / step;
    m.width = (w + step - 1) / step;
    m.pixels = new float[c * m.height * m.width];
    int o = 0;
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y += step) {
        for (int x = 0; x < w; x += step) {
          m.pixels[o++] = (float) images.get(((i * c + ch) * h + y) * w + x);
        }
      }
    }
    return m;
  }
}
