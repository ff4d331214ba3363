package dev.fovea.kernels.bench;

import static dev.fovea.kernels.bench.ConvolutionBenchmark.Raw.check;
import static dev.fovea.kernels.bench.ConvolutionBenchmark.Raw.engine;
import static dev.fovea.kernels.bench.ConvolutionBenchmark.Raw.floats;
import static dev.fovea.kernels.bench.ConvolutionBenchmark.Raw.query;
import static dev.fovea.kernels.bench.ConvolutionBenchmark.longs;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.bench.ConvolutionBenchmark.Pass;
import dev.fovea.kernels.bench.ConvolutionBenchmark.Raw;
import dev.fovea.kernels.conformance.NetworkShapes.ConvLayer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The training step of {@link ConvolutionBenchmark#network}'s test network written directly
 * against oneDNN's C API, with no Fovea code: what a programmer who trains that network on raw
 * oneDNN writes. It is the in-situ reference for Fovea's figure: the layer's primitives run where a
 * training step runs them, after the other layers and the update have touched their memory, not
 * back to back on hot buffers.
 *
 * <p>Input (plain {@code nchw}) → 1×1 convolution → the layer (with bias) → average pooling over the
 * whole map → inner product to 2 → softmax cross-entropy on the host; backward in the reverse order
 * (the layer's backward-weights, then its backward-data, as Fovea orders them); then SGD with
 * momentum over every parameter, element by element, in the layouts the primitives hold them in.
 * Every primitive is created with {@code format_tag::any}; a backward primitive is first asked for
 * the layouts the step already holds (the forward's source, destination and weights), as any
 * careful oneDNN program would, and takes them when oneDNN runs that with the same kernel; where
 * backward-data needs the weights in another layout than the forward's (oneDNN's kernels often
 * do), they are reordered into it every step, because the update changes them every step.
 *
 * <p>Per pass, the seconds of the layer's primitive plus the weight reorders that pass needs
 * ({@link #seconds}); reorders of activations between the layer and its neighbours are done but
 * not counted, as in Fovea's figure.
 */
final class RawTrainingStep implements AutoCloseable {
  private final Raw.Objects o = new Raw.Objects();
  private final int n;
  private final List<Runnable> forward = new ArrayList<>();
  private final List<Runnable> backward = new ArrayList<>();
  /** Parameter, gradient and velocity buffers, in the same layouts, for the update. */
  private final List<FloatBuffer[]> params = new ArrayList<>();
  private final long[] ns = new long[Pass.values().length];
  private final FloatBuffer logits;
  private final FloatBuffer diffLogits;
  private long steps;
  private final String[] implementations = new String[Pass.values().length];
  /** The parameters by Fovea's slice name, with their layouts: for {@link #setParameters}. */
  private final java.util.Map<String, dnnl_memory> paramMems = new java.util.LinkedHashMap<>();
  private final java.util.Map<String, dnnl_memory_desc> paramMds = new java.util.LinkedHashMap<>();
  private final dnnl_memory input;
  /** Whether {@link #setParameters} has given the buffers their values. */
  private boolean loaded;
  private final long[] srcDims;

  RawTrainingStep(ConvLayer layer, int n) {
    this.n = n;
    Shape dstShape = layer.params().outputShape(layer.src(n), layer.weights());
    long[] src = longs(layer.src(n).dims());
    long[] w = longs(layer.weights().dims());
    long[] b = {layer.oc()};
    long[] dst = longs(dstShape.dims());
    long[] strides = {layer.stride(), layer.stride()};
    long[] pad = {layer.pad(), layer.pad()};
    long[] zero = {0, 0};
    long[] one = {1, 1};

    // the layer first, so that its neighbours are made for the layouts it picks
    dnnl_primitive_desc fwd = o.pd(new dnnl_primitive_desc());
    check(dnnl_convolution_forward_primitive_desc_create(fwd, engine, dnnl_forward_training, dnnl_convolution_direct,
        any(src), any(w), any(b), any(dst), strides, zero, pad, pad, null), "layer fwd");
    implementations[Pass.FWD.ordinal()] = implementation(fwd);
    dnnl_memory_desc srcMd = query(fwd, DNNL_ARG_SRC);
    dnnl_memory_desc wMd = query(fwd, DNNL_ARG_WEIGHTS);
    dnnl_memory_desc dstMd = query(fwd, DNNL_ARG_DST);
    dnnl_memory x = o.filled(srcMd);
    dnnl_memory lw = param("conv.weights", wMd);
    dnnl_memory lb = param("conv.bias", query(fwd, DNNL_ARG_BIAS));
    dnnl_memory y = o.filled(dstMd);

    // input → 1×1 convolution writing the layer's source layout when it can
    long[] pw = {layer.c(), layer.c(), 1, 1};
    dnnl_primitive_desc preFixed = usable(q -> dnnl_convolution_forward_primitive_desc_create(q, engine,
        dnnl_forward_training, dnnl_convolution_direct, any(src), any(pw), null, srcMd, one, zero, zero, zero, null));
    dnnl_primitive_desc pre = preFixed;
    if (pre == null) {
      pre = o.pd(new dnnl_primitive_desc());
      check(dnnl_convolution_forward_primitive_desc_create(pre, engine, dnnl_forward_training, dnnl_convolution_direct,
          any(src), any(pw), null, any(src), one, zero, zero, zero, null), "pre fwd");
    }
    dnnl_memory_desc preSrcMd = query(pre, DNNL_ARG_SRC);
    input = o.filled(o.md(src, dnnl_nchw));
    srcDims = src;
    dnnl_memory preSrc = o.filled(preSrcMd);
    dnnl_memory pwMem = param("pre.weights", query(pre, DNNL_ARG_WEIGHTS));
    dnnl_memory preDst = o.filled(query(pre, DNNL_ARG_DST));
    forward.add(reorder(input, o.md(src, dnnl_nchw), preSrc, preSrcMd));
    forward.add(o.exec(pre, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST},
        new dnnl_memory[] {preSrc, pwMem, preDst}));
    boolean preWritesSrc = same(query(pre, DNNL_ARG_DST), srcMd);
    if (!preWritesSrc) {
      forward.add(reorder(preDst, query(pre, DNNL_ARG_DST), x, srcMd));
    }
    Runnable layerFwd = o.exec(fwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},
        new dnnl_memory[] {preWritesSrc ? preDst : x, lw, lb, y});
    forward.add(timed(Pass.FWD, layerFwd));
    dnnl_memory layerSrc = preWritesSrc ? preDst : x;

    // average over the whole map, then the inner product
    long[] pooled = {n, layer.oc(), 1, 1};
    long[] kernel = {dst[2], dst[3]};
    dnnl_primitive_desc pool = o.pd(new dnnl_primitive_desc());
    check(dnnl_pooling_forward_primitive_desc_create(pool, engine, dnnl_forward_training,
        dnnl_pooling_avg_exclude_padding, dstMd, any(pooled), one, kernel, zero, zero, zero, null), "pool fwd");
    dnnl_memory_desc pooledMd = query(pool, DNNL_ARG_DST);
    dnnl_memory p = o.filled(pooledMd);
    forward.add(o.exec(pool, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new dnnl_memory[] {y, p}));
    long[] fcw = {2, layer.oc(), 1, 1};
    long[] out = {n, 2};
    dnnl_primitive_desc fc = o.pd(new dnnl_primitive_desc());
    check(dnnl_inner_product_forward_primitive_desc_create(fc, engine, dnnl_forward_training, pooledMd, any(fcw),
        any(new long[] {2}), o.md(out, dnnl_ab), null), "fc fwd");
    dnnl_memory fw = param("fc.weights", query(fc, DNNL_ARG_WEIGHTS));
    dnnl_memory fb = param("fc.bias", query(fc, DNNL_ARG_BIAS));
    dnnl_memory z = o.filled(o.md(out, dnnl_ab));
    dnnl_memory dz = o.filled(o.md(out, dnnl_ab));
    forward.add(o.exec(fc, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},
        new dnnl_memory[] {p, fw, fb, z}));
    logits = floats(z, o.md(out, dnnl_ab));
    diffLogits = floats(dz, o.md(out, dnnl_ab));

    // backward: inner product, pooling
    dnnl_primitive_desc fcW = o.pd(new dnnl_primitive_desc());
    check(dnnl_inner_product_backward_weights_primitive_desc_create(fcW, engine, pooledMd,
        query(fc, DNNL_ARG_WEIGHTS), query(fc, DNNL_ARG_BIAS), o.md(out, dnnl_ab), fc, null), "fc bwd weights");
    backward.add(o.exec(fcW, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
        new dnnl_memory[] {p, dz, grad(fw), grad(fb)}));
    dnnl_primitive_desc fcD = o.pd(new dnnl_primitive_desc());
    check(dnnl_inner_product_backward_data_primitive_desc_create(fcD, engine, pooledMd, query(fc, DNNL_ARG_WEIGHTS),
        o.md(out, dnnl_ab), fc, null), "fc bwd data");
    dnnl_memory dp = o.filled(pooledMd);
    backward.add(o.exec(fcD, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
        new dnnl_memory[] {dz, fw, dp}));
    dnnl_primitive_desc poolB = o.pd(new dnnl_primitive_desc());
    check(dnnl_pooling_backward_primitive_desc_create(poolB, engine, dnnl_pooling_avg_exclude_padding, dstMd,
        pooledMd, one, kernel, zero, zero, zero, pool, null), "pool bwd");
    dnnl_memory dy = o.filled(dstMd);
    backward.add(o.exec(poolB, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC}, new dnnl_memory[] {dp, dy}));

    // the layer's backward-weights: the held source and destination-gradient layouts first, and
    // its gradient in the forward's weight layout (the update's) when the same kernel takes it
    dnnl_primitive_desc bw = usable(q -> dnnl_convolution_backward_weights_primitive_desc_create(q, engine,
        dnnl_convolution_direct, srcMd, any(w), any(b), dstMd, strides, zero, pad, pad, fwd, null));
    if (bw == null) {
      bw = o.pd(new dnnl_primitive_desc());
      check(dnnl_convolution_backward_weights_primitive_desc_create(bw, engine, dnnl_convolution_direct, any(src),
          any(w), any(b), any(dst), strides, zero, pad, pad, fwd, null), "layer bwd weights");
    }
    dnnl_primitive_desc bwAny = bw;
    bw = sameKernel(bw, usable(q -> dnnl_convolution_backward_weights_primitive_desc_create(q, engine,
        dnnl_convolution_direct, query(bwAny, DNNL_ARG_SRC), wMd, query(bwAny, DNNL_ARG_DIFF_BIAS),
        query(bwAny, DNNL_ARG_DIFF_DST), strides, zero, pad, pad, fwd, null)));
    implementations[Pass.BWD_WEIGHTS.ordinal()] = implementation(bw);
    dnnl_memory bwSrc = converted(layerSrc, srcMd, query(bw, DNNL_ARG_SRC), backward);
    dnnl_memory bwDy = converted(dy, dstMd, query(bw, DNNL_ARG_DIFF_DST), backward);
    dnnl_memory gw = grad(lw);
    List<Runnable> bwPass = new ArrayList<>();
    if (same(query(bw, DNNL_ARG_DIFF_WEIGHTS), wMd)) {
      bwPass.add(o.exec(bw, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
          new dnnl_memory[] {bwSrc, bwDy, gw, grad(lb)}));
    } else {
      dnnl_memory dw = o.filled(query(bw, DNNL_ARG_DIFF_WEIGHTS));
      bwPass.add(o.exec(bw, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
          new dnnl_memory[] {bwSrc, bwDy, dw, grad(lb)}));
      bwPass.add(reorder(dw, query(bw, DNNL_ARG_DIFF_WEIGHTS), gw, wMd));
    }
    backward.add(timed(Pass.BWD_WEIGHTS, () -> bwPass.forEach(Runnable::run)));

    // the layer's backward-data, into the layout the 1×1 convolution wrote, reading the forward's
    // weights when the same kernel takes them, else a copy reordered every step
    dnnl_memory_desc preDstMd = query(pre, DNNL_ARG_DST);
    dnnl_primitive_desc bd = usable(q -> dnnl_convolution_backward_data_primitive_desc_create(q, engine,
        dnnl_convolution_direct, preDstMd, any(w), dstMd, strides, zero, pad, pad, fwd, null));
    if (bd == null) {
      bd = o.pd(new dnnl_primitive_desc());
      check(dnnl_convolution_backward_data_primitive_desc_create(bd, engine, dnnl_convolution_direct, any(src),
          any(w), any(dst), strides, zero, pad, pad, fwd, null), "layer bwd data");
    }
    dnnl_primitive_desc bdAny = bd;
    bd = sameKernel(bd, usable(q -> dnnl_convolution_backward_data_primitive_desc_create(q, engine,
        dnnl_convolution_direct, query(bdAny, DNNL_ARG_DIFF_SRC), wMd, query(bdAny, DNNL_ARG_DIFF_DST), strides,
        zero, pad, pad, fwd, null)));
    implementations[Pass.BWD_DATA.ordinal()] = implementation(bd);
    List<Runnable> bdPass = new ArrayList<>();
    dnnl_memory bdW = lw;
    if (!same(query(bd, DNNL_ARG_WEIGHTS), wMd)) {
      bdW = o.filled(query(bd, DNNL_ARG_WEIGHTS));
      bdPass.add(reorder(lw, wMd, bdW, query(bd, DNNL_ARG_WEIGHTS)));
    }
    dnnl_memory bdDy = converted(dy, dstMd, query(bd, DNNL_ARG_DIFF_DST), backward);
    dnnl_memory dx = o.filled(query(bd, DNNL_ARG_DIFF_SRC));
    bdPass.add(o.exec(bd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
        new dnnl_memory[] {bdDy, bdW, dx}));
    backward.add(timed(Pass.BWD_DATA, () -> bdPass.forEach(Runnable::run)));
    dnnl_memory preDy = converted(dx, query(bd, DNNL_ARG_DIFF_SRC), preDstMd, backward);

    // the 1×1 convolution's weights (its input needs no gradient), in the held layouts when it can
    dnnl_primitive_desc preHint = pre;
    dnnl_memory_desc pwMd = query(pre, DNNL_ARG_WEIGHTS);
    dnnl_primitive_desc preW = usable(q -> dnnl_convolution_backward_weights_primitive_desc_create(q, engine,
        dnnl_convolution_direct, preSrcMd, pwMd, null, preDstMd, one, zero, zero, zero, preHint, null));
    if (preW == null) {
      preW = o.pd(new dnnl_primitive_desc());
      check(dnnl_convolution_backward_weights_primitive_desc_create(preW, engine, dnnl_convolution_direct, any(src),
          any(pw), null, any(src), one, zero, zero, zero, pre, null), "pre bwd weights");
    }
    dnnl_memory preWSrc = converted(preSrc, preSrcMd, query(preW, DNNL_ARG_SRC), backward);
    dnnl_memory preWDy = converted(preDy, preDstMd, query(preW, DNNL_ARG_DIFF_DST), backward);
    dnnl_memory_desc preGwMd = query(preW, DNNL_ARG_DIFF_WEIGHTS);
    dnnl_memory preGw = same(preGwMd, pwMd) ? grad(pwMem) : o.filled(preGwMd);
    backward.add(o.exec(preW, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS},
        new dnnl_memory[] {preWSrc, preWDy, preGw}));
    if (preGw != grad(pwMem)) {
      backward.add(reorder(preGw, preGwMd, grad(pwMem), pwMd));
    }
  }

  /** One training step: forward, loss, backward, update (SGD, momentum 0.9, as the Fovea side). */
  void step() {
    gradient();
    float lr = 1e-4f;
    float mu = 0.9f;
    for (FloatBuffer[] u : params) {
      FloatBuffer pb = u[0];
      FloatBuffer g = u[1];
      FloatBuffer v = u[2];
      for (int i = 0, len = pb.capacity(); i < len; i++) {
        float x = mu * v.get(i) + g.get(i);
        v.put(i, x);
        pb.put(i, pb.get(i) - lr * x);
      }
    }
    steps++;
  }

  /** Forward, loss and backward: every parameter's gradient; returns the summed loss. */
  double gradient() {
    if (!loaded) {
      throw new IllegalStateException("raw training step: setParameters first");
    }
    forward.forEach(Runnable::run);
    // softmax cross-entropy of the labels i % 2, mean over the batch
    double l = 0;
    for (int i = 0; i < n; i++) {
      double a = logits.get(2 * i);
      double c = logits.get(2 * i + 1);
      double m = Math.max(a, c);
      double ea = Math.exp(a - m);
      double ec = Math.exp(c - m);
      double s = ea + ec;
      l -= Math.log((i % 2 == 0 ? ea : ec) / s);
      diffLogits.put(2 * i, (float) ((ea / s - (i % 2 == 0 ? 1 : 0)) / n));
      diffLogits.put(2 * i + 1, (float) ((ec / s - (i % 2 == 1 ? 1 : 0)) / n));
    }
    backward.forEach(Runnable::run);
    return l;
  }

  /**
   * Takes the parameters from Fovea's flat vector ({@code layout}'s slices {@code pre.weights},
   * {@code conv.weights}, {@code conv.bias}, {@code fc.weights}, {@code fc.bias}, row-major, which
   * is oneDNN's plain layout of the same dims) and the input batch (NCHW), reordering each into the
   * layout this step holds it in; velocities start at zero.
   */
  void setParameters(dev.fovea.nn.ParamLayout layout, float[] flat, dev.fovea.kernels.Tensor x) {
    for (var e : paramMems.entrySet()) {
      dev.fovea.nn.ParamLayout.Slice sl = layout.slice(e.getKey());
      dnnl_memory_desc held = paramMds.get(e.getKey());
      dnnl_memory_desc plain = o.md(dims(held), plainTag(ndims(held)));
      dnnl_memory tmp = o.filled(plain);
      floats(tmp, plain).put(flat, sl.offset(), sl.size());
      reorder(tmp, plain, e.getValue(), held).run();
    }
    for (FloatBuffer[] u : params) {
      for (int i = 0; i < u[2].capacity(); i++) {
        u[2].put(i, 0f);
      }
    }
    floats(input, o.md(srcDims, dnnl_nchw)).put(x.floatArray(), x.offset(), x.size());
    loaded = true;
  }

  /** The gradient of {@code name} (a parameter slice) as a row-major array. */
  float[] gradient(String name) {
    dnnl_memory_desc held = paramMds.get(name);
    dnnl_memory_desc plain = o.md(dims(held), plainTag(ndims(held)));
    dnnl_memory tmp = o.filled(plain);
    reorder(grad(paramMems.get(name)), held, tmp, plain).run();
    FloatBuffer f = floats(tmp, plain);
    float[] out = new float[f.capacity()];
    f.get(out);
    return out;
  }

  private static int ndims(dnnl_memory_desc md) {
    try (org.bytedeco.javacpp.IntPointer v = new org.bytedeco.javacpp.IntPointer(1)) {
      check(dnnl_memory_desc_query(md, dnnl_query_ndims_s32, v), "ndims");
      return v.get();
    }
  }

  private static long[] dims(dnnl_memory_desc md) {
    try (PointerPointer<Pointer> p = new PointerPointer<>(1)) {
      check(dnnl_memory_desc_query(md, dnnl_query_dims, p), "dims");
      int nd = ndims(md);
      long[] d = new long[nd];
      new org.bytedeco.javacpp.LongPointer(p.get(0)).capacity(nd).get(d);
      return d;
    }
  }

  private static int plainTag(int ndims) {
    return switch (ndims) {
      case 1 -> dnnl_a;
      case 2 -> dnnl_ab;
      case 4 -> dnnl_abcd;
      default -> throw new IllegalArgumentException(ndims + " dims");
    };
  }

  /** Forgets the times measured so far. */
  void reset() {
    java.util.Arrays.fill(ns, 0);
    steps = 0;
  }

  /** Seconds per step of {@code pass}: the layer's primitive and the weight reorders it needs. */
  double seconds(Pass pass) {
    return ns[pass.ordinal()] / 1e9 / Math.max(1, steps);
  }

  /** The implementation oneDNN picked for {@code pass}. */
  String implementation(Pass pass) {
    return implementations[pass.ordinal()];
  }

  @Override
  public void close() {
    o.close();
  }

  private Runnable timed(Pass pass, Runnable r) {
    return () -> {
      long t0 = System.nanoTime();
      r.run();
      ns[pass.ordinal()] += System.nanoTime() - t0;
    };
  }

  private dnnl_memory_desc any(long[] dims) {
    return o.md(dims, dnnl_format_tag_any);
  }

  /** A parameter buffer, with a gradient and a velocity buffer in its layout. */
  private final java.util.Map<dnnl_memory, dnnl_memory> grads = new java.util.IdentityHashMap<>();

  private dnnl_memory param(String name, dnnl_memory_desc md) {
    dnnl_memory pm = o.filled(md);
    paramMems.put(name, pm);
    paramMds.put(name, md);
    dnnl_memory g = o.filled(md);
    dnnl_memory v = o.filled(md);
    // values (and zero velocities) come from setParameters, which a measurement calls first
    grads.put(pm, g);
    params.add(new FloatBuffer[] {floats(pm, md), floats(g, md), floats(v, md)});
    return pm;
  }

  private dnnl_memory grad(dnnl_memory param) {
    return grads.get(param);
  }

  /** {@code m} (layout {@code have}) in layout {@code want}: itself, or a copy reordered by {@code into}. */
  private dnnl_memory converted(dnnl_memory m, dnnl_memory_desc have, dnnl_memory_desc want, List<Runnable> into) {
    if (same(have, want)) {
      return m;
    }
    dnnl_memory c = o.filled(want);
    into.add(reorder(m, have, c, want));
    return c;
  }

  private Runnable reorder(dnnl_memory from, dnnl_memory_desc fromMd, dnnl_memory to, dnnl_memory_desc toMd) {
    dnnl_primitive_desc pd = o.pd(new dnnl_primitive_desc());
    check(dnnl_reorder_primitive_desc_create(pd, fromMd, engine, toMd, engine, null), "reorder");
    return o.exec(pd, new int[] {DNNL_ARG_FROM, DNNL_ARG_TO}, new dnnl_memory[] {from, to});
  }

  private static boolean same(dnnl_memory_desc a, dnnl_memory_desc b) {
    return dnnl_memory_desc_equal(a, b) != 0;
  }

  private interface Create {
    int create(dnnl_primitive_desc pd);
  }

  /** A descriptor from {@code create}, or null when oneDNN refuses it or offers only a reference kernel. */
  private dnnl_primitive_desc usable(Create create) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    if (create.create(pd) != dnnl_success) {
      return null;
    }
    if (implementation(pd).contains("ref")) {
      dnnl_primitive_desc_destroy(pd);
      return null;
    }
    return o.pd(pd);
  }

  /** {@code alternative} when it exists and runs the same kernel as {@code pd}, else {@code pd}. */
  private static dnnl_primitive_desc sameKernel(dnnl_primitive_desc pd, dnnl_primitive_desc alternative) {
    return alternative != null && implementation(alternative).equals(implementation(pd)) ? alternative : pd;
  }

  static String implementation(dnnl_primitive_desc pd) {
    try (PointerPointer<Pointer> out = new PointerPointer<>(1)) {
      if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, out) != dnnl_success || out.get(0) == null) {
        return "unknown";
      }
      return new org.bytedeco.javacpp.BytePointer(out.get(0)).getString();
    }
  }
}
