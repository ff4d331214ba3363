package dev.fovea.data.shard;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import dev.fovea.kernels.Shape;

/**
 * "The input itself, resized" as a target, for super-resolution and autoencoders: each image
 * becomes the target (an {@link TargetSpec#IMAGE} of its own shape) and its area-average reduction
 * to {@code size × size} becomes the network's input.
 *
 * <p>Area average: output pixel (y, x) of an h×w image made from an H×W one is the mean of the
 * source over the rectangle {@code [y·H/h, (y+1)·H/h) × [x·W/w, (x+1)·W/w)}, each source pixel
 * weighted by the area of it inside the rectangle (for H = 2h a plain 2×2 mean), rounded to the
 * nearest byte (halves up). This is OpenCV's {@code INTER_AREA} and PIL's {@code Image.BOX}.
 */
public final class SelfTargets {
  private SelfTargets() {}

  /** The inputs (area-reduced to {@code height × width}) and targets (the images) of {@code data}. */
  public record Made(ImageDataset inputs, ShardWriter.Targets targets) {}

  /**
   * @throws DataException when the size is not between 1 and the images' own size
   */
  public static Made resized(ImageDataset data, int height, int width) {
    Shape s = data.sampleShape();
    int c = s.dim(0);
    int h0 = s.dim(1);
    int w0 = s.dim(2);
    if (height < 1 || width < 1 || height > h0 || width > w0) {
      throw new DataException(data.source() + ": cannot make " + height + "x" + width + " inputs from " + h0 + "x"
          + w0 + " images (the input size must be between 1 and the image size)");
    }
    int n = data.count();
    byte[] small = new byte[n * c * height * width];
    for (int i = 0; i < n; i++) {
      for (int ch = 0; ch < c; ch++) {
        areaResize(data.pixels(), (i * c + ch) * h0 * w0, h0, w0, small, (i * c + ch) * height * width, height,
            width);
      }
    }
    ImageDataset inputs = new ImageDataset(data.name(), Shape.of(c, height, width), data.classNames(), small,
        data.labels(), data.source() + " (area-resized to " + height + "x" + width + "; targets: the images)");
    return new Made(inputs, new ShardWriter.Targets(TargetSpec.image(c, h0, w0), data.pixels().clone()));
  }

  /** One plane {@code (h0, w0)} at {@code from} area-averaged into {@code (h, w)} at {@code to}. */
  static void areaResize(byte[] src, int from, int h0, int w0, byte[] dst, int to, int h, int w) {
    for (int y = 0; y < h; y++) {
      double y0 = (double) y * h0 / h;
      double y1 = (double) (y + 1) * h0 / h;
      for (int x = 0; x < w; x++) {
        double x0 = (double) x * w0 / w;
        double x1 = (double) (x + 1) * w0 / w;
        double sum = 0;
        for (int sy = (int) Math.floor(y0); sy < Math.min(h0, Math.ceil(y1)); sy++) {
          double wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
          for (int sx = (int) Math.floor(x0); sx < Math.min(w0, Math.ceil(x1)); sx++) {
            double wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
            sum += wy * wx * (src[from + sy * w0 + sx] & 0xff);
          }
        }
        dst[to + y * w + x] = (byte) Math.min(255, (int) Math.floor(sum / ((y1 - y0) * (x1 - x0)) + 0.5));
      }
    }
  }
}
