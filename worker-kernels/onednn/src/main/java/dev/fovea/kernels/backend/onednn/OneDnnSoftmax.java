package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.backend.onednn.OneDnnPlan.Buffer;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * Plans for oneDNN's softmax and log-softmax over the last axis of {@code (N, K)}: the ops {@code
 * softmaxForward} / {@code softmaxBackward} ({@link OpKey}), and the log-softmax under softmax
 * cross-entropy ({@link Key}). The backend finishes
 * softmax cross-entropy in Java from the log-probabilities: {@code dst = exp(logp)} and {@code loss =
 * -Σₙ logp[n, label]}, so the loss never takes the log of a rounded probability.
 */
final class OneDnnSoftmax {
  private OneDnnSoftmax() {}

  /** The cache key of the log-softmax plan under softmax cross-entropy. */
  record Key(int n, int k) {}

  /** The cache key of a softmax ({@code log} false) or log-softmax plan, forward or backward. */
  record OpKey(boolean backward, boolean log, int n, int k) {}

  /** Forward: {@code in: src; out: dst}. Backward: {@code in: dst, diffDst; out: diffSrc}. */
  static OneDnnPlan plan(OpKey key, OneDnnContext ctx) {
    OneDnnPlan plan = new OneDnnPlan(ctx);
    try {
      int alg = key.log ? dnnl_softmax_log : dnnl_softmax_accurate;
      dnnl_memory_desc md = plan.own(plain(key.n, key.k));
      dnnl_primitive_desc fwd = new dnnl_primitive_desc();
      check(dnnl_softmax_forward_primitive_desc_create(fwd, ctx.engine(), key.backward ? dnnl_forward_training
          : dnnl_forward_inference, alg, md, md, 1, null), "softmax forward primitive_desc_create");
      plan.own(fwd);
      if (!key.backward) {
        Buffer x = plan.input(md, md);
        Buffer y = plan.output(md, md);
        plan.primitive(fwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Buffer[] {x, y});
        return plan;
      }
      dnnl_primitive_desc bwd = new dnnl_primitive_desc();
      check(dnnl_softmax_backward_primitive_desc_create(bwd, ctx.engine(), alg, md, md, md, 1, fwd, null),
          "softmax backward primitive_desc_create");
      plan.own(bwd);
      Buffer y = plan.input(md, md);
      Buffer dy = plan.input(md, md);
      Buffer dx = plan.output(md, md);
      plan.primitive(bwd, new int[] {DNNL_ARG_DST, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC}, new Buffer[] {y, dy, dx});
      return plan;
    } catch (RuntimeException e) {
      plan.close();
      throw e;
    }
  }

  /** {@code in: src; out: log-probabilities}. */
  static OneDnnPlan plan(Key key, OneDnnContext ctx) {
    OneDnnPlan plan = new OneDnnPlan(ctx);
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
