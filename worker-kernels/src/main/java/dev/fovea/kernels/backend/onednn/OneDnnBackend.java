package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.allFloat;
import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.ForwardingBackend;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_stream;

/**
 * The oneDNN CPU backend. FLOAT32 convolution, pooling, eltwise (RELU, IDENTITY), inner product and
 * softmax cross-entropy run as oneDNN primitives; FLOAT64 tensors, activations oneDNN has no mapping
 * for here, and any geometry oneDNN reports as unimplemented fall back, op by op, to the reference
 * backend (the {@code super} call of each override).
 *
 * <p>Plan once, run many: each (op, shapes, parameters) key gets a {@link OneDnnPlan} on first use
 * (primitive descriptors, primitives, native buffers, boundary reorders) that later calls reuse. A
 * convolution plan is the fastest of three layout candidates, timed once when it is planned (see
 * {@link OneDnnConvolution.Layouts}). A call copies the Java arrays into the plan's buffers and
 * back; weights are remembered by value, so their copy and reorder are skipped when they did not
 * change since the plan's last call (evaluation, or several passes of one training step) and never
 * served stale when they did. {@link #close()} frees every native object; nothing native is left to
 * the garbage collector.
 *
 * <p>Not thread-safe: one backend per task, used by one thread at a time.
 */
public final class OneDnnBackend extends ForwardingBackend {
  /** Whether the JVM was already told that thread limits cannot be enforced (said once). */
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private final int threads;
  private final dnnl_engine engine;
  private final dnnl_stream stream;
  private final OneDnnContext ctx;
  private final Map<Object, OneDnnPlan> plans = new LinkedHashMap<>();
  private final Set<Object> unsupported = new HashSet<>();
  private final OneDnnConvolution.Layouts forcedLayouts;
  private boolean closed;

  /**
   * A backend running oneDNN primitives with at most {@code threads} threads (see the package
   * documentation for how the limit is applied).
   *
   * @throws IllegalStateException when the native library cannot be loaded here
   */
  public OneDnnBackend(int threads) {
    this(threads, null);
  }

  /**
   * A backend whose convolutions always use {@code layouts} instead of the fastest candidate (for
   * tests that hold every candidate to the reference); null times the candidates.
   */
  OneDnnBackend(int threads, OneDnnConvolution.Layouts layouts) {
    super(new ReferenceBackend());
    this.forcedLayouts = layouts;
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    String reason = OneDnn.unavailableReason();
    if (reason != null) {
      throw new IllegalStateException("backend onednn cannot run here: " + reason);
    }
    this.threads = threads;
    if (!OneDnnThreads.enforced() && OneDnnThreads.maxThreads() > threads && !WARNED.getAndSet(true)) {
      System.getLogger(OneDnnBackend.class.getName()).log(System.Logger.Level.WARNING, "backend onednn cannot limit"
          + " OpenMP to " + threads + " threads (" + OneDnnThreads.unenforcedReason() + "); it may use up to "
          + OneDnnThreads.maxThreads() + ". Start the JVM with --add-modules jdk.incubator.foreign"
          + " --enable-native-access=ALL-UNNAMED, or set OMP_NUM_THREADS.");
    }
    OneDnnThreads.limit(threads);
    this.engine = OneDnn.newEngine();
    dnnl_stream s = new dnnl_stream();
    try {
      check(dnnl_stream_create(s, engine, dnnl_stream_default_flags), "stream_create");
    } catch (RuntimeException e) {
      dnnl_engine_destroy(engine);
      throw e;
    }
    this.stream = s;
    this.ctx = new OneDnnContext(engine, stream);
  }

  @Override
  public String name() {
    return "onednn";
  }

  /** The most threads this backend's primitives use. */
  public int threads() {
    return threads;
  }

  /**
   * Whether the thread limit is enforced (the JVM can reach OpenMP's {@code omp_set_num_threads});
   * when false, OpenMP's process-wide default applies.
   */
  public boolean threadLimitEnforced() {
    return OneDnnThreads.enforced();
  }

