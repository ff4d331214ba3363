package dev.fovea.data.batch;

import dev.fovea.kernels.Tensor;

/**
 * A minibatch ready for a network.
 *
 * @param images normalised FLOAT32 images {@code (N, C, H, W)}
 * @param labels N class indices
 * @param targets FLOAT32 targets {@code (N, ...)} of a set with a target column (e.g. {@code (N, 1,
 *     28, 28)} images in [0, 1]); null for a set of class targets
 */
public record Batch(Tensor images, int[] labels, Tensor targets) {
  /** A batch of class targets only. */
  public Batch(Tensor images, int[] labels) {
    this(images, labels, null);
  }

  public int size() {
    return labels.length;
  }
}
