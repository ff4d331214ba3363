package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Tensor;

/**
 * 2D resampling of {@code src (N, C, H, W)} to {@code dst (N, C, H', W')} by nearest neighbour,
 * bilinear interpolation or bed of nails (zeros but for the top-left cell of each block), with the source coordinates documented on {@link ResamplingParams}
 * (PyTorch's {@code interpolate} with {@code size=(H', W')}):
 *
 * <pre>
 *   dst[n, c, i, j] = Σ_{a ∈ {0,1}} Σ_{b ∈ {0,1}} wh[i][a] · ww[j][b] · src[n, c, h[i][a], w[j][b]]
 * </pre>
 *
 * where nearest puts all weight on one tap and bed of nails puts weight 1 on one tap at the
 * top-left cell of each block and 0 elsewhere. The map is linear in src; backward is its adjoint,
 * scattering {@code diffDst} back with the same weights (overwriting {@code diffSrc}).
 */
final class ReferenceResampling {
  private ReferenceResampling() {}

  private static final String OP = "resampling";

  /** Per destination index: two source taps and their weights. */
  private record Taps(int[] i0, int[] i1, double[] w0, double[] w1) {}

  private static Taps taps(ResamplingParams p, int in, int out) {
    int[] i0 = new int[out];
    int[] i1 = new int[out];
    double[] w0 = new double[out];
    double[] w1 = new double[out];
    for (int d = 0; d < out; d++) {
      if (p.kind() == ResamplingParams.Kind.BED_OF_NAILS) {
        int f = out / in;
        i0[d] = d / f;
        i1[d] = i0[d];
        w0[d] = d % f == 0 ? 1 : 0;
        continue;
      }
      if (p.kind() == ResamplingParams.Kind.NEAREST) {
        i0[d] = Math.min((int) ((long) d * in / out), in - 1);
        i1[d] = i0[d];
        w0[d] = 1;
        continue;
      }
      double s;
      if (p.alignCorners()) {
        s = out > 1 ? (double) d * (in - 1) / (out - 1) : 0;
      } else {
        s = Math.max(0, (d + 0.5) * in / out - 0.5);
      }
      int lo = Math.min((int) Math.floor(s), in - 1);
      double lambda = s - lo;
      i0[d] = lo;
      i1[d] = Math.min(lo + 1, in - 1);
      w0[d] = 1 - lambda;
      w1[d] = lambda;
    }
    return new Taps(i0, i1, w0, w1);
  }

  private static void check(ResamplingParams p, Tensor src, Tensor dst) {
    if (src.shape().rank() != 4 || dst.shape().rank() != 4 || src.shape().dim(0) != dst.shape().dim(0)
        || src.shape().dim(1) != dst.shape().dim(1)) {
      throw new IllegalArgumentException(OP + ": source " + src.shape() + " and destination " + dst.shape()
          + " must both be (N, C, H, W) with equal N and C");
    }
    for (int a = 2; a < 4; a++) {
      if (src.shape().dim(a) < 1 || dst.shape().dim(a) < 1) {
        throw new IllegalArgumentException(OP + ": spatial sizes must be >= 1, got " + src.shape() + " to "
            + dst.shape());
      }
      if (p.kind() == ResamplingParams.Kind.BED_OF_NAILS && dst.shape().dim(a) % src.shape().dim(a) != 0) {
        throw new IllegalArgumentException(OP + ": bed of nails needs output sizes that are multiples of the input"
            + " sizes, got " + src.shape() + " to " + dst.shape());
      }
    }
  }

  /** Overwrites {@code dst (N, C, H', W')}. */
  static void forward(ResamplingParams p, Tensor src, Tensor dst) {
    check(p, src, dst);
    int planes = src.shape().dim(0) * src.shape().dim(1);
    int ih = src.shape().dim(2);
    int iw = src.shape().dim(3);
    int oh = dst.shape().dim(2);
    int ow = dst.shape().dim(3);
    Taps th = taps(p, ih, oh);
    Taps tw = taps(p, iw, ow);
    double[] x = src.toDoubleArray();
    double[] y = new double[dst.size()];
    for (int pl = 0; pl < planes; pl++) {
      int xo = pl * ih * iw;
      for (int i = 0; i < oh; i++) {
        int r0 = xo + th.i0[i] * iw;
        int r1 = xo + th.i1[i] * iw;
        for (int j = 0; j < ow; j++) {
          double top = tw.w0[j] * x[r0 + tw.i0[j]] + tw.w1[j] * x[r0 + tw.i1[j]];
          double bottom = tw.w0[j] * x[r1 + tw.i0[j]] + tw.w1[j] * x[r1 + tw.i1[j]];
          y[(pl * oh + i) * ow + j] = th.w0[i] * top + th.w1[i] * bottom;
        }
      }
    }
    dst.copyFrom(y);
  }

  /** Overwrites {@code diffSrc (N, C, H, W)} from {@code diffDst (N, C, H', W')}. */
  static void backward(ResamplingParams p, Tensor diffDst, Tensor diffSrc) {
    check(p, diffSrc, diffDst);
    int planes = diffSrc.shape().dim(0) * diffSrc.shape().dim(1);
    int ih = diffSrc.shape().dim(2);
    int iw = diffSrc.shape().dim(3);
    int oh = diffDst.shape().dim(2);
    int ow = diffDst.shape().dim(3);
    Taps th = taps(p, ih, oh);
    Taps tw = taps(p, iw, ow);
    double[] dy = diffDst.toDoubleArray();
    double[] dx = new double[diffSrc.size()];
    for (int pl = 0; pl < planes; pl++) {
      int xo = pl * ih * iw;
      for (int i = 0; i < oh; i++) {
        int r0 = xo + th.i0[i] * iw;
        int r1 = xo + th.i1[i] * iw;
        for (int j = 0; j < ow; j++) {
          double g = dy[(pl * oh + i) * ow + j];
          dx[r0 + tw.i0[j]] += th.w0[i] * tw.w0[j] * g;
          dx[r0 + tw.i1[j]] += th.w0[i] * tw.w1[j] * g;
          dx[r1 + tw.i0[j]] += th.w1[i] * tw.w0[j] * g;
          dx[r1 + tw.i1[j]] += th.w1[i] * tw.w1[j] * g;
        }
      }
    }
    diffSrc.copyFrom(dx);
  }
}