  /** The oneDNN version and threading runtime, e.g. {@code 3.8.1 (cpu runtime OpenMP)}. */
  public static String nativeVersion() {
    return OneDnn.version();
  }

  /** One line per plan: its key and, for convolutions, the layouts it chose. */
  public List<String> planDescriptions() {
    List<String> out = new ArrayList<>();
    plans.forEach((k, v) -> out.add(k + (v.label.isEmpty() ? "" : " -> " + v.label)));
    return out;
  }

  /**
   * The plan of a convolution: with every candidate {@link OneDnnConvolution.Layouts} built and
   * timed once, the fastest (boundary reorders included); the others are freed at once.
   */
  private OneDnnPlan convolutionPlan(OneDnnConvolution.Key key) {
    return plan(key, k -> {
      if (forcedLayouts != null) {
        OneDnnPlan plan = OneDnnConvolution.plan(key, ctx, forcedLayouts);
        plan.label = forcedLayouts.name() + " " + plan.impl();
        return plan;
      }
      OneDnnPlan best = null;
      long bestNs = Long.MAX_VALUE;
      try {
        for (OneDnnConvolution.Layouts l : OneDnnConvolution.Layouts.values()) {
          OneDnnPlan candidate;
          try {
            candidate = OneDnnConvolution.plan(key, ctx, l);
          } catch (OneDnn.Unimplemented e) {
            continue;
          }
          long ns;
          try {
            // oneDNN's reference kernels are orders of magnitude slower than its JIT ones (a 3x3
            // 512-channel backward-weights: 4.5 s against 57 ms): never spend a timing run on one,
            // alone or inside a composite such as "jit_uni_ncsp_convolution:conv+ref:any", when
            // a candidate without one exists.
            boolean reference = candidate.impl().contains("ref");
            ns = reference && best != null ? Long.MAX_VALUE : candidate.time(bestNs);
          } catch (RuntimeException e) {
            candidate.close();
            throw e;
          }
          if (best == null || ns < bestNs) {
            if (best != null) {
              best.close();
            }
            best = candidate;
            best.label = l.name() + " " + candidate.impl();
            bestNs = ns;
          } else {
            candidate.close();
          }
        }
      } catch (RuntimeException e) {
        if (best != null) {
          best.close();
        }
        throw e;
      }
      if (best == null) {
        throw new OneDnn.Unimplemented("convolution " + key);
      }
      return best;
    });
  }

  /** How many plans (distinct op, shape and parameter keys) this backend holds. */
  public int planCount() {
    return plans.size();
  }

  /** How many keys fell back to the reference because oneDNN has no implementation for them. */
  int unsupportedCount() {
    return unsupported.size();
  }

  /** The cached plan for {@code key}, built on first use; null when oneDNN cannot run it. */
  private OneDnnPlan plan(Object key, Function<Object, OneDnnPlan> build) {
    if (closed) {
      throw new IllegalStateException("backend onednn is closed");
    }
    OneDnnPlan plan = plans.get(key);
    if (plan != null || unsupported.contains(key)) {
      return plan;
    }
    OneDnnThreads.limit(threads);
    try {
      plan = build.apply(key);
    } catch (OneDnn.Unimplemented e) {
      unsupported.add(key);
      return null;
    }
    plans.put(key, plan);
    return plan;
  }

  /**
   * The common end of convolution and inner-product backward-weights: runs the plan on (src,
   * diffDst) and adds its results into diffWeights and, when not null, diffBias.
   */
  private void accumulateWeights(OneDnnPlan plan, Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    plan.in(0).write(src);
    plan.in(1).write(diffDst);
    run(plan);
    plan.out(0).addTo(diffWeights);
    if (diffBias != null) {
      plan.out(1).addTo(diffBias);
    }
  }

