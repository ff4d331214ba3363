package dev.fovea.kernels;

import java.util.Arrays;

/**
 * Geometry of a pooling window over {@code r} spatial dimensions: source {@code (N, C, in...)},
 * destination {@code (N, C, out...)} with {@code out = floor((in + padBegin + padEnd - k) / stride)
 * + 1} (PyTorch's {@code MaxPool2d} with {@code ceil_mode=False}).
 *
 * @param kind max or average
 * @param kernel window size per spatial axis, each ≥ 1
 * @param stride step per spatial axis, each ≥ 1
 * @param padBegin cells added before each axis; never selected by max, and for average counted only
 *     when {@code countPadding}
 * @param padEnd cells added after each axis
 * @param countPadding for average pooling, whether padded cells count in the divisor (PyTorch's
 *     {@code count_include_pad}); Fovea's default is {@code false}, Keras's behaviour
 */
public record PoolParams(Kind kind, int[] kernel, int[] stride, int[] padBegin, int[] padEnd, boolean countPadding) {

  /** The reduction a pooling window applies. */
  public enum Kind {
    MAX,
    AVG
  }

  public PoolParams {
    int r = kernel.length;
    if (r < 1 || r > 3 || stride.length != r || padBegin.length != r || padEnd.length != r) {
      throw new IllegalArgumentException("pooling: kernel, stride and padding must have 1, 2 or 3 equal-length entries");
    }
    for (int i = 0; i < r; i++) {
      if (kernel[i] < 1) {
        throw new IllegalArgumentException("pooling: invalid kernel " + Arrays.toString(kernel));
      }
      if (stride[i] < 1) {
        throw new IllegalArgumentException("pooling: invalid stride " + Arrays.toString(stride));
      }
      if (padBegin[i] < 0 || padEnd[i] < 0 || padBegin[i] >= kernel[i] || padEnd[i] >= kernel[i]) {
        throw new IllegalArgumentException("pooling: invalid padding " + Arrays.toString(padBegin) + "/"
            + Arrays.toString(padEnd) + " for kernel " + Arrays.toString(kernel) + " (each must be in [0, kernel))");
      }
    }
    kernel = kernel.clone();
    stride = stride.clone();
    padBegin = padBegin.clone();
    padEnd = padEnd.clone();
  }

  /** A 2D max pool with a square window, stride equal to the window, no padding. */
  public static PoolParams max2d(int k) {
    return new PoolParams(Kind.MAX, new int[] {k, k}, new int[] {k, k}, new int[] {0, 0}, new int[] {0, 0}, false);
  }

  /**
   * Global pooling: one window covering the whole spatial extent of {@code src (N, C, in...)}, so
   * the destination is {@code (N, C, 1...)} (Keras's {@code GlobalMaxPooling2D} and {@code
   * GlobalAveragePooling2D} before they drop the unit axes; PyTorch's {@code AdaptiveAvgPool2d(1)}).
   */
  public static PoolParams global(Kind kind, Shape src) {
    int r = src.rank() - 2;
    if (r < 1 || r > 3) {
      throw new IllegalArgumentException("pooling: source " + src + " must have rank 3, 4 or 5 for global pooling");
    }
    int[] k = new int[r];
    for (int i = 0; i < r; i++) {
      k[i] = src.dim(2 + i);
    }
    return new PoolParams(kind, k, k.clone(), new int[r], new int[r], false);
  }

