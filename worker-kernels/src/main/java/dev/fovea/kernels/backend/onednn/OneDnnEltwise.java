package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.backend.onednn.OneDnnPlan.Buffer;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * Plans for oneDNN's eltwise primitive over a tensor viewed as one vector. {@code RELU(alpha)} is
 * {@code eltwise_relu} with the same alpha (negative slope; oneDNN's derivative at 0 is alpha, as
 * the reference's); {@code IDENTITY} is {@code eltwise_linear} with alpha 1, beta 0. Other kinds
 * have no mapping here and the backend falls back to the reference.
 */
final class OneDnnEltwise {
  private OneDnnEltwise() {}

  /** The cache key of an eltwise plan. */
  record Key(boolean backward, Activation f, int size) {}

  /** Whether {@code f} maps to a oneDNN algorithm. */
  static boolean supports(Activation f) {
    return f.kind() == Activation.Kind.RELU || f.kind() == Activation.Kind.IDENTITY;
  }

  /** Forward: {@code in: src; out: dst}. Backward: {@code in: src, diffDst; out: diffSrc}. */
  static OneDnnPlan plan(Key key, OneDnnContext ctx) {
    OneDnnPlan plan = new OneDnnPlan(ctx.engine(), ctx.stream());
    try {
      build(plan, key, ctx.engine());
      return plan;
    } catch (RuntimeException e) {
      plan.close();
      throw e;
    }
  }

  private static void build(OneDnnPlan plan, Key key, dnnl_engine engine) {
    Activation f = key.f;
    int alg;
    float alpha;
    float beta = 0f;
    if (f.kind() == Activation.Kind.RELU) {
      alg = dnnl_eltwise_relu;
      alpha = (float) f.alpha();
    } else if (f.kind() == Activation.Kind.IDENTITY) {
      alg = dnnl_eltwise_linear;
      alpha = 1f;
    } else {
      throw new OneDnn.Unimplemented("activation " + f.kind());
    }
    dnnl_memory_desc md = plan.own(plain(key.size));
    dnnl_primitive_desc fwd = new dnnl_primitive_desc();
    check(dnnl_eltwise_forward_primitive_desc_create(fwd, engine, key.backward ? dnnl_forward_training
        : dnnl_forward_inference, alg, md, md, alpha, beta, null), "eltwise forward primitive_desc_create");
    plan.own(fwd);
    if (!key.backward) {
      Buffer x = plan.input(md, md);
      Buffer y = plan.output(md, md);
      plan.primitive(fwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Buffer[] {x, y});
      return;
    }
    dnnl_primitive_desc bwd = new dnnl_primitive_desc();
    check(dnnl_eltwise_backward_primitive_desc_create(bwd, engine, alg, md, md, md, alpha, beta, fwd, null),
        "eltwise backward primitive_desc_create");
    plan.own(bwd);
    Buffer x = plan.input(md, md);
    Buffer dy = plan.input(md, md);
    Buffer dx = plan.output(md, md);
    plan.primitive(bwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC}, new Buffer[] {x, dy, dx});
  }
}
