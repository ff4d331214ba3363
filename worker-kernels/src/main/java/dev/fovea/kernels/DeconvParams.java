package dev.fovea.kernels;

import java.util.Arrays;

/**
 * Geometry of a transposed convolution ("deconvolution") over 1, 2 or 3 spatial dimensions: the
 * adjoint of the convolution {@code conv} that maps {@code (N, OC, out...)} to {@code (N, C,
 * in...)}. Source {@code (N, C, in...)}, weights {@code (C, OC / groups, k...)} (PyTorch's {@code
 * ConvTranspose2d} layout), bias {@code (OC)}, destination {@code (N, OC, out...)}.
 *
 * <p>Output size per spatial axis, as PyTorch's {@code ConvTranspose2d}: {@code out = (in - 1) ·
 * stride - padBegin - padEnd + dilation · (k - 1) + outputPadding + 1}.
 *
 * @param conv stride, padding, dilation and groups of the convolution this op is the adjoint of
 * @param outputPadding cells added to the end of each spatial output axis, each in {@code [0,
 *     stride)}; PyTorch also allows {@code outputPadding < dilation}, Fovea does not, so that the
 *     forward convolution of the output always has exactly the input's size
 */
public record DeconvParams(ConvParams conv, int[] outputPadding) {

  public DeconvParams {
    int r = conv.spatialRank();
    if (outputPadding.length != r) {
      throw new IllegalArgumentException("deconvolution: outputPadding " + Arrays.toString(outputPadding)
          + " must have " + r + " entries");
    }
    for (int i = 0; i < r; i++) {
      if (outputPadding[i] < 0 || outputPadding[i] >= conv.stride()[i]) {
        throw new IllegalArgumentException("deconvolution: outputPadding " + Arrays.toString(outputPadding)
            + " must be in [0, stride) on every axis, stride " + Arrays.toString(conv.stride()));
      }
    }
    outputPadding = outputPadding.clone();
  }

  /** A transposed convolution without output padding. */
  public static DeconvParams of(ConvParams conv) {
    return new DeconvParams(conv, new int[conv.spatialRank()]);
  }

  public int spatialRank() {
    return conv.spatialRank();
  }

  /**
   * The destination shape {@code (N, OC, out...)} for a source {@code (N, C, in...)} and weights
   * {@code (C, OC / groups, k...)}; throws naming the argument when they do not fit.
   */
  public Shape outputShape(Shape src, Shape weights) {
    int r = spatialRank();
    if (src.rank() != r + 2) {
      throw new IllegalArgumentException("deconvolution: source " + src + " must have rank " + (r + 2));
    }
    if (weights.rank() != r + 2) {
      throw new IllegalArgumentException("deconvolution: weights " + weights + " must have rank " + (r + 2));
    }
    int g = conv.groups();
    if (src.dim(1) != weights.dim(0)) {
      throw new IllegalArgumentException("deconvolution: weights " + weights + " expect " + weights.dim(0)
          + " input channels, got " + src.dim(1));
    }
    if (src.dim(1) % g != 0) {
      throw new IllegalArgumentException("deconvolution: input channels " + src.dim(1) + " not divisible by groups " + g);
    }
    int[] out = new int[r + 2];
    out[0] = src.dim(0);
    out[1] = Sizes.multiply(weights.dim(1), g, "deconvolution: output channels");
    for (int i = 0; i < r; i++) {
      long o = ((long) src.dim(2 + i) - 1) * conv.stride()[i] - conv.padBegin()[i] - conv.padEnd()[i]
          + (long) conv.dilation()[i] * (weights.dim(2 + i) - 1) + outputPadding[i] + 1;
      if (o < 1) {
        throw new IllegalArgumentException("deconvolution: padding " + Arrays.toString(conv.padBegin()) + "/"
            + Arrays.toString(conv.padEnd()) + " leaves no output on spatial axis " + i + " (source " + src + ")");
      }
      out[2 + i] = Sizes.toInt(o, "deconvolution: output size on spatial axis " + i);
    }
    return Shape.of(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeconvParams p && conv.equals(p.conv) && Arrays.equals(outputPadding, p.outputPadding);
  }

  @Override
  public int hashCode() {
    return 31 * conv.hashCode() + Arrays.hashCode(outputPadding);
  }

  @Override
  public String toString() {
    return "DeconvParams[" + conv + ", outputPadding=" + Arrays.toString(outputPadding) + "]";
  }
}
