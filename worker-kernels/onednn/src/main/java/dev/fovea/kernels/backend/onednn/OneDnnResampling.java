package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.longs;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.backend.onednn.OneDnnPlan.Buffer;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * Plans for oneDNN's 2D resampling on row-major {@code (N, C, H, W)} tensors; the sizes come from
 * the descriptors (no factors). Bilinear without aligned corners is oneDNN's {@code
 * resampling_linear}: both use the half-pixel source coordinate {@code (d + 1/2) · in / out - 1/2},
 * and where the reference clamps it at 0 oneDNN puts both taps on index 0, the same value and the
 * same gradient. oneDNN has no aligned-corners mode, so those fall back. Nearest is {@code
 * resampling_nearest}, whose source index {@code round((d + 1/2) · in / out - 1/2)} differs from the
 * reference's {@code floor(d · in / out)} for some sizes: it runs natively only when the two index
 * maps agree on both axes (integer upsampling factors do), else falls back. Bed of nails has no
 * resampling algorithm; {@code OneDnnBackend} runs it as a depthwise 1×1 transposed convolution.
 */
final class OneDnnResampling {
  private OneDnnResampling() {}

  /** The cache key of a resampling plan. */
  record Key(boolean backward, boolean nearest, Shape src, Shape dst) {}

  /** Whether oneDNN computes the reference's map for {@code p} from {@code src} to {@code dst}. */
  static boolean supports(ResamplingParams p, Shape src, Shape dst) {
    if (src.rank() != 4 || dst.rank() != 4 || src.dim(0) != dst.dim(0) || src.dim(1) != dst.dim(1)) {
      return false;
    }
    if (p.kind() == ResamplingParams.Kind.BILINEAR) {
      return !p.alignCorners();
    }
    return p.kind() == ResamplingParams.Kind.NEAREST && nearestAgrees(src.dim(2), dst.dim(2))
        && nearestAgrees(src.dim(3), dst.dim(3));
  }

  /** Whether oneDNN's nearest index (its {@code roundf} in float) is the reference's for every output index. */
  private static boolean nearestAgrees(int in, int out) {
    for (int d = 0; d < out; d++) {
      int reference = Math.min((int) ((long) d * in / out), in - 1);
      float s = ((float) d + 0.5f) * in / out - 0.5f;
      int onednn = Math.min(Math.max(Math.round(s), 0), in - 1);
      if (Math.abs(s - Math.round(s)) == 0.5f || onednn != reference) {
        return false; // a tie would depend on the rounding mode: leave it to the reference
      }
    }
    return true;
  }

  /** Forward: {@code in: src; out: dst}. Backward: {@code in: diffDst; out: diffSrc}. */
  static OneDnnPlan plan(Key key, OneDnnContext ctx) {
    return OneDnnPlan.build(ctx, plan -> build(plan, key, ctx.engine()));
  }

  private static void build(OneDnnPlan plan, Key key, dnnl_engine engine) {
    int alg = key.nearest ? dnnl_resampling_nearest : dnnl_resampling_linear;
    dnnl_memory_desc src = plan.own(plain(longs(key.src.dims())));
    dnnl_memory_desc dst = plan.own(plain(longs(key.dst.dims())));
    dnnl_primitive_desc fwd = new dnnl_primitive_desc();
    check(dnnl_resampling_forward_primitive_desc_create(fwd, engine, key.backward ? dnnl_forward_training
        : dnnl_forward_inference, alg, (float[]) null, src, dst, null), "resampling forward primitive_desc_create");
    plan.own(fwd);
    if (!key.backward) {
      Buffer x = plan.input(src, src);
      Buffer y = plan.output(dst, dst);
      plan.primitive(fwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Buffer[] {x, y});
      return;
    }
    dnnl_primitive_desc bwd = new dnnl_primitive_desc();
    check(dnnl_resampling_backward_primitive_desc_create(bwd, engine, alg, (float[]) null, src, dst, fwd, null),
        "resampling backward primitive_desc_create");
    plan.own(bwd);
    Buffer dy = plan.input(dst, dst);
    Buffer dx = plan.output(src, src);
    plan.primitive(bwd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC}, new Buffer[] {dy, dx});
  }
}
