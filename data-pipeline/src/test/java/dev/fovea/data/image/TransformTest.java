package dev.fovea.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.Images;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The transforms against hand-computed values on real images. */
class TransformTest {
  static final List<Double> ZERO = List.of(0.0);
  static final List<Double> UNIT = List.of(1 / 255.0);

  /** With mean 0 and std 1/255 the output is the pixel value itself. */
  static float[] run(Transform t, Image img, long seed) {
    float[] out = new float[t.sampleSize()];
    t.apply(img, new SplittableRandom(seed), out, 0);
    return out;
  }

  @Test
  void resizeToTheSameSizeCopiesAndNormalises() {
    Image g = Images.grey(0);
    float[] out = run(Transform.resize(28, 28, ZERO, UNIT), g, 1);
    for (int k = 0; k < 784; k++) {
      assertEquals(g.pixels()[k] & 0xff, out[k], 1e-3);
    }
    float[] norm = run(Transform.resize(28, 28, List.of(0.5), List.of(0.25)), g, 1);
    assertEquals(((g.pixels()[300] & 0xff) / 255.0 - 0.5) / 0.25, norm[300], 1e-5);
  }

  @Test
  void halvingAveragesTwoByTwoBlocksLikePyTorchBilinear() {
    Image g = Images.grey(1);
    float[] out = run(Transform.resize(14, 14, ZERO, UNIT), g, 1);
    for (int i = 0; i < 14; i++) {
      for (int j = 0; j < 14; j++) {
        double avg = (g.get(0, 2 * i, 2 * j) + g.get(0, 2 * i, 2 * j + 1) + g.get(0, 2 * i + 1, 2 * j)
            + g.get(0, 2 * i + 1, 2 * j + 1)) / 4.0;
        assertEquals(avg, out[i * 14 + j], 1e-3);
      }
    }
  }

  @Test
  void planarAndInterleavedImagesGiveTheSameOutput() {
    Image rgb = Images.rgb(2, 50, 40, 5);
    Transform t = Transform.resizeCenterCrop(36, 32, List.of(0.4, 0.5, 0.6), List.of(0.2, 0.25, 0.3));
    assertArrayEquals(run(t, rgb, 3), run(t, rgb.toPlanar(), 3));
  }

  @Test
  void centreCropOfAResizedImageIsTheMiddle() {
    Image rgb = Images.rgb(4, 64, 48, 0);
    // shorter side 48 -> 48 (no scaling), centre 32x32 = pixels [8, 40) x [16, 48)
    float[] out = run(Transform.resizeCenterCrop(48, 32, List.of(0.0, 0.0, 0.0), List.of(1 / 255.0, 1 / 255.0,
        1 / 255.0)), rgb, 0);
    for (int c = 0; c < 3; c++) {
      assertEquals(rgb.get(c, 8, 16), out[c * 1024], 1e-3);
      assertEquals(rgb.get(c, 39, 47), out[c * 1024 + 1023], 1e-3);
    }
  }

  @Test
  void padRandomCropShiftsWithinThePaddingAndFlips() {
    Image g = Images.grey(3);
    Transform t = Transform.padRandomCrop(28, 28, 4, ZERO, UNIT);
    int flipped = 0;
    for (long s = 0; s < 200; s++) {
      float[] out = run(t, g, s);
      SplittableRandom r = new SplittableRandom(s);
      int dx = r.nextInt(9) - 4;
      int dy = r.nextInt(9) - 4;
      boolean flip = r.nextBoolean();
      flipped += flip ? 1 : 0;
      for (int i = 0; i < 28; i++) {
        for (int j = 0; j < 28; j++) {
          int x = dx + (flip ? 27 - j : j);
          int y = dy + i;
          int v = x < 0 || y < 0 || x >= 28 || y >= 28 ? 0 : g.get(0, y, x);
          assertEquals(v, out[i * 28 + j], 1e-3);
        }
      }
    }
    assertTrue(flipped > 70 && flipped < 130, "flips " + flipped);
  }

  @Test
  void randomResizedCropBoxesStayInsideAndInRange() {
    Transform t = Transform.randomResizedCrop(224, List.of(0.5, 0.5, 0.5), List.of(0.5, 0.5, 0.5));
    SplittableRandom r = new SplittableRandom(9);
    for (int k = 0; k < 2000; k++) {
      int w = 256 + r.nextInt(200);
      int h = 256 + r.nextInt(64);
      double[] b = t.randomBox(w, h, r);
      assertTrue(b[0] >= 0 && b[1] >= 0 && b[0] + b[2] <= w && b[1] + b[3] <= h, java.util.Arrays.toString(b));
      double area = b[2] * b[3] / (w * h);
      double ratio = b[2] / b[3];
      assertTrue(area > 0.07 && area <= 1.0001, "area " + area);
      assertTrue(ratio > 0.74 && ratio < 1.35, "ratio " + ratio);
    }
    // too thin for any ratio in range: falls back to the centre crop with the ratio clamped
    double[] b = t.randomBox(1000, 10, new SplittableRandom(1));
    assertEquals(10, b[3], 0);
    assertEquals(13, b[2], 0);
    // an output is the bilinear resize of the drawn box, flipped or not
    Image rgb = Images.rgb(5, 300, 260, 6);
    float[] out = run(t, rgb, 42);
    SplittableRandom r2 = new SplittableRandom(42);
    double[] box = t.randomBox(300, 260, r2);
    boolean flip = r2.nextBoolean();
    float[] expect = new float[out.length];
    float[] scale = {(float) (1 / (255 * 0.5)), (float) (1 / (255 * 0.5)), (float) (1 / (255 * 0.5))};
    float[] shift = {-1f, -1f, -1f};
    Sampler.sample(rgb, box[0], box[1], box[2], box[3], 224, 224, flip, scale, shift, expect, 0);
    assertArrayEquals(expect, out);
  }
}
