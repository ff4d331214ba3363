package dev.fovea.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class UpdateRuleTest {

  @Test
  void clipsThenStepsAtTheScheduledRate() {
    UpdateRule rule = new UpdateRule(Sgd.DEFAULTS.withLearningRate(1),
        new LearningRateSchedule.LinearWarmup(4, new LearningRateSchedule.Constant()), GradientClipping.byNorm(1));
    float[] w = {0, 0};
    float[] g = {3, 4};
    double norm = rule.apply(w, g, new float[2], 0);
    assertEquals(5, norm, 0);
    assertEquals(-0.25 * 0.6, w[0], 1e-6); // rate 1 · 1/4, gradient clipped to (0.6, 0.8)
    assertEquals(-0.25 * 0.8, w[1], 1e-6);
  }

  @Test
  void adamSeesOneBasedSteps() {
    UpdateRule rule = UpdateRule.of(Adam.DEFAULTS.withLearningRate(0.1));
    float[] w = {1};
    float[] s = new float[2];
    rule.apply(w, new float[] {0.5f}, s, 0);
    assertEquals(0.9, w[0], 1e-6);
  }

  /**
   * The formula is element-wise: a vector cut into segments (as a backend holds blocked weights
   * apart from the rest) updates bitwise like the whole vector, state blocks included, for every
   * optimizer; with norm clipping the norm is over all segments (here the same sum in the same
   * order, so bitwise too).
   */
  @Test
  void segmentsOfAVectorUpdateLikeTheWholeVector() {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(9);
    int n = 50;
    for (Optimizer o : java.util.List.of(new Sgd(0.1, 0.9, 1e-3), new Nesterov(0.1, 0.9, 1e-3), Adam.DEFAULTS,
        AdamW.DEFAULTS, new RmsProp(0.01, 0.9, 1e-8, 0.5, 1e-3), AdaGrad.DEFAULTS)) {
      for (GradientClipping clip : java.util.List.of(GradientClipping.NONE, GradientClipping.byNorm(0.5),
          GradientClipping.byValue(0.05))) {
        UpdateRule rule = UpdateRule.of(o, clip);
        float[] w = new float[n];
        float[] g = new float[n];
        float[] st = new float[o.stateSize(n)];
        for (int i = 0; i < n; i++) {
          w[i] = (float) rng.nextGaussian();
          g[i] = (float) (rng.nextGaussian() * 0.1);
        }
        for (int i = 0; i < st.length; i++) {
          st[i] = (float) rng.nextDouble(0, 0.01);
        }
        float[] w2 = w.clone();
        float[] g2 = g.clone();
        float[] st2 = st.clone();
        double whole = rule.apply(w, g, st, 6);
        java.util.List<Segment> parts = new java.util.ArrayList<>();
        int[] cuts = {0, 7, 30, n};
        for (int c = 0; c + 1 < cuts.length; c++) {
          int from = cuts[c];
          int len = cuts[c + 1] - from;
          java.nio.FloatBuffer[] blocks = new java.nio.FloatBuffer[o.stateBlocks()];
          for (int j = 0; j < blocks.length; j++) {
            blocks[j] = java.nio.FloatBuffer.wrap(st2, j * n + from, len).slice();
          }
          parts.add(new Segment(java.nio.FloatBuffer.wrap(w2, from, len).slice(),
              java.nio.FloatBuffer.wrap(g2, from, len).slice(), blocks));
        }
        double split = rule.apply(parts, 6);
        assertEquals(whole, split, 0, o + " " + clip + ": the norm over all segments");
        org.junit.jupiter.api.Assertions.assertArrayEquals(w, w2, o + " " + clip);
        org.junit.jupiter.api.Assertions.assertArrayEquals(st, st2, o + " " + clip);
      }
    }
  }

  @Test
  void frozenParametersHaveNoElementWiseUpdate() {
    Frozen f = new Frozen(Adam.DEFAULTS, new java.util.BitSet());
    org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
        () -> f.update(Segment.of(new float[1], new float[1], new float[2], 2), 1, 0.1));
    assertEquals(2, f.stateBlocks());
    assertEquals(0.5, f.withLearningRate(0.5).learningRate());
  }
}
