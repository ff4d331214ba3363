package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * Convolution over 1, 2 or 3 spatial dimensions, with stride, dilation, asymmetric zero padding
 * and groups; the specification every backend's convolution matches.
 *
 * <p>Forward, for group g, output channel o in that group, output position p:
 *
 * <pre>
 *   dst[n, o, p] = bias[o] + Σ_{c in g} Σ_{k} weights[o, c - g·C/G, k] · src[n, c, p·stride - padBegin + k·dilation]
 * </pre>
 *
 * where src outside its bounds is zero. Backward-data is the adjoint of this map in {@code src};
 * backward-weights its adjoint in {@code weights}. Computed in double by lowering each image and
 * group to a matrix of input patches (im2col) and multiplying.
 */
final class ReferenceConvolution {
  private ReferenceConvolution() {}

  /** Geometry with every convolution viewed as 3D (missing leading spatial axes have size 1). */
  private record Geo(int n, int c, int oc, int groups, int[] in, int[] k, int[] out, int[] stride, int[] pad,
      int[] dil) {
    int cg() {
      return c / groups;
    }

    int ocg() {
      return oc / groups;
    }

    int inSize() {
      return in[0] * in[1] * in[2];
    }

    int outSize() {
      return out[0] * out[1] * out[2];
    }

    int kSize() {
      return k[0] * k[1] * k[2];
    }

    /** Rows of a group's patch matrix: C/G · kernel size. */
    int rows() {
      return cg() * kSize();
    }
  }

  private static Geo geo(ConvParams p, Shape src, Shape weights) {
    Shape dst = p.outputShape(src, weights);
    int r = p.spatialRank();
    int[] in = {1, 1, 1};
    int[] k = {1, 1, 1};
    int[] out = {1, 1, 1};
    int[] stride = {1, 1, 1};
    int[] pad = {0, 0, 0};
    int[] dil = {1, 1, 1};
    for (int i = 0; i < r; i++) {
      int j = 3 - r + i;
      in[j] = src.dim(2 + i);
      k[j] = weights.dim(2 + i);
      out[j] = dst.dim(2 + i);
      stride[j] = p.stride()[i];
      pad[j] = p.padBegin()[i];
      dil[j] = p.dilation()[i];
    }
    return new Geo(src.dim(0), src.dim(1), weights.dim(0), p.groups(), in, k, out, stride, pad, dil);
  }

  private static void expect(String what, Tensor t, Shape shape) {
    if (!t.shape().equals(shape)) {
      throw new IllegalArgumentException("convolution: " + what + " is " + t.shape() + ", expected " + shape);
    }
  }

