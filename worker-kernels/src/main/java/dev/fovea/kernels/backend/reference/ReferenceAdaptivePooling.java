package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * Adaptive max and average pooling over 1, 2 or 3 spatial axes (PyTorch's {@code
 * AdaptiveAvgPool2d}, {@code AdaptiveMaxPool2d}): the output size is the destination's shape, and
 * along an axis of sizes {@code in → out} output cell {@code i} pools the source cells
 *
 * <pre>
 *   [floor(i · in / out), ceil((i + 1) · in / out))
 * </pre>
 *
 * (every cell is covered; windows overlap where {@code out} does not divide {@code in}). Max takes
 * the first maximum in row-major window order and backward routes the gradient there; average
 * divides by the window's cell count and backward spreads the gradient evenly. Backward
 * overwrites {@code diffSrc}.
 */
final class ReferenceAdaptivePooling {
  private ReferenceAdaptivePooling() {}

  private static final String OP = "adaptive pooling";

  static int start(int i, int in, int out) {
    return (int) ((long) i * in / out);
  }

  static int end(int i, int in, int out) {
    return (int) (((long) (i + 1) * in + out - 1) / out);
  }

  /** {@code (N, C, in...)} and {@code (N, C, out...)} padded to three spatial axes (leading ones). */
  private static int[][] dims(Shape src, Shape dst) {
    int r = src.rank() - 2;
    if (r < 1 || r > 3 || dst.rank() != src.rank() || src.dim(0) != dst.dim(0) || src.dim(1) != dst.dim(1)) {
      throw new IllegalArgumentException(OP + ": source " + src + " and destination " + dst
          + " must be (N, C, spatial...) with 1 to 3 spatial axes and equal N and C");
    }
    int[] in = {1, 1, 1};
    int[] out = {1, 1, 1};
    for (int a = 0; a < r; a++) {
      in[3 - r + a] = src.dim(2 + a);
      out[3 - r + a] = dst.dim(2 + a);
      if (in[3 - r + a] < 1 || out[3 - r + a] < 1) {
        throw new IllegalArgumentException(OP + ": spatial sizes must be >= 1, got " + src + " to " + dst);
      }
    }
    return new int[][] {in, out};
  }

  /** Calls {@code cell} for each output cell of each plane with its source window. */
  private interface Cell {
    void visit(int plane, int outIndex, int d0, int d1, int h0, int h1, int w0, int w1);
  }

  private static void each(Shape src, Shape dst, Cell cell) {
    int[][] d = dims(src, dst);
    int[] in = d[0];
    int[] out = d[1];
    int planes = src.dim(0) * src.dim(1);
    for (int pl = 0; pl < planes; pl++) {
      int o = 0;
      for (int od = 0; od < out[0]; od++) {
        for (int oh = 0; oh < out[1]; oh++) {
          for (int ow = 0; ow < out[2]; ow++) {
            cell.visit(pl, o++, start(od, in[0], out[0]), end(od, in[0], out[0]), start(oh, in[1], out[1]),
                end(oh, in[1], out[1]), start(ow, in[2], out[2]), end(ow, in[2], out[2]));
          }
        }
      }
    }
  }

  /** Overwrites {@code dst (N, C, out...)} from {@code src (N, C, in...)}. */
  static void forward(PoolParams.Kind kind, Tensor src, Tensor dst) {
    double[] x = src.toDoubleArray();
    double[] y = new double[dst.size()];
    int[][] d = dims(src.shape(), dst.shape());
    int inPlane = d[0][0] * d[0][1] * d[0][2];
    int outPlane = d[1][0] * d[1][1] * d[1][2];
    int ih = d[0][1];
    int iw = d[0][2];
    each(src.shape(), dst.shape(), (pl, o, d0, d1, h0, h1, w0, w1) -> {
      double acc = kind == PoolParams.Kind.MAX ? Double.NEGATIVE_INFINITY : 0;
      for (int a = d0; a < d1; a++) {
        for (int b = h0; b < h1; b++) {
          for (int c = w0; c < w1; c++) {
            double v = x[pl * inPlane + (a * ih + b) * iw + c];
            acc = kind == PoolParams.Kind.MAX ? Math.max(acc, v) : acc + v;
          }
        }
      }
      y[pl * outPlane + o] = kind == PoolParams.Kind.MAX ? acc : acc / ((d1 - d0) * (h1 - h0) * (w1 - w0));
    });
    dst.copyFrom(y);
  }

  /** Overwrites {@code diffSrc (N, C, in...)} from {@code diffDst (N, C, out...)} and the forward source. */
  static void backward(PoolParams.Kind kind, Tensor src, Tensor diffDst, Tensor diffSrc) {
    if (!src.shape().equals(diffSrc.shape())) {
      throw new IllegalArgumentException(OP + ": diffSrc " + diffSrc.shape() + " must have the source's shape "
          + src.shape());
    }
    double[] x = src.toDoubleArray();
    double[] dy = diffDst.toDoubleArray();
    double[] dx = new double[diffSrc.size()];
    int[][] d = dims(src.shape(), diffDst.shape());
    int inPlane = d[0][0] * d[0][1] * d[0][2];
    int outPlane = d[1][0] * d[1][1] * d[1][2];
    int ih = d[0][1];
    int iw = d[0][2];
    each(src.shape(), diffDst.shape(), (pl, o, d0, d1, h0, h1, w0, w1) -> {
      double g = dy[pl * outPlane + o];
      int best = -1;
      double max = Double.NEGATIVE_INFINITY;
      double share = g / ((d1 - d0) * (h1 - h0) * (w1 - w0));
      for (int a = d0; a < d1; a++) {
        for (int b = h0; b < h1; b++) {
          for (int c = w0; c < w1; c++) {
            int i = pl * inPlane + (a * ih + b) * iw + c;
            if (kind == PoolParams.Kind.AVG) {
              dx[i] += share;
            } else if (best < 0 || x[i] > max) {
              best = i;
              max = x[i];
            }
          }
        }
      }
      if (kind == PoolParams.Kind.MAX) {
        dx[best] += g;
      }
    });
    diffSrc.copyFrom(dx);
  }
}