  /**
   * Padding {@code 'same'} as Keras and TensorFlow pool: {@code ceil(in / stride)} outputs per
   * axis, the odd padding cell at the end, padding never counted by the average (TensorFlow
   * excludes it).
   */
  public static PoolParams same(Kind kind, int[] kernel, int[] stride, int[] inputSize) {
    int r = kernel.length;
    if (stride.length != r || inputSize.length != r) {
      throw new IllegalArgumentException("pooling: kernel, stride and inputSize must have equal lengths");
    }
    int[] begin = new int[r];
    int[] end = new int[r];
    for (int i = 0; i < r; i++) {
      if (stride[i] < 1) {
        throw new IllegalArgumentException("pooling: invalid stride " + Arrays.toString(stride));
      }
      long out = ((long) inputSize[i] + stride[i] - 1) / stride[i];
      int total = Sizes.toInt(Math.max((out - 1) * stride[i] + kernel[i] - inputSize[i], 0),
          "pooling: 'same' padding on spatial axis " + i);
      begin[i] = total / 2;
      end[i] = total - begin[i];
    }
    return new PoolParams(kind, kernel, stride, begin, end, false);
  }

  /**
   * The default destination shape of max-unpooling a pooled tensor {@code (N, C, out...)}, as
   * PyTorch's {@code MaxUnpool2d}: {@code (out - 1) · stride - padBegin - padEnd + kernel} per axis.
   */
  public Shape unpoolShape(Shape pooled) {
    int r = spatialRank();
    if (pooled.rank() != r + 2) {
      throw new IllegalArgumentException("max unpooling: source " + pooled + " must have rank " + (r + 2));
    }
    int[] d = pooled.dims();
    for (int i = 0; i < r; i++) {
      d[2 + i] = Sizes.toInt(((long) pooled.dim(2 + i) - 1) * stride[i] - padBegin[i] - padEnd[i] + kernel[i],
          "max unpooling: output size on spatial axis " + i);
    }
    return Shape.of(d);
  }

  public int spatialRank() {
    return kernel.length;
  }

  /** The destination shape for a source {@code (N, C, in...)}. */
  public Shape outputShape(Shape src) {
    int r = spatialRank();
    if (src.rank() != r + 2) {
      throw new IllegalArgumentException("pooling: source " + src + " must have rank " + (r + 2));
    }
    int[] out = src.dims();
    for (int i = 0; i < r; i++) {
      long in = (long) src.dim(2 + i) + padBegin[i] + padEnd[i];
      if (kernel[i] > in) {
        throw new IllegalArgumentException("pooling: kernel " + kernel[i] + " on spatial axis " + i
            + " is larger than the padded input " + in + " (source " + src + ")");
      }
      out[2 + i] = Sizes.toInt((in - kernel[i]) / stride[i] + 1, "pooling: output size on spatial axis " + i);
    }
    return Shape.of(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PoolParams p && kind == p.kind && Arrays.equals(kernel, p.kernel)
        && Arrays.equals(stride, p.stride) && Arrays.equals(padBegin, p.padBegin) && Arrays.equals(padEnd, p.padEnd)
        && countPadding == p.countPadding;
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(new Object[] {kind, kernel, stride, padBegin, padEnd, countPadding});
  }

  @Override
  public String toString() {
    return "PoolParams[" + kind + ", kernel=" + Arrays.toString(kernel) + ", stride=" + Arrays.toString(stride)
        + ", padBegin=" + Arrays.toString(padBegin) + ", padEnd=" + Arrays.toString(padEnd) + ", countPadding="
        + countPadding + "]";
  }

  /**
   * The ordinary pooling that adaptive pooling ({@link Backend#adaptivePoolingForward}) from {@code
   * src (N, C, in...)} to {@code dst (N, C, out...)} equals when every output size divides its input
   * size: window and stride {@code in / out}, no padding. Null when some axis does not divide (then
   * the windows differ in size or overlap).
   */
  public static PoolParams adaptiveUniform(Kind kind, Shape src, Shape dst) {
    int r = src.rank() - 2;
    if (r < 1 || r > 3 || dst.rank() != src.rank()) {
      return null;
    }
    int[] k = new int[r];
    for (int a = 0; a < r; a++) {
      if (dst.dim(2 + a) < 1 || src.dim(2 + a) % dst.dim(2 + a) != 0) {
        return null;
      }
      k[a] = src.dim(2 + a) / dst.dim(2 + a);
    }
    return new PoolParams(kind, k, k.clone(), new int[r], new int[r], false);
  }
}
