package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.any;
import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.longs;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static dev.fovea.kernels.backend.onednn.OneDnnPlan.query;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.backend.onednn.OneDnnPlan.Buffer;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * Plans for oneDNN's convolution primitives (forward, backward-data, backward-weights) over 1, 2 or
 * 3 spatial dimensions. The primitive chooses every layout ({@code format_tag::any}); the plan
 * reorders from and to Fovea's row-major {@code (N, C, in...)} and {@code (OC, C / groups, k...)}
 * at its boundary.
 *
 * <p>Mapping of {@link ConvParams}: oneDNN counts dilation from 0 (a dense kernel has dilation 0),
 * Fovea from 1, so oneDNN's dilation is Fovea's minus one; grouped weights are viewed as {@code (G,
 * OC / G, C / G, k...)}, which is the same row-major memory as Fovea's {@code (OC, C / G, k...)}.
 */
final class OneDnnConvolution {
  private OneDnnConvolution() {}

  /** Which primitive a plan runs. */
  enum Pass {
    FORWARD,
    BACKWARD_DATA,
    BACKWARD_WEIGHTS
  }

  /**
   * Which layouts a convolution plan lets oneDNN choose. Fovea's tensors are row-major, so every
   * layout oneDNN picks costs a reorder at the boundary on every call. The backend takes the first
   * candidate, in this order, that oneDNN runs with a non-reference kernel; it never times them,
   * because each runs another kernel whose results differ in the last bits, and a choice by the
   * clock made two runs with one seed train different parameters.
   */
  enum Layouts {
    /** Every tensor in the layout oneDNN prefers ({@code format_tag::any}); reorders at both ends. */
    CHOSEN,
    /** Activations row-major (no reorder), weights in the layout oneDNN prefers. */
    PLAIN_ACTIVATIONS,
    /** Everything row-major: no reorders at all. */
    PLAIN
  }

  /** The cache key of a convolution plan. */
  record Key(Pass pass, ConvParams p, Shape src, Shape weights, boolean bias) {}

  /** The geometry of a key as oneDNN dims. */
  record Dims(long[] src, long[] weights, long[] bias, long[] dst, long[] strides, long[] dilates,
      long[] padL, long[] padR) {}

  static Dims dims(ConvParams p, Shape src, Shape weights) {
    Shape dst = p.outputShape(src, weights);
    int r = p.spatialRank();
    int g = p.groups();
    long[] w;
    if (g == 1) {
      w = longs(weights.dims());
    } else {
      int[] wd = weights.dims();
      w = new long[wd.length + 1];
      w[0] = g;
      w[1] = wd[0] / g;
      for (int i = 1; i < wd.length; i++) {
        w[i + 1] = wd[i];
      }
    }
    long[] dil = new long[r];
    for (int i = 0; i < r; i++) {
      dil[i] = p.dilation()[i] - 1L;
    }
    return new Dims(longs(src.dims()), w, new long[] {weights.dim(0)}, longs(dst.dims()), longs(p.stride()), dil,
        longs(p.padBegin()), longs(p.padEnd()));
  }

  /**
   * Creates the forward primitive descriptor with every layout left to oneDNN; the caller owns it.
   * Also the hint the backward passes need.
   */
  static dnnl_primitive_desc forwardPd(OneDnnPlan plan, dnnl_engine engine, Dims d, boolean bias, Layouts l) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_convolution_forward_primitive_desc_create(pd, engine, dnnl_forward_training, dnnl_convolution_direct,
        act(plan, d.src, l), wei(plan, d.weights, l), bias ? act(plan, d.bias, l) : null, act(plan, d.dst, l),
        d.strides, d.dilates, d.padL, d.padR, null), "convolution forward primitive_desc_create");
    return plan.own(pd);
  }

  /** The descriptor of an activation (or bias) for primitive creation under {@code l}. */
  private static dnnl_memory_desc act(OneDnnPlan plan, long[] dims, Layouts l) {
    return plan.own(l == Layouts.CHOSEN ? any(dims) : plain(dims));
  }

  /** The descriptor of weights for primitive creation under {@code l}. */
  private static dnnl_memory_desc wei(OneDnnPlan plan, long[] dims, Layouts l) {
    return plan.own(l == Layouts.PLAIN ? plain(dims) : any(dims));
  }

  /**
   * A new plan for {@code key}. Inputs and outputs, in order: forward {@code in: src, weights[,
   * bias]; out: dst}; backward-data {@code in: diffDst, weights; out: diffSrc}; backward-weights
   * {@code in: src, diffDst; out: diffWeights[, diffBias]}.
   */
  static OneDnnPlan plan(Key key, OneDnnContext ctx, Layouts layouts) {
    return OneDnnPlan.build(ctx, plan -> build(plan, key, ctx.engine(), layouts));
  }

  private static void build(OneDnnPlan plan, Key key, dnnl_engine engine, Layouts l) {
    Dims d = dims(key.p, key.src, key.weights);
    dnnl_memory_desc src = plan.own(plain(d.src));
    dnnl_memory_desc weights = plan.own(plain(d.weights));
    dnnl_memory_desc bias = plan.own(plain(d.bias));
    dnnl_memory_desc dst = plan.own(plain(d.dst));
    switch (key.pass) {
      case FORWARD -> {
        dnnl_primitive_desc pd = forwardPd(plan, engine, d, key.bias, l);
        plan.weightedForward(pd, src, weights, key.bias ? bias : null, dst);
      }
      case BACKWARD_DATA -> {
        dnnl_primitive_desc hint = forwardPd(plan, engine, d, false, l);
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_convolution_backward_data_primitive_desc_create(pd, engine, dnnl_convolution_direct,
            act(plan, d.src, l), wei(plan, d.weights, l), act(plan, d.dst, l), d.strides, d.dilates, d.padL, d.padR,
            hint, null), "convolution backward-data primitive_desc_create");
        plan.own(pd);
        Buffer dy = plan.input(dst, query(pd, DNNL_ARG_DIFF_DST));
        Buffer w = plan.inputRemembered(weights, query(pd, DNNL_ARG_WEIGHTS));
        Buffer dx = plan.output(query(pd, DNNL_ARG_DIFF_SRC), src);
        plan.primitive(pd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
            new Buffer[] {dy, w, dx});
      }
      case BACKWARD_WEIGHTS -> {
        dnnl_primitive_desc hint = forwardPd(plan, engine, d, key.bias, l);
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_convolution_backward_weights_primitive_desc_create(pd, engine, dnnl_convolution_direct,
            act(plan, d.src, l), wei(plan, d.weights, l), key.bias ? act(plan, d.bias, l) : null,
            act(plan, d.dst, l), d.strides, d.dilates, d.padL, d.padR, hint, null),
            "convolution backward-weights primitive_desc_create");
        plan.own(pd);
        plan.weightedBackwardWeights(pd, src, dst, weights, key.bias ? bias : null);
      }
      default -> throw new AssertionError(key.pass);
    }
  }
}
