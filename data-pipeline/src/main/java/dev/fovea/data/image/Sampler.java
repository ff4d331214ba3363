package dev.fovea.data.image;

/**
 * The fused transform kernel: takes a box of an image, resizes it bilinearly, optionally flips it
 * horizontally, normalises it and writes planar float32 (C, H, W) into a batch, in one pass.
 *
 * <p>Bilinear sampling follows PyTorch's {@code interpolate(mode="bilinear", align_corners=False,
 * antialias=False)}: output pixel (i, j) of an {@code outH × outW} image taken from box {@code (x0,
 * y0, bw, bh)} reads source position {@code x = x0 + (j + 0.5)·bw/outW − 0.5} (likewise y), with
 * coordinates clamped to the image. Resizing an image and then cropping it therefore equals sampling
 * the crop's box directly. Normalisation is {@code v·scale[c] + shift[c]}, with {@code scale =
 * 1/(255·std)} and {@code shift = −mean/std} for v in [0, 255].
 */
public final class Sampler {
  private Sampler() {}

  /**
   * Samples a box of {@code img} into {@code dst[off, off + C·outH·outW)} as (C, H, W).
   *
   * @param x0 left edge of the box in source pixels (may be fractional)
   * @param y0 top edge of the box
   * @param bw box width in source pixels
   * @param bh box height
   * @param flip mirror the output horizontally
   */
  public static void sample(Image img, double x0, double y0, double bw, double bh, int outW, int outH,
      boolean flip, float[] scale, float[] shift, float[] dst, int off) {
    int w = img.width();
    int h = img.height();
    int ps = img.pixelStride();
    int rs = img.rowStride();
    int[] xa = new int[outW];
    int[] xb = new int[outW];
    float[] wx = new float[outW];
    double sx = bw / outW;
    for (int j = 0; j < outW; j++) {
      int jj = flip ? outW - 1 - j : j;
      double x = x0 + (jj + 0.5) * sx - 0.5;
      x = Math.min(Math.max(x, 0), w - 1);
      int a = (int) x;
      int b = Math.min(a + 1, w - 1);
      xa[j] = a * ps;
      xb[j] = b * ps;
      wx[j] = (float) (x - a);
    }
    double sy = bh / outH;
    byte[] p = img.pixels();
    int channels = img.channels();
    int plane = outH * outW;
    // Separable: each source row needed is interpolated horizontally once (consecutive output rows
    // often share it when enlarging), then pairs of rows are blended vertically in a loop C2
    // vectorises.
    float[] rowA = new float[channels * outW];
    float[] rowB = new float[channels * outW];
    int haveA = -1;
    int haveB = -1;
    for (int i = 0; i < outH; i++) {
      double y = y0 + (i + 0.5) * sy - 0.5;
      y = Math.min(Math.max(y, 0), h - 1);
      int ya = (int) y;
      int yb = Math.min(ya + 1, h - 1);
      float wy = (float) (y - ya);
      float wy0 = 1 - wy;
      if (ya != haveA) {
        if (ya == haveB) {
          float[] t = rowA;
          rowA = rowB;
          rowB = t;
          haveA = ya;
          haveB = -1;
        } else {
          horizontal(img, p, ya * rs, xa, xb, wx, outW, rowA);
          haveA = ya;
        }
      }
      if (yb != haveB) {
        horizontal(img, p, yb * rs, xa, xb, wx, outW, rowB);
        haveB = yb;
      }
      for (int c = 0; c < channels; c++) {
        float sc = scale[c];
        float sh = shift[c];
        float a0 = wy0 * sc;
        float b0 = wy * sc;
        int o = off + c * plane + i * outW;
        int r = c * outW;
        for (int j = 0; j < outW; j++) {
          dst[o + j] = rowA[r + j] * a0 + rowB[r + j] * b0 + sh;
        }
      }
    }
  }

  /** Row {@code base} of the source interpolated at the output columns, channel by channel. */
  private static void horizontal(Image img, byte[] p, int base, int[] xa, int[] xb, float[] wx, int outW,
      float[] row) {
    if (img.channels() == 3 && !img.planar()) {
      // All three samples of a pixel share a cache line: one pass over the columns.
      int o0 = base + img.channelOffset(0);
      int o1 = base + img.channelOffset(1);
      int o2 = base + img.channelOffset(2);
      for (int j = 0; j < outW; j++) {
        int a = xa[j];
        int b = xb[j];
        float f = wx[j];
        float r0 = p[o0 + a] & 0xff;
        float r1 = p[o1 + a] & 0xff;
        float r2 = p[o2 + a] & 0xff;
        row[j] = r0 + ((p[o0 + b] & 0xff) - r0) * f;
        row[outW + j] = r1 + ((p[o1 + b] & 0xff) - r1) * f;
        row[2 * outW + j] = r2 + ((p[o2 + b] & 0xff) - r2) * f;
      }
      return;
    }
    for (int c = 0; c < img.channels(); c++) {
      int b = base + img.channelOffset(c);
      int r = c * outW;
      for (int j = 0; j < outW; j++) {
        float a = p[b + xa[j]] & 0xff;
        float d = (p[b + xb[j]] & 0xff) - a;
        row[r + j] = a + d * wx[j];
      }
    }
  }

  /**
   * Copies an {@code outW × outH} window whose top-left corner is (dx, dy) in the image padded with
   * zeros on every side (dx and dy may be negative), optionally flipped, normalised, as (C, H, W).
   */
  public static void crop(Image img, int dx, int dy, int outW, int outH, boolean flip, float[] scale,
      float[] shift, float[] dst, int off) {
    int ps = img.pixelStride();
    int rs = img.rowStride();
    byte[] p = img.pixels();
    int plane = outH * outW;
    for (int c = 0; c < img.channels(); c++) {
      float sc = scale[c];
      float sh = shift[c];
      int co = img.channelOffset(c);
      for (int i = 0; i < outH; i++) {
        int y = dy + i;
        int o = off + c * plane + i * outW;
        for (int j = 0; j < outW; j++) {
          int x = dx + (flip ? outW - 1 - j : j);
          int v = y < 0 || y >= img.height() || x < 0 || x >= img.width() ? 0 : p[y * rs + x * ps + co] & 0xff;
          dst[o + j] = v * sc + sh;
        }
      }
    }
  }
}
