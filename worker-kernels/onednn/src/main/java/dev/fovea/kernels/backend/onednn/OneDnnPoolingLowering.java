package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.any;
import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.longs;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static dev.fovea.kernels.backend.onednn.OneDnnPlan.query;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.backend.onednn.OneDnnLowering.Mem;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * {@link OneDnnLowering}'s max and average pooling, local and global, forward and backward. One
 * object per lowering, over its state (the step being planned, the engine, the scratchpad
 * attribute); the op's saved forward record, which its backward reads, is defined here.
 */
final class OneDnnPoolingLowering {
  private final OneDnnLowering l;

  OneDnnPoolingLowering(OneDnnLowering lowering) {
    this.l = lowering;
  }

  record PoolSaved(dnnl_primitive_desc fwd, int alg, PoolParams p, long[] src, long[] dst, Mem ws,
      boolean global) {}

  void forward(int i, NetworkGraph.Node node, PoolParams p, boolean global) {
    Mem x = l.st.src(node, 0);
    Shape srcShape = l.st.srcShape(node, 0).prepend(l.st.batch());
    long[] dst = longs(p.outputShape(srcShape).dims());
    int alg = p.kind() == PoolParams.Kind.MAX ? dnnl_pooling_max
        : p.countPadding() ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding;
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_pooling_forward_primitive_desc_create(pd, l.engine, l.prop(), alg, x.layout, l.own(any(dst)),
        longs(p.stride()), longs(p.kernel()), new long[p.spatialRank()], longs(p.padBegin()), longs(p.padEnd()),
        l.attr(false)),
        "pooling forward primitive_desc_create");
    l.own(pd);
    Mem y = l.st.acquire(query(pd, DNNL_ARG_DST));
    Mem ws = null;
    if (l.st.training() && p.kind() == PoolParams.Kind.MAX) {
      ws = l.st.acquire(query(pd, DNNL_ARG_WORKSPACE));
      l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_WORKSPACE}, new Mem[] {x, y, ws});
    } else {
      l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Mem[] {x, y});
    }
    if (global) {
      Mem flat = l.st.ensure(y, l.own(plain(dst)), true);
      l.st.setAct(i, l.st.view(flat, l.st.rowMajorOf(node.outputShape())));
    } else {
      l.st.setAct(i, y);
    }
    l.st.save(i, new PoolSaved(pd, alg, p, longs(srcShape.dims()), dst, ws, global));
  }

  void backward(int i, NetworkGraph.Node node, Mem dy) {
    int p = node.inputs()[0];
    if (!l.st.needsDiff(p)) {
      return;
    }
    PoolSaved s = (PoolSaved) l.st.saved(i);
    PoolParams pp = s.p;
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_pooling_backward_primitive_desc_create(pd, l.engine, s.alg, l.own(any(s.src)), l.own(any(s.dst)),
        longs(pp.stride()), longs(pp.kernel()), new long[pp.spatialRank()], longs(pp.padBegin()),
        longs(pp.padEnd()), s.fwd, l.attr(false)), "pooling backward primitive_desc_create");
    l.own(pd);
    Mem d = s.global ? l.st.view(dy, l.own(plain(s.dst))) : dy;
    Mem ddy = l.st.ensure(d, query(pd, DNNL_ARG_DIFF_DST), false);
    Mem dx = l.st.sink(p, query(pd, DNNL_ARG_DIFF_SRC));
    if (s.ws != null) {
      l.exec(pd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC}, new Mem[] {ddy, s.ws, dx});
    } else {
      l.exec(pd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC}, new Mem[] {ddy, dx});
    }
    l.st.sunk(p, dx);
    if (ddy != d) {
      l.st.release(ddy);
    }
  }
}
