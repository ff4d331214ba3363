package dev.fovea.data.batch;

import dev.fovea.kernels.Tensor;

/**
 * A minibatch ready for a network.
 *
 * @param images normalised FLOAT32 images {@code (N, C, H, W)}
 * @param labels N class indices
 */
public record Batch(Tensor images, int[] labels) {
  public int size() {
    return labels.length;
  }
}