  private void run(OneDnnPlan plan) {
    OneDnnThreads.limit(threads);
    plan.run();
  }

  private static void expect(String op, String what, Tensor t, Shape shape) {
    if (!t.shape().equals(shape)) {
      throw new IllegalArgumentException(op + ": " + what + " is " + t.shape() + ", expected " + shape);
    }
  }

  // ---- convolution ----

  @Override
  public void convolutionForward(ConvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    OneDnnPlan plan = null;
    if (allFloat(src, weights, bias, dst)) {
      expect("convolution", "dst", dst, p.outputShape(src.shape(), weights.shape()));
      if (bias != null) {
        expect("convolution", "bias", bias, Shape.of(weights.shape().dim(0)));
      }
      plan = convolutionPlan(new OneDnnConvolution.Key(OneDnnConvolution.Pass.FORWARD, p, src.shape(), weights.shape(),
          bias != null));
    }
    if (plan == null) {
      super.convolutionForward(p, src, weights, bias, dst);
      return;
    }
    plan.in(0).write(src);
    plan.in(1).write(weights);
    if (bias != null) {
      plan.in(2).write(bias);
    }
    run(plan);
    plan.out(0).read(dst);
  }

  @Override
  public void convolutionBackwardData(ConvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    OneDnnPlan plan = null;
    if (allFloat(diffDst, weights, diffSrc)) {
      expect("convolution", "diffDst", diffDst, p.outputShape(diffSrc.shape(), weights.shape()));
      plan = convolutionPlan(new OneDnnConvolution.Key(OneDnnConvolution.Pass.BACKWARD_DATA, p, diffSrc.shape(),
          weights.shape(), false));
    }
    if (plan == null) {
      super.convolutionBackwardData(p, diffDst, weights, diffSrc);
      return;
    }
    plan.in(0).write(diffDst);
    plan.in(1).write(weights);
    run(plan);
    plan.out(0).read(diffSrc);
  }

  /** Accumulates into {@code diffWeights} and {@code diffBias}, as the interface requires. */
  @Override
  public void convolutionBackwardWeights(ConvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
      Tensor diffBias) {
    OneDnnPlan plan = null;
    if (allFloat(src, diffDst, diffWeights, diffBias)) {
      expect("convolution", "diffDst", diffDst, p.outputShape(src.shape(), diffWeights.shape()));
      if (diffBias != null) {
        expect("convolution", "diffBias", diffBias, Shape.of(diffWeights.shape().dim(0)));
      }
      plan = convolutionPlan(new OneDnnConvolution.Key(OneDnnConvolution.Pass.BACKWARD_WEIGHTS, p, src.shape(),
          diffWeights.shape(), diffBias != null));
    }
    if (plan == null) {
      super.convolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
      return;
    }
    accumulateWeights(plan, src, diffDst, diffWeights, diffBias);
  }

  // ---- pooling ----

  @Override
  public void poolingForward(PoolParams p, Tensor src, Tensor dst) {
    OneDnnPlan plan = null;
    if (OneDnnPooling.supports(p) && allFloat(src, dst)) {
      expect("pooling", "dst", dst, p.outputShape(src.shape()));
      plan = plan(new OneDnnPooling.Key(false, p, src.shape()), k -> OneDnnPooling.plan((OneDnnPooling.Key) k, ctx));
    }
    if (plan == null) {
      super.poolingForward(p, src, dst);
      return;
    }
    plan.in(0).write(src);
    run(plan);
    plan.out(0).read(dst);
  }

  @Override
  public void poolingBackward(PoolParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    OneDnnPlan plan = null;
    if (OneDnnPooling.supports(p) && allFloat(src, diffDst, diffSrc)) {
      expect("pooling", "diffDst", diffDst, p.outputShape(src.shape()));
      expect("pooling", "diffSrc", diffSrc, src.shape());
      plan = plan(new OneDnnPooling.Key(true, p, src.shape()), k -> OneDnnPooling.plan((OneDnnPooling.Key) k, ctx));
    }
    if (plan == null) {
      super.poolingBackward(p, src, diffDst, diffSrc);
      return;
    }
    plan.in(0).write(diffDst);
    if (p.kind() == PoolParams.Kind.MAX) {
      plan.in(1).write(src);
    }
    run(plan);
    plan.out(0).read(diffSrc);
  }

