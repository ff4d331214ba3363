package dev.fovea.driver.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.nn.Loss;
import org.junit.jupiter.api.Test;

/** Per-label F1, average precision, pixel accuracy and IoU by hand, and their merge across workers. */
class TargetMetricsTest {

  @Test
  void f1PerLabelByHand() {
    // label 0: tp 3, fp 1, fn 2 -> 6 / 9; label 1: never present nor predicted -> NaN
    double[] f = TargetMetrics.f1(new long[] {3, 0}, new long[] {1, 0}, new long[] {2, 0});
    assertEquals(6.0 / 9, f[0], 1e-15);
    assertTrue(Double.isNaN(f[1]));
    assertEquals(6.0 / 9, TargetMetrics.meanOfDefined(f), 1e-15);
  }

  @Test
  void averagePrecisionAsScikitLearnComputesIt() {
    // one label: scores 0.9 0.8 0.7 0.6, truths 1 0 1 0 -> 0.5 · 1 + 0.5 · 2/3 (sklearn: 0.8333)
    float[] s = {0.9f, 0.8f, 0.7f, 0.6f};
    byte[] t = {1, 0, 1, 0};
    assertEquals(0.5 + 0.5 * 2 / 3.0, TargetMetrics.averagePrecision(s, t, 1, 0), 1e-15);
    // tied scores are one threshold: 0.5 whatever order the rows come in
    assertEquals(0.5, TargetMetrics.averagePrecision(new float[] {2, 2}, new byte[] {1, 0}, 1, 0), 1e-15);
    assertEquals(0.5, TargetMetrics.averagePrecision(new float[] {2, 2}, new byte[] {0, 1}, 1, 0), 1e-15);
    // two labels interleaved: label 1 ranks its only positive first
    float[] two = {0.1f, 5, 0.2f, 1};
    byte[] tt = {0, 1, 1, 0};
    assertEquals(1.0, TargetMetrics.averagePrecision(two, tt, 2, 0), 1e-15);
    assertEquals(1.0, TargetMetrics.averagePrecision(two, tt, 2, 1), 1e-15);
    assertTrue(Double.isNaN(TargetMetrics.averagePrecision(s, new byte[4], 1, 0)));
  }

  @Test
  void pixelAccuracyAndIouByHand() {
    // truth x predicted: background 6 right, 2 called object; object 1 called background, 3 right
    long[] c = {6, 2, 1, 3};
    assertEquals(9.0 / 12, TargetMetrics.pixelAccuracy(c, 2), 1e-15);
    assertArrayEquals(new double[] {6.0 / 9, 3.0 / 6}, TargetMetrics.iou(c, 2), 1e-15);
  }

  private static Evaluation segmentation(long... confusion) {
    Evaluation e = new Evaluation(2);
    e.loss = Loss.PIXEL_SOFTMAX_CROSS_ENTROPY.id();
    e.maskClasses = 2;
    e.pixelConfusion = confusion;
    e.count = 1;
    return e;
  }

  @Test
  void segmentationMergesAndReportsItsMetrics() {
    Evaluation e = segmentation(4, 2, 0, 1).merge(segmentation(2, 0, 1, 2));
    assertEquals(0.75, e.pixelAccuracy(), 1e-15);
    assertEquals((6.0 / 9 + 3.0 / 6) / 2, e.meanIou(), 1e-15);
    ObjectNode o = new ObjectMapper().createObjectNode();
    e.putMetrics(o);
    assertEquals(0.75, o.get("test_pixel_accuracy").asDouble(), 1e-15);
    assertTrue(!o.has("test_accuracy") && !o.has("test_mse"), o.toString());
    assertTrue(e.metricsLine().startsWith("pixel accuracy 0.7500 · mean IoU 0.5833"), e.metricsLine());
    // an empty worker (no test sample in its slice) merges either way
    assertEquals(0.75, new Evaluation(2).merge(e).pixelAccuracy(), 1e-15);
  }

  private static Evaluation multiLabel(float[] scores, byte[] truths) {
    Evaluation e = new Evaluation(2);
    e.loss = Loss.SIGMOID_BCE.id();
    e.labels = 2;
    e.scores = scores;
    e.truths = truths;
    e.labelTp = new long[2];
    e.labelFp = new long[2];
    e.labelFn = new long[2];
    for (int i = 0; i < scores.length; i++) {
      boolean p = scores[i] > 0;
      boolean t = truths[i] != 0;
      e.labelTp[i % 2] += p && t ? 1 : 0;
      e.labelFp[i % 2] += p && !t ? 1 : 0;
      e.labelFn[i % 2] += !p && t ? 1 : 0;
    }
    return e;
  }

  @Test
  void multiLabelMergesAndReportsF1AndMap() {
    Evaluation a = multiLabel(new float[] {2, -1, -3, 4}, new byte[] {1, 0, 0, 1});
    Evaluation b = multiLabel(new float[] {1, 1, -2, -1}, new byte[] {0, 1, 1, 1});
    Evaluation e = a.merge(b);
    // label 0: tp 1 (2), fp 1 (1), fn 1 (-2) -> 2/4; label 1: tp 2 (4, 1), fn 1 (-1) -> 4/5
    assertArrayEquals(new double[] {0.5, 0.8}, e.f1PerLabel(), 1e-15);
    // label 0 ranks 2(1) 1(0) -2(1) -3(0): AP = 1/2 · 1 + 1/2 · 2/3; label 1 ranks 4(1) 1(1), then -1
    // twice (0 and 1) as one threshold: 1/3 · 1 + 1/3 · 1 + 1/3 · 3/4
    assertEquals(5.0 / 6, e.averagePrecisionPerLabel()[0], 1e-15);
    assertEquals(11.0 / 12, e.averagePrecisionPerLabel()[1], 1e-15);
    assertEquals(b.merge(a).meanAveragePrecision(), e.meanAveragePrecision(), 0, "merge order");
    ObjectNode o = new ObjectMapper().createObjectNode();
    e.putMetrics(o);
    assertEquals(0.65, o.get("test_f1").asDouble(), 1e-15);
    assertEquals(0.875, o.get("test_map").asDouble(), 1e-15);
    assertEquals(2, o.get("test_f1_per_label").size());
    assertEquals("F1 0.6500 (per label 0.500 0.800) · mAP 0.8750", e.metricsLine());
  }
}
