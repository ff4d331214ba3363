package dev.fovea.kernels;

import java.util.Arrays;

/**
 * Geometry of a convolution over {@code r} spatial dimensions (r = 1, 2 or 3): source {@code (N,
 * C, [D,] [H,] W)}, weights {@code (OC, C / groups, [KD,] [KH,] KW)}, bias {@code (OC)}.
 *
 * <p>Output size along each spatial axis, as in PyTorch's {@code Conv2d}: {@code out = floor((in +
 * padBegin + padEnd - dilation * (k - 1) - 1) / stride) + 1}. Padding cells are zeros. A dilation
 * of 1 is a dense kernel.
 *
 * @param stride step of the kernel per spatial axis, each ≥ 1
 * @param padBegin zero cells added before each spatial axis, each ≥ 0
 * @param padEnd zero cells added after each spatial axis, each ≥ 0
 * @param dilation spacing of kernel taps per spatial axis, each ≥ 1
 * @param groups channel groups; {@code C} and {@code OC} are both divisible by it
 */
public record ConvParams(int[] stride, int[] padBegin, int[] padEnd, int[] dilation, int groups) {

  public ConvParams {
    int r = stride.length;
    if (r < 1 || r > 3) {
      throw new IllegalArgumentException("convolution: spatial rank must be 1, 2 or 3, got " + r);
    }
    if (padBegin.length != r || padEnd.length != r || dilation.length != r) {
      throw new IllegalArgumentException("convolution: stride, padding and dilation must all have " + r + " entries");
    }
    for (int i = 0; i < r; i++) {
      check(stride[i] >= 1, "stride", stride);
      check(padBegin[i] >= 0, "padding", padBegin);
      check(padEnd[i] >= 0, "padding", padEnd);
      check(dilation[i] >= 1, "dilation", dilation);
    }
    if (groups < 1) {
      throw new IllegalArgumentException("convolution: groups must be >= 1, got " + groups);
    }
    stride = stride.clone();
    padBegin = padBegin.clone();
    padEnd = padEnd.clone();
    dilation = dilation.clone();
  }

  private static void check(boolean ok, String name, int[] value) {
    if (!ok) {
      throw new IllegalArgumentException("convolution: invalid " + name + " " + Arrays.toString(value));
    }
  }

  /** A dense, ungrouped 2D convolution with the same stride and symmetric padding on both axes. */
  public static ConvParams conv2d(int stride, int pad) {
    return new ConvParams(new int[] {stride, stride}, new int[] {pad, pad}, new int[] {pad, pad}, new int[] {1, 1}, 1);
  }

  /**
   * Padding {@code 'valid'} (Keras and TensorFlow): no padding, so the kernel only visits positions
   * fully inside the source.
   */
  public static ConvParams valid(int[] stride, int[] dilation, int groups) {
    int r = stride.length;
    return new ConvParams(stride, new int[r], new int[r], dilation, groups);
  }

