package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.backend.onednn.OneDnnPlan.Buffer;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * Plan for oneDNN's log-softmax over the last axis of {@code (N, K)} logits. The backend finishes
 * softmax cross-entropy in Java from the log-probabilities: {@code dst = exp(logp)} and {@code loss =
 * -Σₙ logp[n, label]}, so the loss never takes the log of a rounded probability.
 */
final class OneDnnSoftmax {
  private OneDnnSoftmax() {}

  /** The cache key of a log-softmax plan. */
  record Key(int n, int k) {}

  /** {@code in: src; out: log-probabilities}. */
  static OneDnnPlan plan(Key key, OneDnnContext ctx) {
    OneDnnPlan plan = new OneDnnPlan(ctx.engine(), ctx.stream());
    try {
      dnnl_memory_desc md = plan.own(plain(key.n, key.k));
      dnnl_primitive_desc pd = new dnnl_primitive_desc();
      check(dnnl_softmax_forward_primitive_desc_create(pd, ctx.engine(), dnnl_forward_inference, dnnl_softmax_log, md,
          md, 1, null), "softmax forward primitive_desc_create");
      plan.own(pd);
      Buffer x = plan.input(md, md);
      Buffer y = plan.output(md, md);
      plan.primitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Buffer[] {x, y});
      return plan;
    } catch (RuntimeException e) {
      plan.close();
      throw e;
    }
  }
}
