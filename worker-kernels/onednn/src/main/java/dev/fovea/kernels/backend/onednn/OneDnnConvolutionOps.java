package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.allFloat;
import static dev.fovea.kernels.backend.onednn.OneDnnPlans.expect;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * The weighted ops of {@link OneDnnBackend}: convolution, transposed convolution and inner
 * product. Each method runs its op natively and returns true, or returns false having done nothing
 * (FLOAT64 tensors, a geometry oneDNN does not implement), and the backend then runs the reference.
 */
final class OneDnnConvolutionOps {
  private final OneDnnPlans plans;
  /** The backend, whose convolutions (with their own fallbacks) transposed convolution runs on. */
  private final Backend backend;

  OneDnnConvolutionOps(OneDnnPlans plans, Backend backend) {
    this.plans = plans;
    this.backend = backend;
  }

  // ---- convolution ----

  boolean convolutionForward(ConvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    OneDnnPlan plan = null;
    if (allFloat(src, weights, bias, dst)) {
      expect("convolution", "dst", dst, p.outputShape(src.shape(), weights.shape()));
      if (bias != null) {
        expect("convolution", "bias", bias, Shape.of(weights.shape().dim(0)));
      }
      plan = plans.convolutionPlan(new OneDnnConvolution.Key(OneDnnConvolution.Pass.FORWARD, p, src.shape(),
          weights.shape(), bias != null));
    }
    if (plan == null) {
      return false;
    }
    plans.runWithBias(plan, src, weights, bias, dst);
    return true;
  }

  boolean convolutionBackwardData(ConvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    OneDnnPlan plan = null;
    if (allFloat(diffDst, weights, diffSrc)) {
      expect("convolution", "diffDst", diffDst, p.outputShape(diffSrc.shape(), weights.shape()));
      plan = plans.convolutionPlan(new OneDnnConvolution.Key(OneDnnConvolution.Pass.BACKWARD_DATA, p,
          diffSrc.shape(), weights.shape(), false));
    }
    if (plan == null) {
      return false;
    }
    plans.run(plan, diffDst, weights, diffSrc);
    return true;
  }

  /** Accumulates into {@code diffWeights} and {@code diffBias}. */
  boolean convolutionBackwardWeights(ConvParams p, Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    OneDnnPlan plan = null;
    if (allFloat(src, diffDst, diffWeights, diffBias)) {
      expect("convolution", "diffDst", diffDst, p.outputShape(src.shape(), diffWeights.shape()));
      if (diffBias != null) {
        expect("convolution", "diffBias", diffBias, Shape.of(diffWeights.shape().dim(0)));
      }
      plan = plans.convolutionPlan(new OneDnnConvolution.Key(OneDnnConvolution.Pass.BACKWARD_WEIGHTS, p,
          src.shape(), diffWeights.shape(), diffBias != null));
    }
    if (plan == null) {
      return false;
    }
    plans.accumulateWeights(plan, src, diffDst, diffWeights, diffBias);
    return true;
  }

  // ---- transposed convolution ----
  //
  // Transposed convolution is the adjoint of convolution (ReferenceDeconvolution): its forward pass
  // is the backward-data pass of the convolution p.conv() from (N, OC, out...) to (N, C, in...) with
  // the same weights (C, OC / groups, k...), its backward-data pass is that convolution's forward
  // pass, and its weight gradient that convolution's weight gradient with source and destination
  // exchanged. So it runs on the convolution plans (timed layouts, remembered weights), as oneDNN's
  // own deconvolution primitive does internally; only the bias, one add per element, is done here.

  boolean deconvolutionForward(DeconvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    Shape out = p.outputShape(src.shape(), weights.shape());
    if (!allFloat(src, weights, bias, dst) || !dst.shape().equals(out)
        || bias != null && !bias.shape().equals(Shape.of(out.dim(1)))) {
      return false;
    }
    backend.convolutionBackwardData(p.conv(), src, weights, dst);
    if (bias != null) {
      int c = out.dim(1);
      int inner = out.size() / (out.dim(0) * c);
      float[] y = dst.floatArray();
      float[] b = bias.floatArray();
      int yo = dst.offset();
      for (int i = 0; i < out.size(); i++) {
        y[yo + i] += b[bias.offset() + (i / inner) % c];
      }
    }
    return true;
  }

