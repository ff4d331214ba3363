package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.Arrays;

/**
 * Zero padding of the spatial axes of {@code src (N, C, in...)} (Keras's {@code ZeroPadding2D},
 * PyTorch's {@code ZeroPad2d}): {@code dst (N, C, in + padBegin + padEnd...)} holds src at offset
 * {@code padBegin} and zeros elsewhere. Backward crops: {@code diffSrc = diffDst[..., padBegin :
 * padBegin + in]}, overwritten.
 */
final class ReferencePadding {
  private ReferencePadding() {}

  private static final String OP = "padding";

  /** The destination shape for {@code src (N, C, in...)}; throws naming the argument. */
  static Shape outputShape(int[] padBegin, int[] padEnd, Shape src) {
    int r = src.rank() - 2;
    if (r < 1 || padBegin.length != r || padEnd.length != r) {
      throw new IllegalArgumentException(OP + ": padBegin " + Arrays.toString(padBegin) + " and padEnd "
          + Arrays.toString(padEnd) + " need one entry per spatial axis of " + src);
    }
    int[] d = src.dims();
    for (int i = 0; i < r; i++) {
      if (padBegin[i] < 0 || padEnd[i] < 0) {
        throw new IllegalArgumentException(OP + ": padding must be >= 0, got " + Arrays.toString(padBegin) + "/"
            + Arrays.toString(padEnd));
      }
      d[2 + i] += padBegin[i] + padEnd[i];
    }
    return Shape.of(d);
  }

  /** Calls {@code visit(srcIndex, dstIndex)} for every source element. */
  private interface Pairs {
    void visit(int srcIndex, int dstIndex);
  }

  private static void each(int[] padBegin, Shape src, Shape dst, Pairs v) {
    int r = src.rank() - 2;
    int[] in = {1, 1, 1};
    int[] out = {1, 1, 1};
    int[] off = {0, 0, 0};
    for (int i = 0; i < r; i++) {
      in[3 - r + i] = src.dim(2 + i);
      out[3 - r + i] = dst.dim(2 + i);
      off[3 - r + i] = padBegin[i];
    }
    int planes = src.dim(0) * src.dim(1);
    int s = 0;
    for (int pl = 0; pl < planes; pl++) {
      for (int a = 0; a < in[0]; a++) {
        for (int b = 0; b < in[1]; b++) {
          int base = ((pl * out[0] + a + off[0]) * out[1] + b + off[1]) * out[2] + off[2];
          for (int c = 0; c < in[2]; c++, s++) {
            v.visit(s, base + c);
          }
        }
      }
    }
  }

  static void forward(int[] padBegin, int[] padEnd, Tensor src, Tensor dst) {
    Checks.shape(OP, "dst", dst, outputShape(padBegin, padEnd, src.shape()));
    double[] x = src.toDoubleArray();
    double[] y = new double[dst.size()];
    each(padBegin, src.shape(), dst.shape(), (i, o) -> y[o] = x[i]);
    dst.copyFrom(y);
  }

  static void backward(int[] padBegin, int[] padEnd, Tensor diffDst, Tensor diffSrc) {
    Checks.shape(OP, "diffDst", diffDst, outputShape(padBegin, padEnd, diffSrc.shape()));
    double[] dy = diffDst.toDoubleArray();
    double[] dx = new double[diffSrc.size()];
    each(padBegin, diffSrc.shape(), diffDst.shape(), (i, o) -> dx[i] = dy[o]);
    diffSrc.copyFrom(dx);
  }
}
