package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * Max and average pooling over 1, 2 or 3 spatial dimensions.
 *
 * <p>Max: {@code dst[n, c, p] = max_{k} src[n, c, p·stride - padBegin + k]} over the window cells
 * inside the source; ties go to the first cell in row-major window order, and backward routes the
 * whole gradient there. Average: the mean over the window cells inside the source, or over the full
 * kernel size when {@code countPadding}; backward spreads the gradient evenly over the same cells.
 */
final class ReferencePooling {
  private ReferencePooling() {}

  private record Geo(int planes, int[] in, int[] out, int[] k, int[] stride, int[] pad) {
    int inSize() {
      return in[0] * in[1] * in[2];
    }

    int outSize() {
      return out[0] * out[1] * out[2];
    }
  }

  private static Geo geo(PoolParams p, Shape src) {
    Shape dst = p.outputShape(src);
    int r = p.spatialRank();
    int[] in = {1, 1, 1};
    int[] out = {1, 1, 1};
    int[] k = {1, 1, 1};
    int[] stride = {1, 1, 1};
    int[] pad = {0, 0, 0};
    for (int i = 0; i < r; i++) {
      int j = 3 - r + i;
      in[j] = src.dim(2 + i);
      out[j] = dst.dim(2 + i);
      k[j] = p.kernel()[i];
      stride[j] = p.stride()[i];
      pad[j] = p.padBegin()[i];
    }
    return new Geo(src.dim(0) * src.dim(1), in, out, k, stride, pad);
  }

  /**
   * Visits one output cell's window: for each source cell inside the source, its index within the
   * plane; returns how many cells the divisor counts.
   */
  private interface CellVisitor {
    void visit(int srcIndex);
  }

  private static int window(PoolParams p, Geo g, int od, int oh, int ow, CellVisitor v) {
    int counted = 0;
    for (int kd = 0; kd < g.k[0]; kd++) {
      int id = od * g.stride[0] - g.pad[0] + kd;
      for (int kh = 0; kh < g.k[1]; kh++) {
        int ih = oh * g.stride[1] - g.pad[1] + kh;
        for (int kw = 0; kw < g.k[2]; kw++) {
          int iw = ow * g.stride[2] - g.pad[2] + kw;
          boolean inside = id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1] && iw >= 0 && iw < g.in[2];
          if (inside) {
            v.visit((id * g.in[1] + ih) * g.in[2] + iw);
            counted++;
          } else if (p.countPadding()) {
            counted++;
          }
        }
      }
    }
    return counted;
  }

  static void forward(PoolParams p, Tensor src, Tensor dst) {
    Geo g = geo(p, src.shape());
    if (!dst.shape().equals(p.outputShape(src.shape()))) {
      throw new IllegalArgumentException("pooling: dst is " + dst.shape() + ", expected " + p.outputShape(src.shape()));
    }
    double[] x = src.toDoubleArray();
    double[] y = new double[dst.size()];
    double[] acc = new double[1];
    for (int plane = 0; plane < g.planes; plane++) {
      int xo = plane * g.inSize();
      int q = plane * g.outSize();
      for (int od = 0; od < g.out[0]; od++) {
        for (int oh = 0; oh < g.out[1]; oh++) {
          for (int ow = 0; ow < g.out[2]; ow++, q++) {
            if (p.kind() == PoolParams.Kind.MAX) {
              acc[0] = Double.NEGATIVE_INFINITY;
              window(p, g, od, oh, ow, i -> acc[0] = Math.max(acc[0], x[xo + i]));
            } else {
              acc[0] = 0;
              int count = window(p, g, od, oh, ow, i -> acc[0] += x[xo + i]);
              acc[0] /= count;
            }
            y[q] = acc[0];
          }
        }
      }
    }
    dst.copyFrom(y);
  }

  /**
   * Max pooling that also records, for each destination cell, the index of its first maximum within
   * its source {@code (n, c)} plane (row-major over the spatial axes, PyTorch's {@code
   * return_indices=True}). {@code dst} and {@code indices} are overwritten.
   */
  static void forwardWithIndices(PoolParams p, Tensor src, Tensor dst, int[] indices) {
    if (p.kind() != PoolParams.Kind.MAX) {
      throw new IllegalArgumentException("pooling with indices: kind must be MAX, got " + p.kind());
    }
    Geo g = geo(p, src.shape());
    if (!dst.shape().equals(p.outputShape(src.shape()))) {
      throw new IllegalArgumentException("pooling: dst is " + dst.shape() + ", expected " + p.outputShape(src.shape()));
    }
    if (indices.length != dst.size()) {
      throw new IllegalArgumentException("pooling with indices: indices has " + indices.length + " entries, dst "
          + dst.size());
    }
    double[] x = src.toDoubleArray();
    double[] y = new double[dst.size()];
    double[] best = new double[1];
    int[] arg = new int[1];
    for (int plane = 0; plane < g.planes; plane++) {
      int xo = plane * g.inSize();
      int q = plane * g.outSize();
      for (int od = 0; od < g.out[0]; od++) {
        for (int oh = 0; oh < g.out[1]; oh++) {
          for (int ow = 0; ow < g.out[2]; ow++, q++) {
            best[0] = Double.NEGATIVE_INFINITY;
            arg[0] = -1;
            window(p, g, od, oh, ow, i -> {
              if (x[xo + i] > best[0] || arg[0] < 0) {
                best[0] = x[xo + i];
                arg[0] = i;
              }
            });
            y[q] = best[0];
            indices[q] = arg[0];
          }
        }
      }
    }
    dst.copyFrom(y);
  }

  static void backward(PoolParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    Geo g = geo(p, src.shape());
    if (!diffSrc.shape().equals(src.shape())) {
      throw new IllegalArgumentException("pooling: diffSrc is " + diffSrc.shape() + ", expected " + src.shape());
    }
    double[] x = src.toDoubleArray();
    double[] dy = diffDst.toDoubleArray();
    double[] dx = new double[diffSrc.size()];
    double[] best = new double[1];
    int[] arg = new int[1];
    for (int plane = 0; plane < g.planes; plane++) {
      int xo = plane * g.inSize();
      int q = plane * g.outSize();
      for (int od = 0; od < g.out[0]; od++) {
        for (int oh = 0; oh < g.out[1]; oh++) {
          for (int ow = 0; ow < g.out[2]; ow++, q++) {
            if (p.kind() == PoolParams.Kind.MAX) {
              best[0] = Double.NEGATIVE_INFINITY;
              arg[0] = -1;
              window(p, g, od, oh, ow, i -> {
                if (x[xo + i] > best[0] || arg[0] < 0) {
                  best[0] = x[xo + i];
                  arg[0] = i;
                }
              });
              dx[xo + arg[0]] += dy[q];
            } else {
              int count = window(p, g, od, oh, ow, i -> { });
              double share = dy[q] / count;
              window(p, g, od, oh, ow, i -> dx[xo + i] += share);
            }
          }
        }
      }
    }
    diffSrc.copyFrom(dx);
  }
}
