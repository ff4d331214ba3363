package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.backend.onednn.OneDnnLowering.Mem;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * {@link OneDnnLowering}'s element-wise activations forward and backward (also the backward of a
 * ReLU fused into the op before it). One object per lowering, over its state (the step being
 * planned, the engine, the scratchpad attribute); the op's saved forward record, which its
 * backward reads, is defined here.
 */
final class OneDnnEltwiseLowering {
  private final OneDnnLowering l;

  OneDnnEltwiseLowering(OneDnnLowering lowering) {
    this.l = lowering;
  }

  record EltSaved(dnnl_primitive_desc fwd, int alg, float alpha, float beta) {}

  void forward(int i, NetworkGraph.Node node, Activation f) {
    Mem x = l.st.src(node, 0);
    int alg = OneDnnEltwise.algorithm(f.kind());
    float[] ab = OneDnnEltwise.alphaBeta(f);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_eltwise_forward_primitive_desc_create(pd, l.engine, l.prop(), alg, x.layout, x.layout, ab[0], ab[1],
        l.attr(false)),
        "eltwise forward primitive_desc_create");
    l.own(pd);
    Mem y = l.st.plan().inPlace(i) ? x : l.st.acquire(x.layout);
    l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Mem[] {x, y});
    l.st.setAct(i, y);
    l.st.save(i, new EltSaved(pd, alg, ab[0], ab[1]));
  }

  void backward(int i, NetworkGraph.Node node, Mem dy) {
    int p = node.inputs()[0];
    if (!l.st.needsDiff(p)) {
      return;
    }
    if (l.st.plan().fusedInto(i) >= 0 && l.st.graph().nodes().get(p).op() instanceof NetworkGraph.BatchNormalization) {
      // fuse_norm_relu: the batch norm's backward applies the ReLU's derivative from its workspace
      l.st.passGradient(i, p, dy);
      return;
    }
    Mem x = l.st.act(p);
    boolean useDst = l.st.plan().fusedInto(i) >= 0 || l.st.plan().inPlace(i);
    int alg;
    float alpha;
    float beta;
    dnnl_primitive_desc hint;
    if (useDst) {
      // a ReLU fused into the convolution before it, or run in place: its derivative from the
      // output (max(x, 0) > 0 exactly where x > 0, and both give 0 at 0)
      alg = dnnl_eltwise_relu_use_dst_for_bwd;
      alpha = 0f;
      beta = 0f;
      hint = new dnnl_primitive_desc();
      check(dnnl_eltwise_forward_primitive_desc_create(hint, l.engine, dnnl_forward_training, alg, x.layout,
          x.layout, 0f, 0f, l.attr(false)), "eltwise forward primitive_desc_create");
      l.own(hint);
    } else {
      EltSaved s = (EltSaved) l.st.saved(i);
      alg = s.alg;
      alpha = s.alpha;
      beta = s.beta;
      hint = s.fwd;
    }
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_eltwise_backward_primitive_desc_create(pd, l.engine, alg, x.layout, x.layout, x.layout, alpha, beta,
        hint, l.attr(false)), "eltwise backward primitive_desc_create");
    l.own(pd);
    Mem ddy = l.st.ensure(dy, x.layout, false);
    Mem dx = l.st.sink(p, x.layout);
    l.exec(pd, new int[] {useDst ? DNNL_ARG_DST : DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC},
        new Mem[] {x, ddy, dx});
    l.st.sunk(p, dx);
    if (ddy != dy) {
      l.st.release(ddy);
    }
  }
}
