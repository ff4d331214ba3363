package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.any;
import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static dev.fovea.kernels.backend.onednn.OneDnnPlan.query;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.backend.onednn.OneDnnPlan.Buffer;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * Plans for oneDNN's inner product primitives: src {@code (N, K)} (a source of higher rank is read
 * as its row-major {@code (N, K)} view), weights {@code (O, K)}, bias {@code (O)}, dst {@code (N,
 * O)}. Layouts are left to oneDNN and reordered at the boundary.
 */
final class OneDnnInnerProduct {
  private OneDnnInnerProduct() {}

  /** Which primitive a plan runs. */
  enum Pass {
    FORWARD,
    BACKWARD_DATA,
    BACKWARD_WEIGHTS
  }

  /** The cache key of an inner product plan. */
  record Key(Pass pass, int n, int k, int o, boolean bias) {}

  /**
   * Forward {@code in: src, weights[, bias]; out: dst}; backward-data {@code in: diffDst, weights;
   * out: diffSrc}; backward-weights {@code in: src, diffDst; out: diffWeights[, diffBias]}.
   */
  static OneDnnPlan plan(Key key, OneDnnContext ctx) {
    return OneDnnPlan.build(ctx, plan -> build(plan, key, ctx.engine()));
  }

  private static dnnl_primitive_desc forwardPd(OneDnnPlan plan, dnnl_engine engine, Key key, boolean bias) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_inner_product_forward_primitive_desc_create(pd, engine, dnnl_forward_training,
        plan.own(any(key.n, key.k)), plan.own(any(key.o, key.k)), bias ? plan.own(any(key.o)) : null,
        plan.own(any(key.n, key.o)), null), "inner product forward primitive_desc_create");
    return plan.own(pd);
  }

  private static void build(OneDnnPlan plan, Key key, dnnl_engine engine) {
    dnnl_memory_desc src = plan.own(plain(key.n, key.k));
    dnnl_memory_desc weights = plan.own(plain(key.o, key.k));
    dnnl_memory_desc bias = plan.own(plain(key.o));
    dnnl_memory_desc dst = plan.own(plain(key.n, key.o));
    switch (key.pass) {
      case FORWARD -> {
        dnnl_primitive_desc pd = forwardPd(plan, engine, key, key.bias);
        plan.weightedForward(pd, src, weights, key.bias ? bias : null, dst);
      }
      case BACKWARD_DATA -> {
        dnnl_primitive_desc hint = forwardPd(plan, engine, key, false);
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_inner_product_backward_data_primitive_desc_create(pd, engine, plan.own(any(key.n, key.k)),
            plan.own(any(key.o, key.k)), plan.own(any(key.n, key.o)), hint, null),
            "inner product backward-data primitive_desc_create");
        plan.own(pd);
        Buffer dy = plan.input(dst, query(pd, DNNL_ARG_DIFF_DST));
        Buffer w = plan.inputRemembered(weights, query(pd, DNNL_ARG_WEIGHTS));
        Buffer dx = plan.output(query(pd, DNNL_ARG_DIFF_SRC), src);
        plan.primitive(pd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
            new Buffer[] {dy, w, dx});
      }
      case BACKWARD_WEIGHTS -> {
        dnnl_primitive_desc hint = forwardPd(plan, engine, key, key.bias);
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_inner_product_backward_weights_primitive_desc_create(pd, engine, plan.own(any(key.n, key.k)),
            plan.own(any(key.o, key.k)), key.bias ? plan.own(any(key.o)) : null, plan.own(any(key.n, key.o)), hint,
            null), "inner product backward-weights primitive_desc_create");
        plan.own(pd);
        plan.weightedBackwardWeights(pd, src, dst, weights, key.bias ? bias : null);
      }
      default -> throw new AssertionError(key.pass);
    }
  }
}