  /** Fills {@code col (rows, outSize)} with group g's input patches of image {@code x}. */
  private static void im2col(Geo g, double[] x, int xOff, int group, double[] col) {
    int outSize = g.outSize();
    int row = 0;
    for (int c = 0; c < g.cg(); c++) {
      int plane = xOff + (group * g.cg() + c) * g.inSize();
      for (int kd = 0; kd < g.k[0]; kd++) {
        for (int kh = 0; kh < g.k[1]; kh++) {
          for (int kw = 0; kw < g.k[2]; kw++, row++) {
            int base = row * outSize;
            int q = 0;
            for (int od = 0; od < g.out[0]; od++) {
              int id = od * g.stride[0] - g.pad[0] + kd * g.dil[0];
              for (int oh = 0; oh < g.out[1]; oh++) {
                int ih = oh * g.stride[1] - g.pad[1] + kh * g.dil[1];
                boolean rowInside = id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1];
                int src = plane + (id * g.in[1] + ih) * g.in[2];
                for (int ow = 0; ow < g.out[2]; ow++, q++) {
                  int iw = ow * g.stride[2] - g.pad[2] + kw * g.dil[2];
                  col[base + q] = rowInside && iw >= 0 && iw < g.in[2] ? x[src + iw] : 0;
                }
              }
            }
          }
        }
      }
    }
  }

  /** Adds the patch matrix {@code col} back into image {@code dx} (the adjoint of im2col). */
  private static void col2im(Geo g, double[] col, int group, double[] dx, int dxOff) {
    int outSize = g.outSize();
    int row = 0;
    for (int c = 0; c < g.cg(); c++) {
      int plane = dxOff + (group * g.cg() + c) * g.inSize();
      for (int kd = 0; kd < g.k[0]; kd++) {
        for (int kh = 0; kh < g.k[1]; kh++) {
          for (int kw = 0; kw < g.k[2]; kw++, row++) {
            int base = row * outSize;
            int q = 0;
            for (int od = 0; od < g.out[0]; od++) {
              int id = od * g.stride[0] - g.pad[0] + kd * g.dil[0];
              for (int oh = 0; oh < g.out[1]; oh++) {
                int ih = oh * g.stride[1] - g.pad[1] + kh * g.dil[1];
                boolean rowInside = id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1];
                int dst = plane + (id * g.in[1] + ih) * g.in[2];
                for (int ow = 0; ow < g.out[2]; ow++, q++) {
                  int iw = ow * g.stride[2] - g.pad[2] + kw * g.dil[2];
                  if (rowInside && iw >= 0 && iw < g.in[2]) {
                    dx[dst + iw] += col[base + q];
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  static void forward(ConvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    Geo g = geo(p, src.shape(), weights.shape());
    expect("dst", dst, p.outputShape(src.shape(), weights.shape()));
    if (bias != null) {
      expect("bias", bias, Shape.of(g.oc));
    }
    double[] x = src.toDoubleArray();
    double[] w = weights.toDoubleArray();
    double[] b = bias == null ? null : bias.toDoubleArray();
    double[] y = new double[dst.size()];
    double[] col = new double[g.rows() * g.outSize()];
    int outSize = g.outSize();
    for (int n = 0; n < g.n; n++) {
      for (int grp = 0; grp < g.groups; grp++) {
        im2col(g, x, n * g.c * g.inSize(), grp, col);
        int yOff = (n * g.oc + grp * g.ocg()) * outSize;
        Gemm.nn(g.ocg(), outSize, g.rows(), w, grp * g.ocg() * g.rows(), col, 0, y, yOff);
      }
      if (b != null) {
        for (int o = 0; o < g.oc; o++) {
          int base = (n * g.oc + o) * outSize;
          for (int q = 0; q < outSize; q++) {
            y[base + q] += b[o];
          }
        }
      }
    }
    dst.copyFrom(y);
  }

  static void backwardData(ConvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    Geo g = geo(p, diffSrc.shape(), weights.shape());
    expect("diffDst", diffDst, p.outputShape(diffSrc.shape(), weights.shape()));
    double[] dy = diffDst.toDoubleArray();
    double[] w = weights.toDoubleArray();
    double[] dx = new double[diffSrc.size()];
    double[] col = new double[g.rows() * g.outSize()];
    int outSize = g.outSize();
    for (int n = 0; n < g.n; n++) {
      for (int grp = 0; grp < g.groups; grp++) {
        java.util.Arrays.fill(col, 0);
        int yOff = (n * g.oc + grp * g.ocg()) * outSize;
        Gemm.tn(g.rows(), outSize, g.ocg(), w, grp * g.ocg() * g.rows(), dy, yOff, col, 0);
        col2im(g, col, grp, dx, n * g.c * g.inSize());
      }
    }
    diffSrc.copyFrom(dx);
  }

  static void backwardWeights(ConvParams p, Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    Geo g = geo(p, src.shape(), diffWeights.shape());
    expect("diffDst", diffDst, p.outputShape(src.shape(), diffWeights.shape()));
    if (diffBias != null) {
      expect("diffBias", diffBias, Shape.of(g.oc));
    }
    double[] x = src.toDoubleArray();
    double[] dy = diffDst.toDoubleArray();
    double[] dw = new double[diffWeights.size()];
    double[] col = new double[g.rows() * g.outSize()];
    int outSize = g.outSize();
    for (int n = 0; n < g.n; n++) {
      for (int grp = 0; grp < g.groups; grp++) {
        im2col(g, x, n * g.c * g.inSize(), grp, col);
        int yOff = (n * g.oc + grp * g.ocg()) * outSize;
        Gemm.nt(g.ocg(), g.rows(), outSize, dy, yOff, col, 0, dw, grp * g.ocg() * g.rows());
      }
    }
    diffWeights.addFrom(dw);
    if (diffBias != null) {
      double[] db = new double[g.oc];
      for (int n = 0; n < g.n; n++) {
        for (int o = 0; o < g.oc; o++) {
          int base = (n * g.oc + o) * outSize;
          double s = 0;
          for (int q = 0; q < outSize; q++) {
            s += dy[base + q];
          }
          db[o] += s;
        }
      }
      diffBias.addFrom(db);
    }
  }
}