  // ---- eltwise ----

  @Override
  public void eltwiseForward(Activation f, Tensor src, Tensor dst) {
    OneDnnPlan plan = null;
    if (OneDnnEltwise.supports(f) && allFloat(src, dst) && src.size() == dst.size()) {
      plan = plan(new OneDnnEltwise.Key(false, f, src.size()), k -> OneDnnEltwise.plan((OneDnnEltwise.Key) k, ctx));
    }
    if (plan == null) {
      super.eltwiseForward(f, src, dst);
      return;
    }
    plan.in(0).write(src);
    run(plan);
    plan.out(0).read(dst);
  }

  @Override
  public void eltwiseBackward(Activation f, Tensor src, Tensor diffDst, Tensor diffSrc) {
    OneDnnPlan plan = null;
    if (OneDnnEltwise.supports(f) && allFloat(src, diffDst, diffSrc) && src.size() == diffDst.size()
        && src.size() == diffSrc.size()) {
      plan = plan(new OneDnnEltwise.Key(true, f, src.size()), k -> OneDnnEltwise.plan((OneDnnEltwise.Key) k, ctx));
    }
    if (plan == null) {
      super.eltwiseBackward(f, src, diffDst, diffSrc);
      return;
    }
    plan.in(0).write(src);
    plan.in(1).write(diffDst);
    run(plan);
    plan.out(0).read(diffSrc);
  }

  // ---- inner product ----

  /** {@code (N, K, O)} of an inner product, after the reference's shape checks. */
  private static int[] ipDims(Tensor src, Tensor weights, Tensor dst) {
    int n = src.shape().dim(0);
    int k = src.shape().sampleSize();
    if (weights.shape().rank() != 2 || weights.shape().dim(1) != k) {
      throw new IllegalArgumentException("inner product: weights " + weights.shape() + " do not fit source "
          + src.shape() + " (expected (O, " + k + "))");
    }
    int o = weights.shape().dim(0);
    expect("inner product", "dst", dst, Shape.of(n, o));
    return new int[] {n, k, o};
  }

  @Override
  public void innerProductForward(Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    OneDnnPlan plan = null;
    if (allFloat(src, weights, bias, dst)) {
      int[] d = ipDims(src, weights, dst);
      if (bias != null) {
        expect("inner product", "bias", bias, Shape.of(d[2]));
      }
      plan = plan(new OneDnnInnerProduct.Key(OneDnnInnerProduct.Pass.FORWARD, d[0], d[1], d[2], bias != null),
          k -> OneDnnInnerProduct.plan((OneDnnInnerProduct.Key) k, ctx));
    }
    if (plan == null) {
      super.innerProductForward(src, weights, bias, dst);
      return;
    }
    plan.in(0).write(src);
    plan.in(1).write(weights);
    if (bias != null) {
      plan.in(2).write(bias);
    }
    run(plan);
    plan.out(0).read(dst);
  }

  @Override
  public void innerProductBackwardData(Tensor diffDst, Tensor weights, Tensor diffSrc) {
    OneDnnPlan plan = null;
    if (allFloat(diffDst, weights, diffSrc)) {
      int[] d = ipDims(diffSrc, weights, diffDst);
      plan = plan(new OneDnnInnerProduct.Key(OneDnnInnerProduct.Pass.BACKWARD_DATA, d[0], d[1], d[2], false),
          k -> OneDnnInnerProduct.plan((OneDnnInnerProduct.Key) k, ctx));
    }
    if (plan == null) {
      super.innerProductBackwardData(diffDst, weights, diffSrc);
      return;
    }
    plan.in(0).write(diffDst);
    plan.in(1).write(weights);
    run(plan);
    plan.out(0).read(diffSrc);
  }

