package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.backend.onednn.OneDnnPlan.Buffer;
import java.util.List;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Plans for oneDNN's sum primitive, {@code dst = Σᵢ scales[i] · srcs[i]}, over tensors of one
 * size viewed as vectors; the scales are floats, as oneDNN takes them.
 */
final class OneDnnSum {
  private OneDnnSum() {}

  /** The cache key of a sum plan. */
  record Key(List<Float> scales, int size) {}

  /** {@code in: srcs[0], srcs[1], ...; out: dst}. */
  static OneDnnPlan plan(Key key, OneDnnContext ctx) {
    OneDnnPlan plan = new OneDnnPlan(ctx);
    int n = key.scales.size();
    try (PointerPointer<dnnl_memory_desc> srcs = new PointerPointer<>(n);
        PointerPointer<dnnl_primitive_desc> out = new PointerPointer<>(1)) {
      dnnl_memory_desc md = plan.own(plain(key.size));
      float[] scales = new float[n];
      for (int i = 0; i < n; i++) {
        srcs.put(i, md);
        scales[i] = key.scales.get(i);
      }
      check(dnnl_sum_primitive_desc_create(out, ctx.engine(), md, n, scales, srcs, null),
          "sum primitive_desc_create");
      dnnl_primitive_desc pd = plan.own(new dnnl_primitive_desc(out.get(0)));
      Buffer[] buffers = new Buffer[n + 1];
      int[] args = new int[n + 1];
      for (int i = 0; i < n; i++) {
        buffers[i] = plan.input(md, md);
        args[i] = DNNL_ARG_MULTIPLE_SRC + i;
      }
      buffers[n] = plan.output(md, md);
      args[n] = DNNL_ARG_DST;
      plan.primitive(pd, args, buffers);
      return plan;
    } catch (RuntimeException e) {
      plan.close();
      throw e;
    }
  }
}