  boolean deconvolutionBackwardData(DeconvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    if (!allFloat(diffDst, weights, diffSrc)) {
      return false;
    }
    expect("deconvolution", "diffDst", diffDst, p.outputShape(diffSrc.shape(), weights.shape()));
    backend.convolutionForward(p.conv(), diffDst, weights, null, diffSrc);
    return true;
  }

  /** Accumulates into {@code diffWeights} and {@code diffBias}. */
  boolean deconvolutionBackwardWeights(DeconvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
      Tensor diffBias) {
    Shape out = p.outputShape(src.shape(), diffWeights.shape());
    if (!allFloat(src, diffDst, diffWeights, diffBias) || !diffDst.shape().equals(out)
        || diffBias != null && !diffBias.shape().equals(Shape.of(out.dim(1)))) {
      return false;
    }
    backend.convolutionBackwardWeights(p.conv(), diffDst, src, diffWeights, null);
    if (diffBias != null) {
      int c = out.dim(1);
      int inner = out.size() / (out.dim(0) * c);
      double[] db = new double[c];
      float[] dy = diffDst.floatArray();
      for (int i = 0; i < out.size(); i++) {
        db[(i / inner) % c] += dy[diffDst.offset() + i];
      }
      diffBias.addFrom(db);
    }
    return true;
  }

  // ---- inner product ----

  /** {@code (N, K, O)} of an inner product, after the reference's shape checks. */
  private static int[] ipDims(Tensor src, Tensor weights, Tensor dst) {
    int n = src.shape().dim(0);
    int k = src.shape().sampleSize();
    if (weights.shape().rank() != 2 || weights.shape().dim(1) != k) {
      throw new IllegalArgumentException("inner product: weights " + weights.shape() + " do not fit source "
          + src.shape() + " (expected (O, " + k + "))");
    }
    int o = weights.shape().dim(0);
    expect("inner product", "dst", dst, Shape.of(n, o));
    return new int[] {n, k, o};
  }

  private OneDnnPlan innerProductPlan(OneDnnInnerProduct.Pass pass, int[] d, boolean bias) {
    return plans.plan(new OneDnnInnerProduct.Key(pass, d[0], d[1], d[2], bias),
        k -> OneDnnInnerProduct.plan((OneDnnInnerProduct.Key) k, plans.ctx));
  }

  boolean innerProductForward(Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    OneDnnPlan plan = null;
    if (allFloat(src, weights, bias, dst)) {
      int[] d = ipDims(src, weights, dst);
      if (bias != null) {
        expect("inner product", "bias", bias, Shape.of(d[2]));
      }
      plan = innerProductPlan(OneDnnInnerProduct.Pass.FORWARD, d, bias != null);
    }
    if (plan == null) {
      return false;
    }
    plans.runWithBias(plan, src, weights, bias, dst);
    return true;
  }

  boolean innerProductBackwardData(Tensor diffDst, Tensor weights, Tensor diffSrc) {
    OneDnnPlan plan = null;
    if (allFloat(diffDst, weights, diffSrc)) {
      int[] d = ipDims(diffSrc, weights, diffDst);
      plan = innerProductPlan(OneDnnInnerProduct.Pass.BACKWARD_DATA, d, false);
    }
    if (plan == null) {
      return false;
    }
    plans.run(plan, diffDst, weights, diffSrc);
    return true;
  }

  /** Accumulates into {@code diffWeights} and {@code diffBias}. */
  boolean innerProductBackwardWeights(Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    OneDnnPlan plan = null;
    if (allFloat(src, diffDst, diffWeights, diffBias)) {
      int[] d = ipDims(src, diffWeights, diffDst);
      if (diffBias != null) {
        expect("inner product", "diffBias", diffBias, Shape.of(d[2]));
      }
      plan = innerProductPlan(OneDnnInnerProduct.Pass.BACKWARD_WEIGHTS, d, diffBias != null);
    }
    if (plan == null) {
      return false;
    }
    plans.accumulateWeights(plan, src, diffDst, diffWeights, diffBias);
    return true;
  }
}
