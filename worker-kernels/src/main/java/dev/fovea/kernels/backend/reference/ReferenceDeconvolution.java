package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * Transposed convolution over 1, 2 or 3 spatial dimensions, defined as the adjoint of convolution:
 * with {@code conv} the convolution of {@link DeconvParams#conv()} taking {@code (N, OC, out...)}
 * to {@code (N, C, in...)} with weights {@code (C, OC / groups, k...)},
 *
 * <pre>
 *   dst = convᵀ(src, weights) + bias,   i.e.   ⟨conv(x, weights), src⟩ = ⟨x, convᵀ(src, weights)⟩ for all x
 * </pre>
 *
 * Element-wise: {@code dst[n, o, p·stride - padBegin + k·dilation] += weights[c, o - g·OC/G, k] ·
 * src[n, c, p]} for c in group g. So the forward pass is convolution's backward-data, the
 * backward-data pass is convolution's forward pass (without bias) and the weight gradient is
 * convolution's weight gradient with the roles of source and destination exchanged.
 */
final class ReferenceDeconvolution {
  private ReferenceDeconvolution() {}

  private static final String OP = "deconvolution";

  static void forward(DeconvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    Shape out = p.outputShape(src.shape(), weights.shape());
    Checks.shape(OP, "dst", dst, out);
    if (bias != null) {
      Checks.shape(OP, "bias", bias, Shape.of(out.dim(1)));
    }
    ReferenceConvolution.backwardData(p.conv(), src, weights, dst);
    if (bias != null) {
      double[] y = dst.toDoubleArray();
      int inner = Checks.inner(out);
      for (int i = 0; i < y.length; i++) {
        y[i] += bias.get((i / inner) % out.dim(1));
      }
      dst.copyFrom(y);
    }
  }

  /** Overwrites {@code diffSrc (N, C, in...)}. */
  static void backwardData(DeconvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    Checks.shape(OP, "diffDst", diffDst, p.outputShape(diffSrc.shape(), weights.shape()));
    ReferenceConvolution.forward(p.conv(), diffDst, weights, null, diffSrc);
  }

  /** Accumulates into {@code diffWeights (C, OC / groups, k...)} and {@code diffBias (OC)}. */
  static void backwardWeights(DeconvParams p, Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    Shape out = p.outputShape(src.shape(), diffWeights.shape());
    Checks.shape(OP, "diffDst", diffDst, out);
    ReferenceConvolution.backwardWeights(p.conv(), diffDst, src, diffWeights, null);
    if (diffBias != null) {
      Checks.shape(OP, "diffBias", diffBias, Shape.of(out.dim(1)));
      double[] db = new double[out.dim(1)];
      int inner = Checks.inner(out);
      for (int i = 0; i < diffDst.size(); i++) {
        db[(i / inner) % out.dim(1)] += diffDst.get(i);
      }
      diffBias.addFrom(db);
    }
  }
}
