package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.allFloat;
import static dev.fovea.kernels.backend.onednn.OneDnnPlans.expect;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.Arrays;

/**
 * Pooling and resampling of {@link OneDnnBackend}. Each method runs its op natively and returns
 * true, or returns false having done nothing, and the backend then runs the reference.
 */
final class OneDnnPoolingOps {
  private final OneDnnPlans plans;
  /** The backend, whose transposed convolution (with its own fallbacks) bed-of-nails resampling runs on. */
  private final Backend backend;

  OneDnnPoolingOps(OneDnnPlans plans, Backend backend) {
    this.plans = plans;
    this.backend = backend;
  }

  // ---- pooling ----

  private OneDnnPlan poolingPlan(boolean backward, PoolParams p, Shape src) {
    return plans.plan(new OneDnnPooling.Key(backward, p, src),
        k -> OneDnnPooling.plan((OneDnnPooling.Key) k, plans.ctx));
  }

  boolean poolingForward(PoolParams p, Tensor src, Tensor dst) {
    OneDnnPlan plan = null;
    if (OneDnnPooling.supports(p) && allFloat(src, dst)) {
      expect("pooling", "dst", dst, p.outputShape(src.shape()));
      plan = poolingPlan(false, p, src.shape());
    }
    if (plan == null) {
      return false;
    }
    plans.run(plan, src, dst);
    return true;
  }

  boolean poolingBackward(PoolParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    OneDnnPlan plan = null;
    if (OneDnnPooling.supports(p) && allFloat(src, diffDst, diffSrc)) {
      expect("pooling", "diffDst", diffDst, p.outputShape(src.shape()));
      expect("pooling", "diffSrc", diffSrc, src.shape());
      plan = poolingPlan(true, p, src.shape());
    }
    if (plan == null) {
      return false;
    }
    plan.in(0).write(diffDst);
    if (p.kind() == PoolParams.Kind.MAX) {
      plan.in(1).write(src);
    }
    plans.run(plan);
    plan.out(0).read(diffSrc);
    return true;
  }

  // ---- resampling ----

  /**
   * Bed of nails as oneDNN runs it: a depthwise 1×1 transposed convolution with stride f (the
   * factor of each axis), weights 1 and output padding f - 1 puts {@code src[d]} at {@code d · f}
   * and zeros between; its backward-data is the strided depthwise 1×1 convolution that reads every
   * f-th cell. Each output is one product by 1, so the results are exactly the reference's. Null
   * when the shapes are not (N, C, H, W) with integer factors (the reference then names the error).
   */
  private static DeconvParams bedOfNails(Shape src, Shape dst) {
    if (src.rank() != 4 || dst.rank() != 4 || src.dim(0) != dst.dim(0) || src.dim(1) != dst.dim(1)) {
      return null;
    }
    int[] f = new int[2];
    for (int a = 0; a < 2; a++) {
      if (src.dim(2 + a) < 1 || dst.dim(2 + a) % src.dim(2 + a) != 0) {
        return null;
      }
      f[a] = dst.dim(2 + a) / src.dim(2 + a);
    }
    return new DeconvParams(new ConvParams(f, new int[2], new int[2], new int[] {1, 1}, src.dim(1)),
        new int[] {f[0] - 1, f[1] - 1});
  }

  /** The depthwise weights {@code (C, 1, 1, 1)} of ones for {@link #bedOfNails}. */
  private static Tensor ones(int channels) {
    float[] w = new float[channels];
    Arrays.fill(w, 1f);
    return Tensor.wrap(w, Shape.of(channels, 1, 1, 1));
  }

  boolean resamplingForward(ResamplingParams p, Tensor src, Tensor dst) {
    DeconvParams nails = p.kind() == ResamplingParams.Kind.BED_OF_NAILS ? bedOfNails(src.shape(), dst.shape()) : null;
    if (nails != null && allFloat(src, dst)) {
      backend.deconvolutionForward(nails, src, ones(src.shape().dim(1)), null, dst);
      return true;
    }
    return resampling(false, p, src.shape(), dst.shape(), src, dst);
  }

  boolean resamplingBackward(ResamplingParams p, Tensor diffDst, Tensor diffSrc) {
    DeconvParams nails = p.kind() == ResamplingParams.Kind.BED_OF_NAILS ? bedOfNails(diffSrc.shape(), diffDst.shape())
        : null;
    if (nails != null && allFloat(diffDst, diffSrc)) {
      backend.deconvolutionBackwardData(nails, diffDst, ones(diffSrc.shape().dim(1)), diffSrc);
      return true;
    }
    return resampling(true, p, diffSrc.shape(), diffDst.shape(), diffDst, diffSrc);
  }

  /**
   * One pass of oneDNN's resampling primitive between the {@code small} (source) and {@code large}
   * (destination) shapes, reading {@code in} and writing {@code out}; false (nothing done) where
   * oneDNN has no primitive for it and the reference must run.
   */
  private boolean resampling(boolean backward, ResamplingParams p, Shape small, Shape large, Tensor in, Tensor out) {
    if (!allFloat(in, out) || !OneDnnResampling.supports(p, small, large)) {
      return false;
    }
    OneDnnPlan plan = plans.plan(new OneDnnResampling.Key(backward, p.kind() == ResamplingParams.Kind.NEAREST, small,
        large), k -> OneDnnResampling.plan((OneDnnResampling.Key) k, plans.ctx));
    if (plan == null) {
      return false;
    }
    plans.run(plan, in, out);
    return true;
  }
}
