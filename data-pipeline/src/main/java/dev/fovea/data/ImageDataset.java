package dev.fovea.data;

import dev.fovea.kernels.Shape;
import java.util.List;

/**
 * A labelled image dataset held in memory as raw unsigned bytes: sample i occupies {@code
 * pixels[i·C·H·W, (i+1)·C·H·W)} in (C, H, W) order, and its class is {@code labels[i]}.
 *
 * @param name a short name such as {@code fashion-mnist/train}
 * @param sampleShape {@code (C, H, W)} of one image
 * @param classNames the name of each class index
 * @param pixels all images, uint8
 * @param labels one class index per image
 * @param source where it was read from, for the manifest
 */
public record ImageDataset(String name, Shape sampleShape, List<String> classNames, byte[] pixels, int[] labels,
    String source) {

  public ImageDataset {
    if ((long) labels.length * sampleShape.size() != pixels.length) {
      throw new DataException(name + ": " + labels.length + " labels but " + pixels.length / Math.max(1, sampleShape.size())
          + " images of " + sampleShape);
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classNames.size()) {
        throw new DataException(name + ": label " + labels[i] + " of sample " + i + " is not a class index in [0, "
            + classNames.size() + ")");
      }
    }
  }

  public int count() {
    return labels.length;
  }

  /** Samples {@code [from, to)} as a new dataset (copies). */
  public ImageDataset subset(int from, int to) {
    int per = sampleShape.size();
    byte[] p = java.util.Arrays.copyOfRange(pixels, from * per, to * per);
    int[] l = java.util.Arrays.copyOfRange(labels, from, to);
    return new ImageDataset(name, sampleShape, classNames, p, l, source + " [" + from + ", " + to + ")");
  }
}