  /** Accumulates into {@code diffWeights} and {@code diffBias}, as the interface requires. */
  @Override
  public void innerProductBackwardWeights(Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    OneDnnPlan plan = null;
    if (allFloat(src, diffDst, diffWeights, diffBias)) {
      int[] d = ipDims(src, diffWeights, diffDst);
      if (diffBias != null) {
        expect("inner product", "diffBias", diffBias, Shape.of(d[2]));
      }
      plan = plan(new OneDnnInnerProduct.Key(OneDnnInnerProduct.Pass.BACKWARD_WEIGHTS, d[0], d[1], d[2],
          diffBias != null), k -> OneDnnInnerProduct.plan((OneDnnInnerProduct.Key) k, ctx));
    }
    if (plan == null) {
      super.innerProductBackwardWeights(src, diffDst, diffWeights, diffBias);
      return;
    }
    accumulateWeights(plan, src, diffDst, diffWeights, diffBias);
  }

  // ---- softmax cross-entropy ----

  @Override
  public double softmaxCrossEntropyForward(Tensor src, int[] labels, Tensor dst) {
    int n = src.shape().dim(0);
    int k = src.shape().sampleSize();
    OneDnnPlan plan = null;
    if (allFloat(src, dst)) {
      if (labels.length != n) {
        throw new IllegalArgumentException("softmax cross-entropy: " + labels.length + " labels for " + n + " rows");
      }
      if (dst.size() != src.size()) {
        throw new IllegalArgumentException(
            "softmax cross-entropy: dst " + dst.shape() + " differs from src " + src.shape());
      }
      for (int r = 0; r < n; r++) {
        if (labels[r] < 0 || labels[r] >= k) {
          throw new IllegalArgumentException(
              "softmax cross-entropy: label " + labels[r] + " of row " + r + " not in [0, " + k + ")");
        }
      }
      plan = plan(new OneDnnSoftmax.Key(n, k), key -> OneDnnSoftmax.plan((OneDnnSoftmax.Key) key, ctx));
    }
    if (plan == null) {
      return super.softmaxCrossEntropyForward(src, labels, dst);
    }
    plan.in(0).write(src);
    run(plan);
    plan.out(0).read(dst); // log-probabilities, turned into probabilities below
    float[] y = dst.floatArray();
    int off = dst.offset();
    double loss = 0;
    for (int r = 0; r < n; r++) {
      loss -= y[off + r * k + labels[r]];
    }
    for (int i = 0; i < n * k; i++) {
      y[off + i] = (float) Math.exp(y[off + i]);
    }
    return loss;
  }

  @Override
  public void softmaxCrossEntropyBackward(Tensor dst, int[] labels, double scale, Tensor diffSrc) {
    if (!allFloat(dst, diffSrc) || dst.size() != diffSrc.size()) {
      super.softmaxCrossEntropyBackward(dst, labels, scale, diffSrc);
      return;
    }
    // An element-wise formula on (N, K): no primitive would pay for its launch; computed in double
    // and rounded once, exactly as the reference does.
    int n = dst.shape().dim(0);
    int k = dst.shape().sampleSize();
    float[] y = dst.floatArray();
    float[] g = diffSrc.floatArray();
    int yo = dst.offset();
    int go = diffSrc.offset();
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < k; j++) {
        double v = y[yo + r * k + j] - (j == labels[r] ? 1.0 : 0.0);
        g[go + r * k + j] = (float) (scale * v);
      }
    }
  }

  /** Frees every plan, the stream and the engine; the backend cannot be used afterwards. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (OneDnnPlan plan : plans.values()) {
      plan.close();
    }
    plans.clear();
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(engine);
    super.close();
  }
}
