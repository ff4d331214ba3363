package dev.fovea.data.image;

/**
 * A decoded 8-bit image: {@code channels} (1 = grey, 3 = RGB) samples per pixel, addressed through
 * strides so that interleaved (H, W, C) pixels from a codec and planar (C, H, W) pixels from a
 * raw-uint8 shard are both used in place.
 *
 * @param width W
 * @param height H
 * @param channels C, 1 or 3
 * @param pixels the samples, unsigned
 * @param planar true for (C, H, W) order, false for (H, W, C)
 * @param bgr interleaved colour stored as B, G, R (as OpenCV decodes it); channel 0 is still red
 */
public record Image(int width, int height, int channels, byte[] pixels, boolean planar, boolean bgr) {

  public Image {
    if ((long) width * height * channels != pixels.length) {
      throw new IllegalArgumentException(width + "x" + height + "x" + channels + " image with " + pixels.length
          + " bytes");
    }
    if (bgr && (planar || channels != 3)) {
      throw new IllegalArgumentException("only interleaved 3-channel images can be stored as BGR");
    }
  }

  /** An image in R, G, B (or grey) order. */
  public Image(int width, int height, int channels, byte[] pixels, boolean planar) {
    this(width, height, channels, pixels, planar, false);
  }

  /** Offset in bytes of channel c (0 = red or grey) within a pixel's samples. */
  public int channelOffset(int c) {
    return (bgr ? channels - 1 - c : c) * channelStride();
  }

  /** Distance in bytes between horizontally adjacent samples of one channel. */
  public int pixelStride() {
    return planar ? 1 : channels;
  }

  /** Distance in bytes between vertically adjacent samples of one channel. */
  public int rowStride() {
    return planar ? width : width * channels;
  }

  /** Distance in bytes between the channels of one pixel. */
  public int channelStride() {
    return planar ? width * height : 1;
  }

  /** Sample (c, y, x) in [0, 255]. */
  public int get(int c, int y, int x) {
    return pixels[y * rowStride() + x * pixelStride() + channelOffset(c)] & 0xff;
  }

  /** The same pixels in (C, H, W) order (this image when already planar). */
  public Image toPlanar() {
    if (planar) {
      return this;
    }
    byte[] p = new byte[pixels.length];
    int plane = width * height;
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < channels; c++) {
        p[c * plane + i] = pixels[i * channels + channelOffset(c)];
      }
    }
    return new Image(width, height, channels, p, true);
  }

  /** The same pixels in (H, W, C) order, R before G before B (this image when already so). */
  public Image toInterleaved() {
    if (bgr) {
      byte[] p = pixels.clone();
      for (int i = 0; i < p.length; i += 3) {
        byte t = p[i];
        p[i] = p[i + 2];
        p[i + 2] = t;
      }
      return new Image(width, height, channels, p, false);
    }
    if (!planar) {
      return this;
    }
    byte[] p = new byte[pixels.length];
    int plane = width * height;
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < channels; c++) {
        p[i * channels + c] = pixels[c * plane + i];
      }
    }
    return new Image(width, height, channels, p, false);
  }
}