  /**
   * Padding {@code 'same'} exactly as Keras and TensorFlow compute it: the output has {@code
   * ceil(in / stride)} cells per spatial axis, the total padding is {@code max((out - 1) · stride +
   * dilation · (k - 1) + 1 - in, 0)} and, when it is odd, the extra cell goes at the END
   * ({@code padBegin = total / 2}, {@code padEnd = total - padBegin}).
   *
   * <p>Fovea is NCHW and TensorFlow's default is NHWC, but padding is per spatial axis, so a Keras
   * {@code Conv2D(filters, (kh, kw), strides=(sh, sw), padding='same')} on {@code (N, H, W, C)}
   * maps onto {@code same(new int[] {kh, kw}, new int[] {sh, sw}, dilation, new int[] {H, W},
   * groups)} on {@code (N, C, H, W)}; only the tensors are transposed (weights {@code (kh, kw, C,
   * OC)} to {@code (OC, C, kh, kw)}). PyTorch's {@code padding='same'} accepts stride 1 only and
   * also puts the odd cell at the end, so it agrees. Because the padding depends on the input
   * size, the parameters are computed per input size.
   *
   * @param kernel kernel size per spatial axis
   * @param stride stride per spatial axis
   * @param dilation dilation per spatial axis
   * @param inputSize source size per spatial axis (H, W for 2D)
   * @param groups channel groups
   */
  public static ConvParams same(int[] kernel, int[] stride, int[] dilation, int[] inputSize, int groups) {
    int r = stride.length;
    if (kernel.length != r || dilation.length != r || inputSize.length != r) {
      throw new IllegalArgumentException("convolution: kernel, stride, dilation and inputSize must all have " + r
          + " entries");
    }
    int[] begin = new int[r];
    int[] end = new int[r];
    for (int i = 0; i < r; i++) {
      check(stride[i] >= 1, "stride", stride);
      check(kernel[i] >= 1, "kernel", kernel);
      check(dilation[i] >= 1, "dilation", dilation);
      long out = ((long) inputSize[i] + stride[i] - 1) / stride[i];
      int total = Sizes.toInt(Math.max((out - 1) * stride[i] + (long) dilation[i] * (kernel[i] - 1) + 1
          - inputSize[i], 0), "convolution: 'same' padding on spatial axis " + i);
      begin[i] = total / 2;
      end[i] = total - begin[i];
    }
    return new ConvParams(stride, begin, end, dilation, groups);
  }

  public int spatialRank() {
    return stride.length;
  }

  /**
   * The destination shape {@code (N, OC, out...)} for a source {@code (N, C, in...)} and weights
   * {@code (OC, C / groups, k...)}; throws naming the argument when they do not fit.
   */
  public Shape outputShape(Shape src, Shape weights) {
    int r = spatialRank();
    if (src.rank() != r + 2) {
      throw new IllegalArgumentException("convolution: source " + src + " must have rank " + (r + 2));
    }
    if (weights.rank() != r + 2) {
      throw new IllegalArgumentException("convolution: weights " + weights + " must have rank " + (r + 2));
    }
    int c = src.dim(1);
    int oc = weights.dim(0);
    if (c % groups != 0) {
      throw new IllegalArgumentException("convolution: input channels " + c + " not divisible by groups " + groups);
    }
    if (oc % groups != 0) {
      throw new IllegalArgumentException("convolution: output channels " + oc + " not divisible by groups " + groups);
    }
    if (weights.dim(1) != c / groups) {
      throw new IllegalArgumentException(
          "convolution: weights " + weights + " expect " + weights.dim(1) * groups + " input channels, got " + c);
    }
    int[] out = new int[r + 2];
    out[0] = src.dim(0);
    out[1] = oc;
    for (int i = 0; i < r; i++) {
      long in = (long) src.dim(2 + i) + padBegin[i] + padEnd[i];
      long span = (long) dilation[i] * (weights.dim(2 + i) - 1) + 1;
      if (span > in) {
        throw new IllegalArgumentException("convolution: kernel extent " + span + " on spatial axis " + i
            + " is larger than the padded input " + in + " (source " + src + ")");
      }
      out[2 + i] = Sizes.toInt((in - span) / stride[i] + 1, "convolution: output size on spatial axis " + i);
    }
    return Shape.of(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConvParams p && Arrays.equals(stride, p.stride) && Arrays.equals(padBegin, p.padBegin)
        && Arrays.equals(padEnd, p.padEnd) && Arrays.equals(dilation, p.dilation) && groups == p.groups;
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(new Object[] {stride, padBegin, padEnd, dilation, groups});
  }

  @Override
  public String toString() {
    return "ConvParams[stride=" + Arrays.toString(stride) + ", padBegin=" + Arrays.toString(padBegin) + ", padEnd="
        + Arrays.toString(padEnd) + ", dilation=" + Arrays.toString(dilation) + ", groups=" + groups + "]";
  }
}
