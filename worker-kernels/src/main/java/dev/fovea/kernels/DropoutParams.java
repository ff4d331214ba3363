package dev.fovea.kernels;

/**
 * Dropout with inverted scaling: in training each element (or, when {@code spatial}, each whole
 * channel {@code (n, c)} of an {@code (N, C, ...)} tensor, as Keras's {@code SpatialDropout2D}
 * and PyTorch's {@code Dropout2d}) is zeroed with probability {@code rate} and the rest are scaled
 * by {@code 1 / (1 - rate)}, so evaluation is the identity.
 *
 * @param rate probability of dropping, in [0, 1)
 * @param spatial drop whole channels instead of single elements
 */
public record DropoutParams(double rate, boolean spatial) {

  public DropoutParams {
    if (!(rate >= 0 && rate < 1)) {
      throw new IllegalArgumentException("dropout: rate must be in [0, 1), got " + rate);
    }
  }
}
