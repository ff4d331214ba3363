package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.any;
import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.longs;
import static dev.fovea.kernels.backend.onednn.OneDnnPlan.query;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.backend.onednn.OneDnnLowering.Mem;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * {@link OneDnnLowering}'s inner products (fully connected layers) forward and backward. One
 * object per lowering, over its state (the step being planned, the engine, the scratchpad
 * attribute); the op's saved forward record, which its backward reads, is defined here.
 */
final class OneDnnInnerProductLowering {
  private final OneDnnLowering l;

  OneDnnInnerProductLowering(OneDnnLowering lowering) {
    this.l = lowering;
  }

  record IpSaved(dnnl_primitive_desc fwd, long[] src, long[] weights, long[] dst, Mem x, Mem wPlain,
      Mem w) {}

  void forward(int i, NetworkGraph.Node node) {
    long[] src = l.st.dims(l.st.srcShape(node, 0));
    long[] weights = longs(node.params().get(0).shape().dims());
    long[] dst = l.st.dims(node.outputShape());
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_inner_product_forward_primitive_desc_create(pd, l.engine, l.prop(), l.own(any(src)), l.own(any(weights)),
        l.own(any(weights[0])), l.own(any(dst)), l.attr(false)), "inner product forward primitive_desc_create");
    l.own(pd);
    Mem x = l.st.ensure(l.st.src(node, 0), query(pd, DNNL_ARG_SRC), true);
    Mem wPlain = l.st.param(node.params().get(0), false);
    Mem w = l.st.weightsIn(node.params().get(0), wPlain, query(pd, DNNL_ARG_WEIGHTS));
    Mem b = l.st.ensure(l.st.param(node.params().get(1), false), query(pd, DNNL_ARG_BIAS), true);
    Mem y = l.st.acquire(query(pd, DNNL_ARG_DST));
    l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST}, new Mem[] {x, w, b, y});
    l.st.setAct(i, y);
    l.st.save(i, new IpSaved(pd, src, weights, dst, x, l.st.resident() ? w : wPlain, w));
  }

  void backward(int i, NetworkGraph.Node node, Mem dy) {
    IpSaved s = (IpSaved) l.st.saved(i);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_inner_product_backward_weights_primitive_desc_create(pd, l.engine, l.own(any(s.src)),
        l.own(any(s.weights)), l.own(any(s.weights[0])), l.own(any(s.dst)), s.fwd, l.attr(false)),
        "inner product backward-weights primitive_desc_create");
    l.own(pd);
    List<Mem> temps = new ArrayList<>();
    Mem x = l.st.ensure(s.x, query(pd, DNNL_ARG_SRC), false);
    if (x != s.x) {
      temps.add(x);
    }
    Mem ddy = l.st.ensure(dy, query(pd, DNNL_ARG_DIFF_DST), false);
    if (ddy != dy) {
      temps.add(ddy);
    }
    Mem gw = l.st.gradientOf(node.params().get(0), l.st.param(node.params().get(0), true));
    Mem gb = l.st.param(node.params().get(1), true);
    Mem dw = l.same(gw.layout, query(pd, DNNL_ARG_DIFF_WEIGHTS)) ? gw : l.st.acquire(query(pd, DNNL_ARG_DIFF_WEIGHTS));
    Mem db = l.same(gb.layout, query(pd, DNNL_ARG_DIFF_BIAS)) ? gb : l.st.acquire(query(pd, DNNL_ARG_DIFF_BIAS));
    l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
        new Mem[] {x, ddy, dw, db});
    if (dw != gw) {
      l.reorder(dw, gw);
      l.st.release(dw);
    }
    if (db != gb) {
      l.reorder(db, gb);
      l.st.release(db);
    }
    int p = node.inputs()[0];
    if (l.st.needsDiff(p)) {
      dnnl_primitive_desc bd = new dnnl_primitive_desc();
      check(dnnl_inner_product_backward_data_primitive_desc_create(bd, l.engine, l.own(any(s.src)),
          l.own(any(s.weights)), l.own(any(s.dst)), s.fwd, l.attr(false)),
          "inner product backward-data primitive_desc_create");
      l.own(bd);
      Mem w = l.st.ensure(s.wPlain, query(bd, DNNL_ARG_WEIGHTS), true);
      Mem bdy = l.st.ensure(dy, query(bd, DNNL_ARG_DIFF_DST), false);
      if (bdy != dy && bdy != ddy) {
        temps.add(bdy);
      }
      Mem dx = l.st.sink(p, query(bd, DNNL_ARG_DIFF_SRC));
      l.exec(bd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC}, new Mem[] {bdy, w, dx});
      l.st.sunk(p, dx);
    }
    temps.forEach(l.st::release);
  }
}
