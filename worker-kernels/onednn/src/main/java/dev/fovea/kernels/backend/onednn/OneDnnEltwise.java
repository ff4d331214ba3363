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
 * Plans for oneDNN's eltwise primitive over a tensor viewed as one vector. The kinds with a oneDNN
 * algorithm of the same formula and the same derivative (kinks included) map to it:
 *
 * <ul>
 *   <li>IDENTITY: {@code eltwise_linear} (alpha 1, beta 0); RELU(alpha): {@code eltwise_relu} with
 *       the same negative slope (derivative alpha at 0, as the reference);
 *   <li>SIGMOID: {@code logistic}; TANH: {@code tanh}; ELU(alpha): {@code elu}; GELU_ERF and
 *       GELU_TANH: {@code gelu_erf}, {@code gelu_tanh}; SWISH(alpha): {@code swish}; MISH: {@code
 *       mish};
 *   <li>HARD_SIGMOID and HARD_SWISH: {@code hardsigmoid}, {@code hardswish} with alpha 1/6, beta
 *       1/2; HARD_TANH and RELU6: {@code clip_v2} on [-1, 1] and [0, 6] (derivative 1 on the open
 *       interval only, as the reference).
 * </ul>
 *
 * The others (ATAN, RRELU, SELU, SOFTSIGN, ISRU, ISRLU, SQNL, BIPOLAR_RELU, BINARY_STEP) have no
 * oneDNN algorithm with the reference's formula and derivative and fall back to the reference.
 * SOFTPLUS would be {@code soft_relu} with alpha 1, but oneDNN 3.8's kernel loses precision for
 * large negative inputs (at x ≈ -8 it is off by 0.3 %, beyond the suite's 1e-6), so it stays on
 * the reference too.
 * RRELU at evaluation differs from {@code eltwise_relu} only in its derivative at exactly 0 (1, not
 * the slope), which is enough to keep it on the reference.
 */
final class OneDnnEltwise {
  private OneDnnEltwise() {}

  /** The cache key of an eltwise plan. */
  record Key(boolean backward, Activation f, int size) {}

  /** Whether {@code f} maps to a oneDNN algorithm. */
  static boolean supports(Activation f) {
    return algorithm(f.kind()) != 0;
  }

  /** The oneDNN algorithm of a kind, 0 when it has none here. */
  static int algorithm(Activation.Kind kind) {
    return switch (kind) {
      case IDENTITY -> dnnl_eltwise_linear;
      case RELU -> dnnl_eltwise_relu;
      case SIGMOID -> dnnl_eltwise_logistic;
      case TANH -> dnnl_eltwise_tanh;
      case ELU -> dnnl_eltwise_elu;
      case GELU_ERF -> dnnl_eltwise_gelu_erf;
      case GELU_TANH -> dnnl_eltwise_gelu_tanh;
      case SWISH -> dnnl_eltwise_swish;
      case MISH -> dnnl_eltwise_mish;
      case HARD_SIGMOID -> dnnl_eltwise_hardsigmoid;
      case HARD_SWISH -> dnnl_eltwise_hardswish;
      case HARD_TANH, RELU6 -> dnnl_eltwise_clip_v2;
      default -> 0;
    };
  }

  /** oneDNN's {@code alpha} and {@code beta} for {@code f}'s algorithm. */
  static float[] alphaBeta(Activation f) {
    float alpha = (float) f.alpha();
    float beta = 0f;
    switch (f.kind()) {
      case IDENTITY -> alpha = 1f;
      case HARD_SIGMOID, HARD_SWISH -> {
        alpha = 1f / 6;
        beta = 0.5f;
      }
      case HARD_TANH -> {
        alpha = -1f;
        beta = 1f;
      }
      case RELU6 -> {
        alpha = 0f;
        beta = 6f;
      }
      default -> {
        // RELU, ELU and SWISH take the activation's alpha; the others ignore it
      }
    }
    return new float[] {alpha, beta};
  }

  /** Forward: {@code in: src; out: dst}. Backward: {@code in: src, diffDst; out: diffSrc}. */
  static OneDnnPlan plan(Key key, OneDnnContext ctx) {
    return OneDnnPlan.build(ctx, plan -> build(plan, key, ctx.engine()));
  }

  private static void build(OneDnnPlan plan, Key key, dnnl_engine engine) {
    Activation f = key.f;
    int alg = algorithm(f.kind());
    if (alg == 0) {
      throw new OneDnn.Unimplemented("activation " + f.kind());
    }
    float[] ab = alphaBeta(f);
    float alpha = ab[0];
    float beta = ab[1];
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
