package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.any;
import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnnPlan.query;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.backend.onednn.OneDnnLowering.Mem;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * {@link OneDnnLowering}'s convolutions forward, backward-data and backward-weights, each
 * primitive taking the layouts the step already holds where oneDNN runs it with the same kernel.
 * One object per lowering, over its state (the step being planned, the engine, the scratchpad
 * attribute); the op's saved forward record, which its backward reads, is defined here.
 */
final class OneDnnConvolutionLowering {
  private final OneDnnLowering l;

  OneDnnConvolutionLowering(OneDnnLowering lowering) {
    this.l = lowering;
  }

  record ConvSaved(dnnl_primitive_desc fwd, OneDnnConvolution.Dims d, Mem src, Mem weights) {}

  void forward(int i, NetworkGraph.Node node, NetworkGraph.Convolution c) {
    Shape srcShape = l.st.srcShape(node, 0).prepend(l.st.batch());
    Shape wShape = node.params().get(0).shape();
    OneDnnConvolution.Dims d = OneDnnConvolution.dims(c.p(), srcShape, wShape);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_convolution_forward_primitive_desc_create(pd, l.engine, l.prop(), dnnl_convolution_direct,
        l.own(any(d.src())), l.own(any(d.weights())), c.bias() ? l.own(any(d.bias())) : null, l.own(any(d.dst())),
        d.strides(), d.dilates(), d.padL(), d.padR(), l.attr(l.st.plan().fusedRelu(i) >= 0)),
        "convolution forward primitive_desc_create");
    Mem producer = l.st.src(node, 0);
    if (!l.same(producer.layout, query(pd, DNNL_ARG_SRC))) {
      // the source as its producer wrote it, when oneDNN runs that with the same kernel
      dnnl_primitive_desc anyPd = pd;
      pd = sameKernel(pd, attempt(q -> dnnl_convolution_forward_primitive_desc_create(q, l.engine, l.prop(),
          dnnl_convolution_direct, producer.layout, query(anyPd, DNNL_ARG_WEIGHTS),
          c.bias() ? query(anyPd, DNNL_ARG_BIAS) : null, query(anyPd, DNNL_ARG_DST), d.strides(), d.dilates(),
          d.padL(), d.padR(), l.attr(l.st.plan().fusedRelu(i) >= 0))));
    }
    l.own(pd);
    l.st.tag(node, "fwd.src");
    Mem x = l.st.ensure(l.st.src(node, 0), query(pd, DNNL_ARG_SRC), true);
    Mem wPlain = l.st.param(node.params().get(0), d.weights(), false);
    l.st.tag(node, "fwd.weights");
    Mem w = l.st.weightsIn(node.params().get(0), wPlain, query(pd, DNNL_ARG_WEIGHTS));
    Mem y = l.st.acquire(query(pd, DNNL_ARG_DST));
    l.st.tag(node, "fwd");
    l.impls.put(node.name() + "/fwd", OneDnnPlan.implementation(pd));
    if (c.bias()) {
      Mem b = l.st.param(node.params().get(1), false);
      l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST}, new Mem[] {x, w, b, y});
    } else {
      l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}, new Mem[] {x, w, y});
    }
    l.st.setAct(i, y);
    // backward-data reads the weights from what the step holds: row-major, or the resident master copy (st.resident())
    l.st.save(i, new ConvSaved(pd, d, x, l.st.resident() ? w : wPlain));
  }

  /**
   * The backward-weights (and bias) primitive of op {@code i} and, where its source needs a
   * gradient, the backward-data one.
   */
  void backward(int i, NetworkGraph.Node node, NetworkGraph.Convolution c, Mem dy) {
    ConvSaved s = (ConvSaved) l.st.saved(i);
    OneDnnConvolution.Dims d = s.d;
    // First with the activations in the layouts the step holds them in (no reorders around the
    // primitive), else oneDNN's own choice; then, if the same kernel also takes a row-major weight
    // gradient, that (no reorder out to the flat gradient vector).
    dnnl_memory_desc wAny = l.own(any(d.weights()));
    dnnl_memory_desc bAny = c.bias() ? l.own(any(d.bias())) : null;
    Mem gw = l.st.gradientOf(node.params().get(0), l.st.param(node.params().get(0), d.weights(), true));
    dnnl_primitive_desc pd = attempt(q -> dnnl_convolution_backward_weights_primitive_desc_create(q, l.engine,
        dnnl_convolution_direct, s.src.layout, wAny, bAny, dy.layout, d.strides(), d.dilates(), d.padL(), d.padR(),
        s.fwd, l.attr(false)));
    if (pd == null) {
      pd = new dnnl_primitive_desc();
      check(dnnl_convolution_backward_weights_primitive_desc_create(pd, l.engine, dnnl_convolution_direct,
          l.own(any(d.src())), wAny, bAny, l.own(any(d.dst())), d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd,
          l.attr(false)), "convolution backward-weights primitive_desc_create");
    }
    dnnl_primitive_desc chosen = pd;
    pd = sameKernel(pd, attempt(q -> dnnl_convolution_backward_weights_primitive_desc_create(q, l.engine,
        dnnl_convolution_direct, query(chosen, DNNL_ARG_SRC), gw.layout, bAny, query(chosen, DNNL_ARG_DIFF_DST),
        d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd, l.attr(false))));
    l.own(pd);
    l.impls.put(node.name() + "/bwd_weights", OneDnnPlan.implementation(pd));
    List<Mem> temps = new ArrayList<>();
    l.st.tag(node, "bwd_weights.src");
    Mem x = l.st.ensure(s.src, query(pd, DNNL_ARG_SRC), false);
    if (x != s.src) {
      temps.add(x);
    }
    l.st.tag(node, "bwd_weights.diff_dst");
    Mem ddy = l.st.ensure(dy, query(pd, DNNL_ARG_DIFF_DST), false);
    if (ddy != dy) {
      temps.add(ddy);
    }
    l.st.tag(node, "bwd_weights");
    Mem dw = l.same(gw.layout, query(pd, DNNL_ARG_DIFF_WEIGHTS)) ? gw : l.st.acquire(query(pd, DNNL_ARG_DIFF_WEIGHTS));
    if (c.bias()) {
      Mem gb = l.st.param(node.params().get(1), true);
      Mem db = l.same(gb.layout, query(pd, DNNL_ARG_DIFF_BIAS)) ? gb : l.st.acquire(query(pd, DNNL_ARG_DIFF_BIAS));
      l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
          new Mem[] {x, ddy, dw, db});
      l.st.tag(node, "bwd_weights.out");
      if (db != gb) {
        l.reorder(db, gb);
        l.st.release(db);
      }
    } else {
      l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS}, new Mem[] {x, ddy, dw});
    }
    l.st.tag(node, "bwd_weights.out");
    if (dw != gw) {
      l.reorder(dw, gw);
      l.st.release(dw);
    }
    int p = node.inputs()[0];
    if (l.st.needsDiff(p)) {
      // as above; then, if the same kernel also reads the weights in the forward pass's layout, that
      // (one weight reorder per step instead of two)
      dnnl_memory_desc from = l.st.act(p).layout;
      dnnl_primitive_desc bd = attempt(q -> dnnl_convolution_backward_data_primitive_desc_create(q, l.engine,
          dnnl_convolution_direct, from, wAny, dy.layout, d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd,
          l.attr(false)));
      if (bd == null) {
        bd = new dnnl_primitive_desc();
        check(dnnl_convolution_backward_data_primitive_desc_create(bd, l.engine, dnnl_convolution_direct,
            l.own(any(d.src())), wAny, l.own(any(d.dst())), d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd,
            l.attr(false)), "convolution backward-data primitive_desc_create");
      }
      dnnl_primitive_desc picked = bd;
      bd = sameKernel(bd, attempt(q -> dnnl_convolution_backward_data_primitive_desc_create(q, l.engine,
          dnnl_convolution_direct, query(picked, DNNL_ARG_DIFF_SRC), query(s.fwd, DNNL_ARG_WEIGHTS),
          query(picked, DNNL_ARG_DIFF_DST), d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd, l.attr(false))));
      l.own(bd);
      l.impls.put(node.name() + "/bwd_data", OneDnnPlan.implementation(bd));
      l.st.tag(node, "bwd_data.weights");
      Mem w = l.st.ensure(s.weights, query(bd, DNNL_ARG_WEIGHTS), true);
      l.st.tag(node, "bwd_data.diff_dst");
      Mem bdy = l.st.ensure(dy, query(bd, DNNL_ARG_DIFF_DST), false);
      if (bdy != dy && bdy != ddy) {
        temps.add(bdy);
      }
      Mem dx = l.st.sink(p, query(bd, DNNL_ARG_DIFF_SRC));
      l.st.tag(node, "bwd_data");
      l.exec(bd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC}, new Mem[] {bdy, w, dx});
      l.st.tag(node, "bwd_data.out");
      l.st.sunk(p, dx);
    }
    temps.forEach(l.st::release);
  }

  /** Creates a primitive descriptor into {@code pd}; returns oneDNN's status. */
  private interface PdCreate {
    int create(dnnl_primitive_desc pd);
  }

  /** A primitive descriptor from {@code create}, or null when it fails or gives a reference kernel. */
  private static dnnl_primitive_desc attempt(PdCreate create) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    return usable(create.create(pd), pd) ? pd : null;
  }

  /**
   * {@code alternative} (with fewer reorders around it) when oneDNN runs it with the same kernel as
   * {@code pd}, else {@code pd}; the one not returned is destroyed.
   */
  private static dnnl_primitive_desc sameKernel(dnnl_primitive_desc pd, dnnl_primitive_desc alternative) {
    if (alternative == null) {
      return pd;
    }
    if (OneDnnPlan.implementation(alternative).equals(OneDnnPlan.implementation(pd))) {
      dnnl_primitive_desc_destroy(pd);
      return alternative;
    }
    dnnl_primitive_desc_destroy(alternative);
    return pd;
  }

  /**
   * Whether a primitive descriptor created with fixed layouts is worth using: it exists and its
   * implementation is not one of oneDNN's reference kernels (orders of magnitude slower than the
   * JIT ones, which a reorder or two around the primitive never are). An unusable one is destroyed.
   */
  private static boolean usable(int status, dnnl_primitive_desc pd) {
    if (status != dnnl_success) {
      return false;
    }
    if (OneDnnPlan.implementation(pd).contains("ref")) {
      dnnl_primitive_desc_destroy(pd);
      return false;
    }
    return true;
  }
}
