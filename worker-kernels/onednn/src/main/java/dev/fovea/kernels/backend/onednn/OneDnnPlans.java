package dev.fovea.kernels.backend.onednn;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The per-op plans of one {@link OneDnnBackend}, which its op families ({@link
 * OneDnnConvolutionOps}, {@link OneDnnPoolingOps}, {@link OneDnnNormalizationOps}, {@link
 * OneDnnElementwiseOps}) share: each (op, shapes, parameters) key planned once, on first use, the keys
 * oneDNN has no implementation for remembered, and every plan run with the backend's thread limit
 * and denormal mode.
 */
final class OneDnnPlans {
  final OneDnnContext ctx;
  private final int threads;
  private final OneDnnDenormals denormals;
  private final OneDnnConvolution.Layouts forcedLayouts;
  private final Map<Object, OneDnnPlan> plans = new LinkedHashMap<>();
  private final Set<Object> unsupported = new HashSet<>();
  private boolean closed;

  /** @param forcedLayouts the layouts every convolution uses, or null for the first good candidate */
  OneDnnPlans(OneDnnContext ctx, int threads, OneDnnDenormals denormals, OneDnnConvolution.Layouts forcedLayouts) {
    this.ctx = ctx;
    this.threads = threads;
    this.denormals = denormals;
    this.forcedLayouts = forcedLayouts;
  }

  /** One line per plan: its key and, for convolutions, the layouts it chose. */
  List<String> descriptions() {
    List<String> out = new ArrayList<>();
    plans.forEach((k, v) -> out.add(k + (v.label.isEmpty() ? "" : " -> " + v.label)));
    return out;
  }

  /** How many plans (distinct op, shape and parameter keys) there are. */
  int count() {
    return plans.size();
  }

  /** How many keys fell back to the reference because oneDNN has no implementation for them. */
  int unsupportedCount() {
    return unsupported.size();
  }

  /** The cached plan for {@code key}, built on first use; null when oneDNN cannot run it. */
  OneDnnPlan plan(Object key, Function<Object, OneDnnPlan> build) {
    if (closed) {
      throw new IllegalStateException("backend onednn is closed");
    }
    OneDnnPlan plan = plans.get(key);
    if (plan != null) {
      plan.bind();
      return plan;
    }
    if (unsupported.contains(key)) {
      return null;
    }
    OneDnnThreads.limit(threads);
    denormals.enter(); // planning may start the OpenMP team
    try {
      plan = build.apply(key);
    } catch (OneDnn.Unimplemented e) {
      unsupported.add(key);
      return null;
    } finally {
      denormals.exit();
    }
    plans.put(key, plan);
    plan.bind();
    return plan;
  }

  /**
   * The plan of a convolution: the first candidate {@link OneDnnConvolution.Layouts}, in their
   * declared order, that oneDNN implements with a non-reference kernel (else the first it
   * implements at all); the candidates passed over are freed at once.
   *
   * <p>Never chosen by timing. Each candidate runs another kernel with another order of summation,
   * so their results differ in the last bits; a choice by the clock (it was, before) follows the
   * machine's load, and two runs with one seed then trained different parameters (the sigmoid-BCE
   * run of {@code TargetTrainingIT}, which trains layer by layer). The choice depends only on the
   * key, the CPU and the thread count, like the compiled step's ({@code format_tag any} first).
   */
  OneDnnPlan convolutionPlan(OneDnnConvolution.Key key) {
    return plan(key, k -> {
      if (forcedLayouts != null) {
        OneDnnPlan plan = OneDnnConvolution.plan(key, ctx, forcedLayouts);
        plan.label = forcedLayouts.name() + " " + plan.impl();
        return plan;
      }
      OneDnnPlan fallback = null;
      try {
        for (OneDnnConvolution.Layouts l : OneDnnConvolution.Layouts.values()) {
          OneDnnPlan candidate;
          try {
            candidate = OneDnnConvolution.plan(key, ctx, l);
          } catch (OneDnn.Unimplemented e) {
            continue;
          }
          candidate.label = l.name() + " " + candidate.impl();
          // oneDNN's reference kernels are orders of magnitude slower than its JIT ones (a 3x3
          // 512-channel backward-weights: 4.5 s against 57 ms), alone or inside a composite such
          // as "jit_uni_ncsp_convolution:conv+ref:any": a later candidate without one is preferred.
          if (!candidate.impl().contains("ref")) {
            if (fallback != null) {
              fallback.close();
            }
            return candidate;
          }
          if (fallback == null) {
            fallback = candidate;
          } else {
            candidate.close();
          }
        }
      } catch (RuntimeException e) {
        if (fallback != null) {
          fallback.close();
        }
        throw e;
      }
      if (fallback == null) {
        throw new OneDnn.Unimplemented("convolution " + key);
      }
      return fallback;
    });
  }

  /** Runs {@code plan} with the backend's thread limit, denormals flushed in oneDNN's threads. */
  void run(OneDnnPlan plan) {
    OneDnnThreads.limit(threads);
    denormals.enter();
    try {
      plan.run();
    } finally {
      denormals.exit();
    }
  }

  /** Writes {@code src} into the plan's first input, runs it and reads its first output into {@code dst}. */
  void run(OneDnnPlan plan, Tensor src, Tensor dst) {
    plan.in(0).write(src);
    run(plan);
    plan.out(0).read(dst);
  }

  /** Writes {@code a} and {@code b} into the plan's first two inputs, runs it and reads its first output into {@code dst}. */
  void run(OneDnnPlan plan, Tensor a, Tensor b, Tensor dst) {
    plan.in(0).write(a);
    plan.in(1).write(b);
    run(plan);
    plan.out(0).read(dst);
  }

  /**
   * Writes {@code src}, {@code weights} and, when not null, {@code bias} into the plan's inputs,
   * runs it and reads its first output into {@code dst} (the forward pass of a weighted op).
   */
  void runWithBias(OneDnnPlan plan, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    plan.in(0).write(src);
    plan.in(1).write(weights);
    if (bias != null) {
      plan.in(2).write(bias);
    }
    run(plan);
    plan.out(0).read(dst);
  }

  /**
   * The common end of convolution and inner-product backward-weights: runs the plan on (src,
   * diffDst) and adds its results into diffWeights and, when not null, diffBias.
   */
  void accumulateWeights(OneDnnPlan plan, Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    plan.in(0).write(src);
    plan.in(1).write(diffDst);
    run(plan);
    plan.out(0).addTo(diffWeights);
    if (diffBias != null) {
      plan.out(1).addTo(diffBias);
    }
  }

  /** Throws when {@code t} (argument {@code what} of {@code op}) does not have {@code shape}. */
  static void expect(String op, String what, Tensor t, Shape shape) {
    if (!t.shape().equals(shape)) {
      throw new IllegalArgumentException(op + ": " + what + " is " + t.shape() + ", expected " + shape);
    }
  }

  /** Frees every plan; {@link #plan} throws afterwards. */
  void close() {
    closed = true;
    for (OneDnnPlan plan : plans.values()) {
      plan.close();
    }
    plans.clear();
  }
}
