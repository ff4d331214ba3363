package dev.fovea.driver.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CheckerboardTest {

  /** A 4×4 plane from a function of (row, column). */
  private static float[] plane(java.util.function.IntBinaryOperator f, int h, int w, double scale) {
    float[] y = new float[h * w];
    for (int m = 0; m < h; m++) {
      for (int n = 0; n < w; n++) {
        y[m * w + n] = (float) (scale * f.applyAsInt(m, n));
      }
    }
    return y;
  }

  @Test
  void aPeriodTwoPatternIsAllNyquistAndSmoothImagesAlmostNone() {
    // 0.5 + 0.25·(-1)^(m+n): the AC energy is all at (H/2, W/2)
    float[] board = plane((m, n) -> (m + n) % 2 == 0 ? 3 : 1, 6, 6, 0.25);
    assertEquals(1.0, Checkerboard.nyquistShare(board, 0, 6, 6), 1e-12);
    // a row pattern: all at (H/2, 0)
    assertEquals(1.0, Checkerboard.nyquistShare(plane((m, n) -> m % 2, 6, 6, 1), 0, 6, 6), 1e-12);
    // pixels repeated in 2×2 blocks (nearest-neighbour enlargement) cancel at Nyquist exactly
    float[] blocks = plane((m, n) -> (m / 2) * 3 + (n / 2) * (n / 2), 8, 8, 0.05);
    assertEquals(0.0, Checkerboard.nyquistShare(blocks, 0, 8, 8), 1e-12);
    // a constant has no AC energy
    assertTrue(Double.isNaN(Checkerboard.nyquistShare(plane((m, n) -> 1, 4, 4, 0.5), 0, 4, 4)));
    // a ramp: little, not none (its DFT is not band-limited)
    double ramp = Checkerboard.nyquistShare(plane((m, n) -> m + n, 8, 8, 0.05), 0, 8, 8);
    assertTrue(ramp > 0 && ramp < 0.05, "ramp " + ramp);
  }

  @Test
  void flatBlocksMeasureTheVariationInsideAlignedBlocksWhereTheTargetIsFlat() {
    // target: left half flat 0.5, right half a ramp; output: a checkerboard of ±d around the target
    int h = 4;
    int w = 8;
    float[] target = plane((m, n) -> n < 4 ? 50 : 10 * n, h, w, 0.01);
    double d = 3 / 255.0;
    float[] y = new float[h * w];
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) (target[i] + (((i / w) + (i % w)) % 2 == 0 ? d : -d));
    }
    // margin 0, tolerance 0: the blocks at columns 0-1 and 2-3 of both block rows are flat (4 blocks)
    Checkerboard.Flat f = Checkerboard.flatBlocks(y, target, 0, h, w, 0, 1e-6);
    assertEquals(4, f.blocks());
    assertEquals(16, f.values());
    assertEquals(3.0, f.rmsGreyLevels(), 1e-4); // every value deviates by d from its block's mean
    // margin 1: the blocks next to the ramp are no longer flat
    assertEquals(2, Checkerboard.flatBlocks(y, target, 0, h, w, 1, 1e-6).blocks());
    // the target itself varies by nothing inside its flat blocks
    assertEquals(0.0, Checkerboard.flatBlocks(target, target, 0, h, w, 0, 1e-6).rmsGreyLevels(), 1e-9);
    assertEquals(8, f.plus(f).blocks());
    assertTrue(Double.isNaN(Checkerboard.NONE.rmsGreyLevels()));
  }

  @Test
  void theGridPlacesEveryImageWithItsZoom() {
    float[] a = {0, 1, 0.5f, 2};
    float[] b = {1, 1, 1, -1};
    java.awt.image.BufferedImage g = SuperResolutionStudy.grid(List.of(a, b), 1, 2, 2, 3);
    assertEquals(2 * (2 * 3 + 4) + 4, g.getWidth());
    assertEquals(2 * 3 + 8, g.getHeight());
    var r = g.getRaster();
    assertEquals(255, r.getSample(0, 0, 0)); // the white gap
    assertEquals(0, r.getSample(4, 4, 0)); // a(0, 0)
    assertEquals(255, r.getSample(4 + 3, 4, 0)); // a(0, 1)
    assertEquals(128, r.getSample(4, 4 + 3, 0)); // a(1, 0) = 0.5
    assertEquals(255, r.getSample(4 + 5, 4 + 5, 0)); // a(1, 1) = 2, clipped
    assertEquals(0, r.getSample(14 + 5, 4 + 5, 0)); // b(1, 1) = -1, clipped
  }
}
