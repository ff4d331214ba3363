package dev.fovea.driver.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Merging evaluations keeps the most confident mistakes, whatever order Spark combines them in. */
class EvaluationTest {

  private static Evaluation worker(int worker, float... confidences) {
    Evaluation e = new Evaluation(3);
    List<Evaluation.Mistake> ms = new ArrayList<>();
    for (int i = 0; i < confidences.length; i++) {
      Evaluation.Mistake m = new Evaluation.Mistake();
      m.confidence = confidences[i];
      m.worker = worker;
      m.position = i;
      m.truth = 0;
      m.predicted = 1;
      ms.add(m);
    }
    ms.sort(Evaluation.Mistake.MOST_CONFIDENT);
    e.mistakes = ms.toArray(new Evaluation.Mistake[0]);
    return e;
  }

  private static String keys(Evaluation e) {
    StringBuilder b = new StringBuilder();
    for (Evaluation.Mistake m : e.mistakes) {
      b.append(m.confidence).append('@').append(m.worker).append(':').append(m.position).append(' ');
    }
    return b.toString();
  }

  @Test
  void mergeKeepsTheMostConfidentMistakesInAStableOrder() {
    Random r = new Random(3);
    Evaluation[] workers = new Evaluation[4];
    List<Float> all = new ArrayList<>();
    for (int w = 0; w < workers.length; w++) {
      float[] c = new float[12];
      for (int i = 0; i < c.length; i++) {
        c[i] = i % 4 == 0 ? 0.9f : 0.8f * r.nextFloat(); // 12 ties at the top, broken by worker, position
        all.add(c[i]);
      }
      workers[w] = worker(w, c);
    }
    Evaluation forward = workers[0].merge(workers[1]).merge(workers[2]).merge(workers[3]);
    Evaluation tree = workers[3].merge(workers[1]).merge(workers[2].merge(workers[0]));
    assertEquals(Evaluation.MISTAKES, forward.mistakes.length);
    assertEquals(keys(forward), keys(tree), "the same mistakes in the same order, whatever the merge order");
    all.sort((a, b) -> Float.compare(b, a));
    float[] expected = new float[Evaluation.MISTAKES];
    float[] got = new float[Evaluation.MISTAKES];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = all.get(i);
      got[i] = forward.mistakes[i].confidence;
    }
    assertArrayEquals(expected, got, "the 16 highest confidences of all workers, most confident first");
    assertEquals(0, forward.mistakes[0].worker, "ties: the lower worker first");
    assertEquals(3, forward.mistakes[11].worker);
    assertEquals(8, forward.mistakes[11].position, "then the earlier position");
  }

  /** Target networks: errors add up across workers, and PSNR follows from the whole set's MSE. */
  @Test
  void errorsMergeAndGiveMsePsnrAndNoAccuracy() {
    Evaluation a = new Evaluation(10);
    a.loss = "mse";
    a.squaredErrorSum = 3;
    a.absoluteErrorSum = 20;
    a.values = 200;
    a.count = 2;
    Evaluation b = new Evaluation(10);
    b.loss = "mse";
    b.squaredErrorSum = 1;
    b.absoluteErrorSum = 20;
    b.values = 200;
    b.count = 2;
    Evaluation e = a.merge(b);
    assertEquals(0.01, e.mse(), 1e-15);
    assertEquals(0.1, e.mae(), 1e-15);
    assertEquals(20, e.psnr(), 1e-12); // 10 log10(1 / 0.01)
    assertTrue(Double.isNaN(e.accuracy()));
    assertEquals("MSE 0.010000 · MAE 0.100000 · PSNR 20.00 dB", e.metricsLine());
    com.fasterxml.jackson.databind.node.ObjectNode o = new com.fasterxml.jackson.databind.ObjectMapper()
        .createObjectNode();
    e.putMetrics(o);
    assertEquals("{\"test_mse\":0.01,\"test_mae\":0.1,\"test_psnr\":20.0}", o.toString());
    Evaluation classes = new Evaluation(10);
    classes.count = 4;
    classes.correct = 3;
    classes.top5 = 4;
    o = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    classes.putMetrics(o);
    assertEquals("{\"test_accuracy\":0.75,\"test_top5_accuracy\":1.0}", o.toString());
  }
}
