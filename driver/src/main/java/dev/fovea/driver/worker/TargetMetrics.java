package dev.fovea.driver.worker;

import java.util.Arrays;

/**
 * The metrics of multi-label and segmentation outputs, from counts that add up across workers:
 * per-label F1 and average precision (sigmoid binary cross-entropy), pixel accuracy and
 * intersection over union (per-pixel softmax cross-entropy). Pure functions; {@link Evaluation}
 * gathers the counts.
 */
public final class TargetMetrics {
  private TargetMetrics() {}

  /**
   * F1 of each label, {@code 2·tp / (2·tp + fp + fn)}, from the counts at the decision {@code σ(y) >
   * 0.5} (logit above 0); NaN for a label never predicted nor present.
   */
  public static double[] f1(long[] tp, long[] fp, long[] fn) {
    double[] f = new double[tp.length];
    for (int l = 0; l < f.length; l++) {
      long d = 2 * tp[l] + fp[l] + fn[l];
      f[l] = d == 0 ? Double.NaN : 2.0 * tp[l] / d;
    }
    return f;
  }

  /** The mean of the values that are not NaN (NaN when none is). */
  public static double meanOfDefined(double[] v) {
    double s = 0;
    int n = 0;
    for (double x : v) {
      if (!Double.isNaN(x)) {
        s += x;
        n++;
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }

  /**
   * Average precision of one label over the samples' scores (logits or probabilities: only the
   * order matters) and truths (0 or 1): {@code Σ_n (R_n − R_{n−1}) · P_n} over the distinct scores
   * taken as thresholds from the highest down, tied scores forming one threshold (scikit-learn's
   * {@code average_precision_score}). NaN when the label has no positive sample.
   *
   * @param label which label of the rows {@code scores[i · labels + label]}
   */
  public static double averagePrecision(float[] scores, byte[] truths, int labels, int label) {
    int n = scores.length / labels;
    Integer[] order = new Integer[n];
    int positives = 0;
    for (int i = 0; i < n; i++) {
      order[i] = i;
      positives += truths[i * labels + label] != 0 ? 1 : 0;
    }
    if (positives == 0) {
      return Double.NaN;
    }
    Arrays.sort(order, (a, b) -> Float.compare(scores[b * labels + label], scores[a * labels + label]));
    double ap = 0;
    long tp = 0;
    long seen = 0;
    int i = 0;
    while (i < n) {
      float threshold = scores[order[i] * labels + label];
      long tiedTp = 0;
      while (i < n && Float.compare(scores[order[i] * labels + label], threshold) == 0) {
        tiedTp += truths[order[i] * labels + label] != 0 ? 1 : 0;
        seen++;
        i++;
      }
      tp += tiedTp;
      ap += (double) tiedTp / positives * ((double) tp / seen);
    }
    return ap;
  }

  /** Share of pixels whose predicted class is the mask's: the confusion matrix's trace over its sum. */
  public static double pixelAccuracy(long[] confusion, int classes) {
    long hit = 0;
    long all = 0;
    for (int t = 0; t < classes; t++) {
      for (int p = 0; p < classes; p++) {
        all += confusion[t * classes + p];
      }
      hit += confusion[t * classes + t];
    }
    return all == 0 ? Double.NaN : (double) hit / all;
  }

  /**
   * Intersection over union of each class, {@code C[c][c] / (Σ_p C[c][p] + Σ_t C[t][c] − C[c][c])}
   * over the pixel confusion matrix {@code confusion[truth · classes + predicted]}; NaN for a class
   * neither present nor predicted.
   */
  public static double[] iou(long[] confusion, int classes) {
    double[] iou = new double[classes];
    for (int c = 0; c < classes; c++) {
      long row = 0;
      long col = 0;
      for (int j = 0; j < classes; j++) {
        row += confusion[c * classes + j];
        col += confusion[j * classes + c];
      }
      long union = row + col - confusion[c * classes + c];
      iou[c] = union == 0 ? Double.NaN : (double) confusion[c * classes + c] / union;
    }
    return iou;
  }
}
