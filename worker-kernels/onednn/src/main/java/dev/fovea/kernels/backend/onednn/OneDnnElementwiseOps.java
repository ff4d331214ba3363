package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.allFloat;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The element-wise ops of {@link OneDnnBackend}: activations, weighted sums and concatenation. Each
 * method runs its op natively and returns true, or returns false having done nothing, and the
 * backend then runs the reference.
 */
final class OneDnnElementwiseOps {
  private final OneDnnPlans plans;

  OneDnnElementwiseOps(OneDnnPlans plans) {
    this.plans = plans;
  }

  // ---- eltwise ----

  private OneDnnPlan eltwisePlan(boolean backward, Activation f, int size) {
    return plans.plan(new OneDnnEltwise.Key(backward, f, size), k -> OneDnnEltwise.plan((OneDnnEltwise.Key) k,
        plans.ctx));
  }

  boolean eltwiseForward(Activation f, Tensor src, Tensor dst) {
    OneDnnPlan plan = null;
    if (OneDnnEltwise.supports(f) && allFloat(src, dst) && src.size() == dst.size()) {
      plan = eltwisePlan(false, f, src.size());
    }
    if (plan == null) {
      return false;
    }
    plans.run(plan, src, dst);
    return true;
  }

  boolean eltwiseBackward(Activation f, Tensor src, Tensor diffDst, Tensor diffSrc) {
    OneDnnPlan plan = null;
    if (OneDnnEltwise.supports(f) && allFloat(src, diffDst, diffSrc) && src.size() == diffDst.size()
        && src.size() == diffSrc.size()) {
      plan = eltwisePlan(true, f, src.size());
    }
    if (plan == null) {
      return false;
    }
    plans.run(plan, src, diffDst, diffSrc);
    return true;
  }

  // ---- sum and concatenation ----

  boolean sumForward(double[] scales, Tensor[] srcs, Tensor dst) {
    OneDnnPlan plan = null;
    boolean fits = srcs.length > 0 && scales.length == srcs.length && allFloat(dst) && allFloat(srcs);
    for (int i = 0; fits && i < srcs.length; i++) {
      fits = srcs[i] != null && srcs[i].shape().equals(dst.shape());
    }
    if (fits) {
      List<Float> s = new ArrayList<>();
      for (double v : scales) {
        s.add((float) v);
      }
      plan = plans.plan(new OneDnnSum.Key(List.copyOf(s), dst.size()), k -> OneDnnSum.plan((OneDnnSum.Key) k,
          plans.ctx));
    }
    if (plan == null) {
      return false;
    }
    for (int i = 0; i < srcs.length; i++) {
      plan.in(i).write(srcs[i]); // copied before the primitive runs, so dst may be a source
    }
    plans.run(plan);
    plan.out(0).read(dst);
    return true;
  }

  /** The shapes of a concatenation when the native path takes them, else null. */
  private static List<Shape> concatShapes(int axis, Tensor[] parts, Tensor whole) {
    if (parts.length == 0 || !allFloat(whole) || !allFloat(parts) || whole.shape().rank() > 6 || axis < 0
        || axis >= whole.shape().rank()) {
      return null;
    }
    List<Shape> shapes = new ArrayList<>();
    int along = 0;
    for (Tensor t : parts) {
      if (t == null || t.shape().rank() != whole.shape().rank()) {
        return null;
      }
      for (int d = 0; d < whole.shape().rank(); d++) {
        if (d != axis && t.shape().dim(d) != whole.shape().dim(d)) {
          return null;
        }
      }
      along += t.shape().dim(axis);
      shapes.add(t.shape());
    }
    return along == whole.shape().dim(axis) ? List.copyOf(shapes) : null;
  }

  /** The concatenation plan of {@code parts} along {@code axis} into {@code whole}; null for the reference. */
  private OneDnnPlan concatPlan(boolean backward, int axis, Tensor[] parts, Tensor whole) {
    List<Shape> shapes = concatShapes(axis, parts, whole);
    return shapes == null ? null
        : plans.plan(new OneDnnConcat.Key(backward, axis, shapes), k -> OneDnnConcat.plan((OneDnnConcat.Key) k,
            plans.ctx));
  }

  boolean concatForward(int axis, Tensor[] srcs, Tensor dst) {
    OneDnnPlan plan = concatPlan(false, axis, srcs, dst);
    if (plan == null) {
      return false;
    }
    for (int i = 0; i < srcs.length; i++) {
      plan.in(i).write(srcs[i]);
    }
    plans.run(plan);
    plan.out(0).read(dst);
    return true;
  }

  boolean concatBackward(int axis, Tensor diffDst, Tensor[] diffSrcs) {
    OneDnnPlan plan = concatPlan(true, axis, diffSrcs, diffDst);
    if (plan == null) {
      return false;
    }
    plan.in(0).write(diffDst);
    plans.run(plan);
    for (int i = 0; i < diffSrcs.length; i++) {
      plan.out(i).read(diffSrcs[i]);
    }
    return true;
  }
}
