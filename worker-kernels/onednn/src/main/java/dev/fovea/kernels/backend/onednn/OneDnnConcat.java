package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.longs;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.backend.onednn.OneDnnPlan.Buffer;
import java.util.List;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Plans for concatenation on row-major tensors: forward is oneDNN's concat primitive; backward
 * splits {@code diffDst} with one reorder per source, from a sub-memory view of {@code diffDst}
 * (its slice along the axis) to the source's row-major buffer.
 */
final class OneDnnConcat {
  private OneDnnConcat() {}

  /** The cache key of a concatenation plan. */
  record Key(boolean backward, int axis, List<Shape> srcs) {}

  /** Forward: {@code in: srcs...; out: dst}. Backward: {@code in: diffDst; out: diffSrcs...}. */
  static OneDnnPlan plan(Key key, OneDnnContext ctx) {
    OneDnnPlan plan = new OneDnnPlan(ctx);
    int n = key.srcs.size();
    try (PointerPointer<dnnl_memory_desc> srcMds = new PointerPointer<>(n);
        PointerPointer<dnnl_primitive_desc> out = new PointerPointer<>(1)) {
      int[] dims = key.srcs.get(0).dims();
      dims[key.axis] = 0;
      dnnl_memory_desc[] mds = new dnnl_memory_desc[n];
      for (int i = 0; i < n; i++) {
        mds[i] = plan.own(plain(longs(key.srcs.get(i).dims())));
        srcMds.put(i, mds[i]);
        dims[key.axis] += key.srcs.get(i).dim(key.axis);
      }
      dnnl_memory_desc dstMd = plan.own(plain(longs(dims)));
      if (!key.backward) {
        check(dnnl_concat_primitive_desc_create(out, ctx.engine(), dstMd, n, key.axis, srcMds, null),
            "concat primitive_desc_create");
        dnnl_primitive_desc pd = plan.own(new dnnl_primitive_desc(out.get(0)));
        Buffer[] buffers = new Buffer[n + 1];
        int[] args = new int[n + 1];
        for (int i = 0; i < n; i++) {
          buffers[i] = plan.input(mds[i], mds[i]);
          args[i] = DNNL_ARG_MULTIPLE_SRC + i;
        }
        buffers[n] = plan.output(dstMd, dstMd);
        args[n] = DNNL_ARG_DST;
        plan.primitive(pd, args, buffers);
        return plan;
      }
      Buffer dy = plan.buffer(dstMd);
      plan.input(dy);
      long[] offsets = new long[dims.length];
      for (int i = 0; i < n; i++) {
        dnnl_memory_desc sub = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_submemory(sub, dstMd, longs(key.srcs.get(i).dims()), offsets),
            "memory_desc_create_submemory");
        plan.own(sub);
        Buffer dx = plan.buffer(mds[i]);
        plan.reorderAfter(sub, plan.view(dy, sub), mds[i], dx);
        plan.output(dx);
        offsets[key.axis] += key.srcs.get(i).dim(key.axis);
      }
      return plan;
    } catch (RuntimeException e) {
      plan.close();
      throw e;
    }
  }
}
