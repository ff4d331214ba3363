package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.longs;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static dev.fovea.kernels.backend.onednn.OneDnnPlan.query;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.backend.onednn.OneDnnPlan.Buffer;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * Plans for oneDNN's pooling primitives on row-major tensors. Average pooling maps {@code
 * countPadding} to {@code pooling_avg_include_padding}, else {@code pooling_avg_exclude_padding}.
 * Max pooling backward needs the workspace (the arg-max) of a forward-training pass, so its plan
 * reruns the forward pass on {@code src} first: {@link dev.fovea.kernels.Backend#poolingBackward}
 * receives {@code src}, not the forward workspace.
 */
final class OneDnnPooling {
  private OneDnnPooling() {}

  /** The cache key of a pooling plan. */
  record Key(boolean backward, PoolParams p, Shape src) {}

  /** Whether {@code p}'s kind maps to a oneDNN algorithm (kinds added later fall back). */
  static boolean supports(PoolParams p) {
    return p.kind() == PoolParams.Kind.MAX || p.kind() == PoolParams.Kind.AVG;
  }

  /**
   * A new plan for {@code key}. Forward: {@code in: src; out: dst}. Backward: {@code in: diffDst,
   * src (max only); out: diffSrc}.
   */
  static OneDnnPlan plan(Key key, OneDnnContext ctx) {
    return OneDnnPlan.build(ctx, plan -> build(plan, key, ctx.engine()));
  }

  private static void build(OneDnnPlan plan, Key key, dnnl_engine engine) {
    PoolParams p = key.p;
    int alg = p.kind() == PoolParams.Kind.MAX ? dnnl_pooling_max
        : p.countPadding() ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding;
    dnnl_memory_desc src = plan.own(plain(longs(key.src.dims())));
    dnnl_memory_desc dst = plan.own(plain(longs(p.outputShape(key.src).dims())));
    long[] strides = longs(p.stride());
    long[] kernel = longs(p.kernel());
    long[] dilation = new long[p.spatialRank()];
    long[] padL = longs(p.padBegin());
    long[] padR = longs(p.padEnd());
    boolean max = p.kind() == PoolParams.Kind.MAX;
    dnnl_primitive_desc fwd = new dnnl_primitive_desc();
    int prop = key.backward ? dnnl_forward_training : dnnl_forward_inference;
    check(dnnl_pooling_forward_primitive_desc_create(fwd, engine, prop, alg, src, dst, strides, kernel, dilation, padL,
        padR, null), "pooling forward primitive_desc_create");
    plan.own(fwd);
    if (!key.backward) {
      Buffer x = plan.input(src, src);
      Buffer y = plan.output(dst, dst);
      plan.primitive(fwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Buffer[] {x, y});
      return;
    }
    dnnl_primitive_desc bwd = new dnnl_primitive_desc();
    check(dnnl_pooling_backward_primitive_desc_create(bwd, engine, alg, src, dst, strides, kernel, dilation, padL, padR,
        fwd, null), "pooling backward primitive_desc_create");
    plan.own(bwd);
    Buffer dy = plan.input(dst, dst);
    Buffer dx = plan.output(src, src);
    if (max) {
      Buffer x = plan.input(src, src);
      Buffer y = plan.buffer(dst);
      Buffer ws = plan.buffer(query(fwd, DNNL_ARG_WORKSPACE));
      plan.primitive(fwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_WORKSPACE}, new Buffer[] {x, y, ws});
      plan.primitive(bwd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC},
          new Buffer[] {dy, ws, dx});
    } else {
      plan.primitive(bwd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC}, new Buffer[] {dy, dx});
    }
  }
}
