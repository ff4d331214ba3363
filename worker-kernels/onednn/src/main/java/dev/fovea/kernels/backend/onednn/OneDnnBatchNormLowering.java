package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static dev.fovea.kernels.backend.onednn.OneDnnPlan.query;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.onednn.OneDnnLowering.Mem;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * {@link OneDnnLowering}'s batch normalization forward (a ReLU after it fused) and backward. One
 * object per lowering, over its state (the step being planned, the engine, the scratchpad
 * attribute); the op's saved forward record, which its backward reads, is defined here.
 */
final class OneDnnBatchNormLowering {
  private final OneDnnLowering l;

  OneDnnBatchNormLowering(OneDnnLowering lowering) {
    this.l = lowering;
  }

  record BnSaved(dnnl_primitive_desc fwd, int flags, float eps, Mem src, Mem mean, Mem var, Mem scale,
      Mem shift, Mem ws) {}

  void forward(int i, NetworkGraph.Node node, NetworkGraph.BatchNormalization b) {
    Mem x = l.st.src(node, 0);
    Shape shape = l.st.srcShape(node, 0).prepend(l.st.batch());
    int c = shape.dim(1);
    long count = shape.size() / c;
    boolean batchStats = l.st.training() && !b.inference();
    if (!OneDnnBatchNormalization.supports(shape) || batchStats && count < 2) {
      throw new OneDnn.Unimplemented("batch normalization of " + shape);
    }
    boolean relu = l.st.plan().fusedRelu(i) >= 0;
    int flags = dnnl_use_scale | dnnl_use_shift | (batchStats ? 0 : dnnl_use_global_stats)
        | (relu ? dnnl_fuse_norm_relu : 0);
    float eps = (float) b.p().epsilon();
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_batch_normalization_forward_primitive_desc_create(pd, l.engine, l.prop(), x.layout, x.layout, eps, flags,
        l.attr(false)), "batch normalization forward primitive_desc_create");
    l.own(pd);
    dnnl_memory_desc ch = l.own(plain(c));
    int k = 0;
    Mem scale = b.scale() ? l.st.param(node.params().get(k++), false) : l.st.constant(ch, 1f);
    Mem shift = b.center() ? l.st.param(node.params().get(k), false) : l.st.constant(ch, 0f);
    Mem mean;
    Mem var;
    if (batchStats) {
      mean = l.st.acquire(ch);
      var = l.st.acquire(ch);
    } else {
      mean = l.st.buffer(node.buffers().get(0));
      var = l.st.buffer(node.buffers().get(1));
    }
    Mem y = l.st.acquire(x.layout);
    Mem ws = null;
    if (relu && l.st.training()) {
      ws = l.st.acquire(query(pd, DNNL_ARG_WORKSPACE));
      l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE,
          DNNL_ARG_DST, DNNL_ARG_WORKSPACE}, new Mem[] {x, scale, shift, mean, var, y, ws});
    } else {
      l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE,
          DNNL_ARG_DST}, new Mem[] {x, scale, shift, mean, var, y});
    }
    l.st.setAct(i, y);
    l.st.save(i, new BnSaved(pd, flags, eps, x, mean, var, scale, shift, ws));
    if (batchStats) {
      BatchNormParams p = b.p();
      NetworkGraph.Slice rm = node.buffers().get(0);
      NetworkGraph.Slice rv = node.buffers().get(1);
      Tensor m = Tensor.zeros(Shape.of(c));
      Tensor v = Tensor.zeros(Shape.of(c));
      l.st.host(() -> {
        l.read(mean, m);
        l.read(var, v);
        float[] buffers = l.st.runningBuffers();
        // the running statistics in double, rounded once, by the rule every backend shares
        p.updateRunning(Tensor.wrap(buffers, rm.offset(), rm.shape()), Tensor.wrap(buffers, rv.offset(), rv.shape()),
            m.toDoubleArray(), v.toDoubleArray(), count);
      });
    }
  }

  void backward(int i, NetworkGraph.Node node, NetworkGraph.BatchNormalization b, Mem dy) {
    BnSaved s = (BnSaved) l.st.saved(i);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_batch_normalization_backward_primitive_desc_create(pd, l.engine, dnnl_backward, s.src.layout,
        s.src.layout, s.src.layout, s.eps, s.flags, s.fwd, l.attr(false)),
        "batch normalization backward primitive_desc_create");
    l.own(pd);
    dnnl_memory_desc ch = s.mean.layout;
    int k = 0;
    Mem dScale = b.scale() ? l.st.param(node.params().get(k++), true) : l.st.acquire(ch);
    Mem dShift = b.center() ? l.st.param(node.params().get(k), true) : l.st.acquire(ch);
    int p = node.inputs()[0];
    Mem ddy = l.st.ensure(dy, s.src.layout, false);
    Mem dx = l.st.sink(p, s.src.layout);
    if (s.ws != null) {
      l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_DIFF_DST, DNNL_ARG_SCALE,
          DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT},
          new Mem[] {s.src, s.mean, s.var, ddy, s.scale, s.ws, dx, dScale, dShift});
    } else {
      l.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_DIFF_DST, DNNL_ARG_SCALE,
          DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT},
          new Mem[] {s.src, s.mean, s.var, ddy, s.scale, dx, dScale, dShift});
    }
    l.st.sunk(p, dx);
    if (ddy != dy) {
      l.st.release(ddy);
    }
    if (!b.scale()) {
      l.st.release(dScale);
    }
    if (!b.center()) {
      l.st.release(dShift);
    }
  }
}
