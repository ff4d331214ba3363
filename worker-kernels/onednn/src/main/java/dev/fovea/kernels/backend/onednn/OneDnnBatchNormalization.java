package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.longs;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.backend.onednn.OneDnnPlan.Buffer;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * Plans for oneDNN's batch normalisation on row-major {@code (N, C, ...)} tensors, with scale
 * (gamma) and shift (beta) always present (the backend passes ones and zeros for null ones).
 * Training computes the batch mean and biased variance natively; the running-statistics update and
 * {@code 1 / sqrt(var + epsilon)} are C values each, computed by the backend in double exactly as
 * the reference does. Evaluation uses {@code use_global_stats}. Backward takes the saved mean and
 * the variance {@code 1 / invStd² - epsilon} recovered from the saved inverse standard deviation,
 * so oneDNN's {@code 1 / sqrt(var + epsilon)} gives back the saved value to rounding.
 */
final class OneDnnBatchNormalization {
  private OneDnnBatchNormalization() {}

  /** The cache key of a batch-normalisation plan; epsilon as oneDNN sees it (float). */
  record Key(boolean backward, boolean training, Shape src, float epsilon) {}

  /** Ranks oneDNN's batch normalisation takes: (N, C) to (N, C, D, H, W). */
  static boolean supports(Shape src) {
    return src.rank() >= 2 && src.rank() <= 5;
  }

  /**
   * Forward: {@code in: src, scale, shift[, mean, variance when evaluating]; out: dst[, mean,
   * variance when training]}. Backward: {@code in: src, mean, variance, diffDst, scale; out:
   * diffSrc, diffScale, diffShift}.
   */
  static OneDnnPlan plan(Key key, OneDnnContext ctx) {
    return OneDnnPlan.build(ctx, plan -> build(plan, key, ctx.engine()));
  }

  private static void build(OneDnnPlan plan, Key key, dnnl_engine engine) {
    dnnl_memory_desc data = plan.own(plain(longs(key.src.dims())));
    dnnl_memory_desc ch = plan.own(plain(key.src.dim(1)));
    int flags = dnnl_use_scale | dnnl_use_shift | (key.training ? 0 : dnnl_use_global_stats);
    dnnl_primitive_desc fwd = new dnnl_primitive_desc();
    int prop = key.backward || key.training ? dnnl_forward_training : dnnl_forward_inference;
    check(dnnl_batch_normalization_forward_primitive_desc_create(fwd, engine, prop, data, data, key.epsilon, flags,
        null), "batch normalization forward primitive_desc_create");
    plan.own(fwd);
    if (!key.backward) {
      Buffer x = plan.input(data, data);
      Buffer scale = plan.input(ch, ch);
      Buffer shift = plan.input(ch, ch);
      Buffer mean;
      Buffer var;
      if (key.training) {
        mean = plan.buffer(ch);
        var = plan.buffer(ch);
      } else {
        mean = plan.input(ch, ch);
        var = plan.input(ch, ch);
      }
      Buffer y = plan.output(data, data);
      if (key.training) {
        plan.output(mean);
        plan.output(var);
      }
      plan.primitive(fwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE,
          DNNL_ARG_DST}, new Buffer[] {x, scale, shift, mean, var, y});
      return;
    }
    dnnl_primitive_desc bwd = new dnnl_primitive_desc();
    check(dnnl_batch_normalization_backward_primitive_desc_create(bwd, engine, dnnl_backward, data, data, data,
        key.epsilon, flags, fwd, null), "batch normalization backward primitive_desc_create");
    plan.own(bwd);
    Buffer x = plan.input(data, data);
    Buffer mean = plan.input(ch, ch);
    Buffer var = plan.input(ch, ch);
    Buffer dy = plan.input(data, data);
    Buffer scale = plan.input(ch, ch);
    Buffer dx = plan.output(data, data);
    Buffer dScale = plan.output(ch, ch);
    Buffer dShift = plan.output(ch, ch);
    plan.primitive(bwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_DIFF_DST,
        DNNL_ARG_SCALE, DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT},
        new Buffer[] {x, mean, var, dy, scale, dx, dScale, dShift});
  }
}
