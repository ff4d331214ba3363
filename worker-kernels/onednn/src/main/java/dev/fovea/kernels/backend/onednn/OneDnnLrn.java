package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.longs;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static dev.fovea.kernels.backend.onednn.OneDnnPlan.query;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.LrnParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.backend.onednn.OneDnnPlan.Buffer;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * Plans for oneDNN's {@code lrn_across_channels} on row-major {@code (N, C, ...)} tensors. oneDNN's
 * window is {@code [c - (size-1)/2, c + (size-1)/2]}, the reference's {@code [c - floor(size/2), c +
 * floor((size-1)/2)]}: the same for odd sizes only, so even sizes fall back. The formula {@code
 * dst = src · (k + alpha / size · Σ src²)^(-beta)} is the same. Backward reruns the forward pass
 * on {@code src} first when the implementation keeps a workspace, as pooling does.
 */
final class OneDnnLrn {
  private OneDnnLrn() {}

  /** The cache key of an LRN plan; parameters as oneDNN takes them (float). */
  record Key(boolean backward, Shape src, int size, float alpha, float beta, float k) {}

  /** Whether oneDNN's window is the reference's for {@code p} on a tensor of {@code src}'s shape. */
  static boolean supports(LrnParams p, Shape src) {
    return p.size() % 2 == 1 && src.rank() >= 3 && src.rank() <= 5;
  }

  /** Forward: {@code in: src; out: dst}. Backward: {@code in: src, diffDst; out: diffSrc}. */
  static OneDnnPlan plan(Key key, OneDnnContext ctx) {
    return OneDnnPlan.build(ctx, plan -> build(plan, key, ctx.engine()));
  }

  private static void build(OneDnnPlan plan, Key key, dnnl_engine engine) {
    dnnl_memory_desc md = plan.own(plain(longs(key.src.dims())));
    dnnl_primitive_desc fwd = new dnnl_primitive_desc();
    check(dnnl_lrn_forward_primitive_desc_create(fwd, engine, key.backward ? dnnl_forward_training
        : dnnl_forward_inference, dnnl_lrn_across_channels, md, md, key.size, key.alpha, key.beta, key.k, null),
        "lrn forward primitive_desc_create");
    plan.own(fwd);
    Buffer x = plan.input(md, md);
    if (!key.backward) {
      Buffer y = plan.output(md, md);
      plan.primitive(fwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Buffer[] {x, y});
      return;
    }
    dnnl_primitive_desc bwd = new dnnl_primitive_desc();
    check(dnnl_lrn_backward_primitive_desc_create(bwd, engine, dnnl_lrn_across_channels, md, md, md, key.size,
        key.alpha, key.beta, key.k, fwd, null), "lrn backward primitive_desc_create");
    plan.own(bwd);
    Buffer dy = plan.input(md, md);
    Buffer dx = plan.output(md, md);
    dnnl_memory_desc wsMd = query(bwd, DNNL_ARG_WORKSPACE);
    if (wsMd != null && !wsMd.isNull() && dnnl_memory_desc_get_size(wsMd) > 0) {
      Buffer y = plan.buffer(md);
      Buffer ws = plan.buffer(wsMd);
      plan.primitive(fwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_WORKSPACE}, new Buffer[] {x, y, ws});
      plan.primitive(bwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC},
          new Buffer[] {x, dy, ws, dx});
    } else {
      plan.primitive(bwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC}, new Buffer[] {x, dy, dx});
    }
  }
}
