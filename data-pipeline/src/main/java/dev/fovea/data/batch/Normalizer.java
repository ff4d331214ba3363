package dev.fovea.data.batch;

import dev.fovea.data.shard.SampleBlock;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.io.Serializable;
import java.util.List;

/**
 * Turns raw uint8 samples into normalised float minibatches: {@code x = (p / 255 - mean[c]) /
 * std[c]} per channel c, with the mean and standard deviation from the shard manifest.
 */
public final class Normalizer implements Serializable {
  private static final long serialVersionUID = 1L;
  private final int[] sampleShape;
  private final float[] scale;
  private final float[] shift;

  /**
   * @param sampleShape {@code (C, H, W)}
   * @param mean per-channel mean of pixels in [0, 1]
   * @param std per-channel standard deviation of pixels in [0, 1]
   */
  public Normalizer(Shape sampleShape, List<Double> mean, List<Double> std) {
    int c = sampleShape.dim(0);
    if (mean.size() != c || std.size() != c) {
      throw new IllegalArgumentException("normalizer: " + c + " channels but " + mean.size() + " means and "
          + std.size() + " standard deviations");
    }
    this.sampleShape = sampleShape.dims();
    this.scale = new float[c];
    this.shift = new float[c];
    for (int i = 0; i < c; i++) {
      double s = std.get(i) > 1e-12 ? std.get(i) : 1;
      scale[i] = (float) (1 / (255 * s));
      shift[i] = (float) (-mean.get(i) / s);
    }
  }

  public Shape sampleShape() {
    return Shape.of(sampleShape);
  }

  /** Samples {@code order[from, from + count)} of {@code block} as one batch. */
  public Batch batch(SampleBlock block, int[] order, int from, int count) {
    Shape shape = sampleShape().prepend(count);
    float[] x = new float[shape.size()];
    int[] labels = new int[count];
    int per = block.sampleSize;
    int plane = per / scale.length;
    for (int i = 0; i < count; i++) {
      int s = order[from + i];
      labels[i] = block.labels[s];
      int src = s * per;
      int dst = i * per;
      for (int c = 0; c < scale.length; c++) {
        float a = scale[c];
        float b = shift[c];
        for (int k = c * plane; k < (c + 1) * plane; k++) {
          x[dst + k] = (block.pixels[src + k] & 0xff) * a + b;
        }
      }
    }
    return new Batch(Tensor.wrap(x, shape), labels);
  }
}
