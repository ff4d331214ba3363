package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.allFloat;
import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.CompiledNetwork;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.ForwardingBackend;
import dev.fovea.kernels.LrnParams;
import dev.fovea.kernels.NetworkCompiler;
import dev.fovea.kernels.ResidentNetwork;
import dev.fovea.kernels.compile.CompiledStep;
import dev.fovea.kernels.compile.SoftmaxCrossEntropy;
import dev.fovea.kernels.compile.StepCache;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_stream;

/**
 * The oneDNN CPU backend. FLOAT32 convolution and transposed convolution, pooling, resampling,
 * batch normalisation, LRN, inner product, softmax, log-softmax, softmax cross-entropy, concat, sum
 * and most element-wise activations run as oneDNN primitives ({@code docs/ops.md} lists each op and
 * when it falls back); FLOAT64 tensors, ops and parameters oneDNN has no matching primitive for,
 * and any geometry oneDNN reports as unimplemented fall back, op by op, to the reference backend
 * (the {@code super} call of each override). Denormals are flushed to zero inside oneDNN's threads
 * and never on the calling Java thread ({@link OneDnnDenormals}).
 *
 * <p>Plan once, run many: each (op, shapes, parameters) key gets a {@link OneDnnPlan} on first use
 * (primitive descriptors, primitives, native buffers, boundary reorders) that later calls reuse. A
 * convolution plan is the first of three layout candidates with a non-reference kernel, never the
 * fastest by a clock, so the same seed gives the same bits (see {@link
 * OneDnnConvolution.Layouts}). A call copies the Java arrays into the plan's buffers and
 * back; weights are remembered by value, so their copy and reorder are skipped when they did not
 * change since the plan's last call (evaluation, or several passes of one training step) and never
 * served stale when they did. Buffers that hold nothing from one call to the next (activations,
 * their reordered copies, outputs, workspaces) live in one arena that all plans share ({@link
 * OneDnnContext.Arena}), so native memory is the remembered weights plus the largest single plan,
 * not the sum of all plans. {@link #close()} frees every native object; nothing native is left to
 * the garbage collector.
 *
 * <p>Whole networks: the backend is also a {@link NetworkCompiler}. {@code Network.lossAndGradient}
 * and {@code Network.forward} hand it the network and it runs the whole step as one compiled,
 * native-resident program ({@link CompiledStep}, lowered by {@code OneDnnLowering}): activations stay native in the layouts
 * the primitives choose (not timed), ReLUs fuse into the convolution or batch norm before them, and
 * the per-op plans above serve only the layers that step runs on the host. {@link
 * #OneDnnBackend(int, boolean)} turns that off (layer by layer, for comparison).
 *
 * <p>Not thread-safe: one backend per task, used by one thread at a time.
 */
public final class OneDnnBackend extends ForwardingBackend implements NetworkCompiler {
  /** Whether the JVM was already told that thread limits cannot be enforced (said once). */
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private final int threads;
  private final dnnl_engine engine;
  private final dnnl_stream stream;
  private final OneDnnContext ctx;
  private final OneDnnDenormals denormals;
  private final Map<Object, OneDnnPlan> plans = new LinkedHashMap<>();
  private final Set<Object> unsupported = new HashSet<>();
  private final OneDnnConvolution.Layouts forcedLayouts;
  /** Compiled steps and the keys that cannot compile. */
  private final StepCache steps;
  /** Whether compiled steps fuse a ReLU into the convolution or batch norm before it (tests turn it off). */
  boolean fuseRelu = true;
  private boolean closed;

  /**
   * A backend running oneDNN primitives with at most {@code threads} threads (see the package
   * documentation for how the limit is applied).
   *
   * @throws IllegalStateException when the native library cannot be loaded here
   */
  public OneDnnBackend(int threads) {
    this(threads, null, true);
  }

  /**
   * A backend that, when {@code compiledSteps} is false, never compiles network steps: networks
   * then run layer by layer, each op copying its tensors in and out (the path before compiled
   * steps existed, kept for comparison in tests and benchmarks).
   */
  public OneDnnBackend(int threads, boolean compiledSteps) {
    this(threads, null, compiledSteps);
  }

  /**
   * A backend whose convolutions always use {@code layouts} instead of the first candidate with a
   * non-reference kernel (for tests that hold every candidate to the reference); null: that one.
   */
  OneDnnBackend(int threads, OneDnnConvolution.Layouts layouts) {
    this(threads, layouts, true);
  }

  OneDnnBackend(int threads, OneDnnConvolution.Layouts layouts, boolean compiledSteps) {
    super(new ReferenceBackend());
    this.forcedLayouts = layouts;
    this.steps = new StepCache("onednn", compiledSteps);
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
    this.denormals = new OneDnnDenormals();
    this.ctx = OneDnnContext.of(engine, stream);
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

  /**
   * Whether denormals are flushed to zero in oneDNN's threads (FTZ and DAZ around every primitive,
   * the calling thread's mode put back afterwards); see {@link OneDnnDenormals}.
   */
  public boolean denormalsFlushed() {
    return OneDnnDenormals.enforced();
  }

  /** The oneDNN version and threading runtime, e.g. {@code 3.11.0 (cpu runtime OpenMP)}. */
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
  private OneDnnPlan convolutionPlan(OneDnnConvolution.Key key) {
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

  /**
   * Bytes of native memory this backend's plans hold now: the buffers it asked oneDNN for plus each
   * primitive's own memory (scratchpad). Java heap tensors are not counted.
   */
  public long nativeBytes() {
    return ctx.memory().current();
  }

  /** The high-water mark of {@link #nativeBytes()} since this backend was created. */
  public long peakNativeBytes() {
    return ctx.memory().peak();
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
    denormals.enter();
    try {
      plan.run();
    } finally {
      denormals.exit();
    }
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

  /**
   * Natively as oneDNN pooling when every output size divides its input size (then the windows are
   * uniform, {@link PoolParams#adaptiveUniform}); otherwise the reference.
   */
  @Override
  public void adaptivePoolingForward(PoolParams.Kind kind, Tensor src, Tensor dst) {
    PoolParams p = PoolParams.adaptiveUniform(kind, src.shape(), dst.shape());
    if (p == null) {
      super.adaptivePoolingForward(kind, src, dst);
    } else {
      poolingForward(p, src, dst);
    }
  }

  @Override
  public void adaptivePoolingBackward(PoolParams.Kind kind, Tensor src, Tensor diffDst, Tensor diffSrc) {
    PoolParams p = PoolParams.adaptiveUniform(kind, src.shape(), diffDst.shape());
    if (p == null) {
      super.adaptivePoolingBackward(kind, src, diffDst, diffSrc);
    } else {
      poolingBackward(p, src, diffDst, diffSrc);
    }
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
      if (dst.size() != src.size()) {
        throw new IllegalArgumentException(
            "softmax cross-entropy: dst " + dst.shape() + " differs from src " + src.shape());
      }
      dev.fovea.kernels.Backend.checkLabels("softmax cross-entropy", labels, n, k);
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
    double loss = SoftmaxCrossEntropy.loss(java.nio.FloatBuffer.wrap(y, off, n * k).slice(), labels, n, k);
    for (int i = 0; i < n * k; i++) {
      y[off + i] = SoftmaxCrossEntropy.probability(y[off + i]);
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
        g[go + r * k + j] = SoftmaxCrossEntropy.gradient(y[yo + r * k + j], j == labels[r], scale);
      }
    }
  }

  // ---- batch normalisation ----

  /** Whether the batch-normalisation arguments are what the native path takes; else the reference checks them. */
  private static boolean bnFits(Tensor src, Tensor... perChannel) {
    if (!OneDnnBatchNormalization.supports(src.shape())) {
      return false;
    }
    Shape ch = Shape.of(src.shape().dim(1));
    for (Tensor t : perChannel) {
      if (t != null && !t.shape().equals(ch)) {
        return false;
      }
    }
    return true;
  }

  /** {@code t}, or a tensor of {@code c} copies of {@code value} when t is null. */
  private static Tensor orFill(Tensor t, int c, float value) {
    if (t != null) {
      return t;
    }
    float[] a = new float[c];
    Arrays.fill(a, value);
    return Tensor.wrap(a, Shape.of(c));
  }

  @Override
  public void batchNormalizationForward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor beta,
      Tensor runningMean, Tensor runningVariance, Tensor saveMean, Tensor saveInvStd, Tensor dst) {
    OneDnnPlan plan = null;
    if (allFloat(src, gamma, beta, runningMean, runningVariance, saveMean, saveInvStd, dst)
        && bnFits(src, gamma, beta, runningMean, runningVariance, saveMean, saveInvStd)
        && dst.shape().equals(src.shape()) && (!training || src.size() / src.shape().dim(1) >= 2)) {
      plan = plan(new OneDnnBatchNormalization.Key(false, training, src.shape(), (float) p.epsilon()),
          k -> OneDnnBatchNormalization.plan((OneDnnBatchNormalization.Key) k, ctx));
    }
    if (plan == null) {
      super.batchNormalizationForward(p, training, src, gamma, beta, runningMean, runningVariance, saveMean,
          saveInvStd, dst);
      return;
    }
    int c = src.shape().dim(1);
    plan.in(0).write(src);
    plan.in(1).write(orFill(gamma, c, 1f));
    plan.in(2).write(orFill(beta, c, 0f));
    if (!training) {
      plan.in(3).write(runningMean);
      plan.in(4).write(runningVariance);
    }
    run(plan);
    plan.out(0).read(dst);
    double[] mean;
    double[] var;
    if (training) {
      Tensor m = Tensor.zeros(Shape.of(c));
      Tensor v = Tensor.zeros(Shape.of(c));
      plan.out(1).read(m);
      plan.out(2).read(v);
      mean = m.toDoubleArray();
      var = v.toDoubleArray();
      // the running statistics in double, rounded once, by the reference's rule
      p.updateRunning(runningMean, runningVariance, mean, var, src.size() / c);
    } else {
      mean = runningMean.toDoubleArray();
      var = runningVariance.toDoubleArray();
    }
    saveMean.copyFrom(mean);
    saveInvStd.copyFrom(p.inverseStd(var));
  }

  /** Overwrites {@code diffSrc}; accumulates into {@code diffGamma} and {@code diffBeta}. */
  @Override
  public void batchNormalizationBackward(BatchNormParams p, boolean training, Tensor src, Tensor gamma,
      Tensor saveMean, Tensor saveInvStd, Tensor diffDst, Tensor diffSrc, Tensor diffGamma, Tensor diffBeta) {
    OneDnnPlan plan = null;
    if (allFloat(src, gamma, saveMean, saveInvStd, diffDst, diffSrc, diffGamma, diffBeta)
        && bnFits(src, gamma, saveMean, saveInvStd, diffGamma, diffBeta) && diffDst.shape().equals(src.shape())
        && diffSrc.shape().equals(src.shape())) {
      plan = plan(new OneDnnBatchNormalization.Key(true, training, src.shape(), (float) p.epsilon()),
          k -> OneDnnBatchNormalization.plan((OneDnnBatchNormalization.Key) k, ctx));
    }
    if (plan == null) {
      super.batchNormalizationBackward(p, training, src, gamma, saveMean, saveInvStd, diffDst, diffSrc, diffGamma,
          diffBeta);
      return;
    }
    int c = src.shape().dim(1);
    // oneDNN takes the variance; recover it from the saved 1 / sqrt(var + epsilon) with the float
    // epsilon oneDNN adds back, so its inverse standard deviation is the saved one to rounding.
    float eps = (float) p.epsilon();
    float[] var = new float[c];
    for (int k = 0; k < c; k++) {
      double inv = saveInvStd.get(k);
      var[k] = (float) (1 / (inv * inv) - eps);
    }
    plan.in(0).write(src);
    plan.in(1).write(saveMean);
    plan.in(2).write(Tensor.wrap(var, Shape.of(c)));
    plan.in(3).write(diffDst);
    plan.in(4).write(orFill(gamma, c, 1f));
    run(plan);
    plan.out(0).read(diffSrc);
    if (diffGamma != null) {
      plan.out(1).addTo(diffGamma);
    }
    if (diffBeta != null) {
      plan.out(2).addTo(diffBeta);
    }
  }

  // ---- softmax and log-softmax ----

  @Override
  public void softmaxForward(boolean log, Tensor src, Tensor dst) {
    OneDnnPlan plan = null;
    if (allFloat(src, dst) && src.shape().rank() >= 2 && dst.shape().equals(src.shape())) {
      plan = plan(new OneDnnSoftmax.OpKey(false, log, src.shape().dim(0), src.shape().sampleSize()),
          k -> OneDnnSoftmax.plan((OneDnnSoftmax.OpKey) k, ctx));
    }
    if (plan == null) {
      super.softmaxForward(log, src, dst);
      return;
    }
    plan.in(0).write(src);
    run(plan);
    plan.out(0).read(dst);
  }

  @Override
  public void softmaxBackward(boolean log, Tensor dst, Tensor diffDst, Tensor diffSrc) {
    OneDnnPlan plan = null;
    if (allFloat(dst, diffDst, diffSrc) && dst.shape().rank() >= 2 && diffDst.shape().equals(dst.shape())
        && diffSrc.shape().equals(dst.shape())) {
      plan = plan(new OneDnnSoftmax.OpKey(true, log, dst.shape().dim(0), dst.shape().sampleSize()),
          k -> OneDnnSoftmax.plan((OneDnnSoftmax.OpKey) k, ctx));
    }
    if (plan == null) {
      super.softmaxBackward(log, dst, diffDst, diffSrc);
      return;
    }
    plan.in(0).write(dst);
    plan.in(1).write(diffDst);
    run(plan);
    plan.out(0).read(diffSrc);
  }

  // ---- sum and concatenation ----

  @Override
  public void sumForward(double[] scales, Tensor[] srcs, Tensor dst) {
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
      plan = plan(new OneDnnSum.Key(List.copyOf(s), dst.size()), k -> OneDnnSum.plan((OneDnnSum.Key) k, ctx));
    }
    if (plan == null) {
      super.sumForward(scales, srcs, dst);
      return;
    }
    for (int i = 0; i < srcs.length; i++) {
      plan.in(i).write(srcs[i]); // copied before the primitive runs, so dst may be a source
    }
    run(plan);
    plan.out(0).read(dst);
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

  @Override
  public void concatForward(int axis, Tensor[] srcs, Tensor dst) {
    List<Shape> shapes = concatShapes(axis, srcs, dst);
    OneDnnPlan plan = shapes == null ? null
        : plan(new OneDnnConcat.Key(false, axis, shapes), k -> OneDnnConcat.plan((OneDnnConcat.Key) k, ctx));
    if (plan == null) {
      super.concatForward(axis, srcs, dst);
      return;
    }
    for (int i = 0; i < srcs.length; i++) {
      plan.in(i).write(srcs[i]);
    }
    run(plan);
    plan.out(0).read(dst);
  }

  @Override
  public void concatBackward(int axis, Tensor diffDst, Tensor[] diffSrcs) {
    List<Shape> shapes = concatShapes(axis, diffSrcs, diffDst);
    OneDnnPlan plan = shapes == null ? null
        : plan(new OneDnnConcat.Key(true, axis, shapes), k -> OneDnnConcat.plan((OneDnnConcat.Key) k, ctx));
    if (plan == null) {
      super.concatBackward(axis, diffDst, diffSrcs);
      return;
    }
    plan.in(0).write(diffDst);
    run(plan);
    for (int i = 0; i < diffSrcs.length; i++) {
      plan.out(i).read(diffSrcs[i]);
    }
  }

  // ---- transposed convolution ----
  //
  // Transposed convolution is the adjoint of convolution (ReferenceDeconvolution): its forward pass
  // is the backward-data pass of the convolution p.conv() from (N, OC, out...) to (N, C, in...) with
  // the same weights (C, OC / groups, k...), its backward-data pass is that convolution's forward
  // pass, and its weight gradient that convolution's weight gradient with source and destination
  // exchanged. So it runs on the convolution plans (timed layouts, remembered weights), as oneDNN's
  // own deconvolution primitive does internally; only the bias, one add per element, is done here.

  @Override
  public void deconvolutionForward(DeconvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    Shape out = p.outputShape(src.shape(), weights.shape());
    if (!allFloat(src, weights, bias, dst) || !dst.shape().equals(out)
        || bias != null && !bias.shape().equals(Shape.of(out.dim(1)))) {
      super.deconvolutionForward(p, src, weights, bias, dst);
      return;
    }
    convolutionBackwardData(p.conv(), src, weights, dst);
    if (bias != null) {
      int c = out.dim(1);
      int inner = out.size() / (out.dim(0) * c);
      float[] y = dst.floatArray();
      float[] b = bias.floatArray();
      int yo = dst.offset();
      for (int i = 0; i < out.size(); i++) {
        y[yo + i] += b[bias.offset() + (i / inner) % c];
      }
    }
  }

  @Override
  public void deconvolutionBackwardData(DeconvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    if (!allFloat(diffDst, weights, diffSrc)) {
      super.deconvolutionBackwardData(p, diffDst, weights, diffSrc);
      return;
    }
    expect("deconvolution", "diffDst", diffDst, p.outputShape(diffSrc.shape(), weights.shape()));
    convolutionForward(p.conv(), diffDst, weights, null, diffSrc);
  }

  /** Accumulates into {@code diffWeights} and {@code diffBias}, as the interface requires. */
  @Override
  public void deconvolutionBackwardWeights(DeconvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
      Tensor diffBias) {
    Shape out = p.outputShape(src.shape(), diffWeights.shape());
    if (!allFloat(src, diffDst, diffWeights, diffBias) || !diffDst.shape().equals(out)
        || diffBias != null && !diffBias.shape().equals(Shape.of(out.dim(1)))) {
      super.deconvolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
      return;
    }
    convolutionBackwardWeights(p.conv(), diffDst, src, diffWeights, null);
    if (diffBias != null) {
      int c = out.dim(1);
      int inner = out.size() / (out.dim(0) * c);
      double[] db = new double[c];
      float[] dy = diffDst.floatArray();
      for (int i = 0; i < out.size(); i++) {
        db[(i / inner) % c] += dy[diffDst.offset() + i];
      }
      diffBias.addFrom(db);
    }
  }

  // ---- local response normalisation ----

  private OneDnnPlan lrnPlan(boolean backward, LrnParams p, Tensor src, Tensor... others) {
    if (!OneDnnLrn.supports(p, src.shape()) || !allFloat(src) || !allFloat(others)) {
      return null;
    }
    for (Tensor t : others) {
      if (!t.shape().equals(src.shape())) {
        return null;
      }
    }
    return plan(new OneDnnLrn.Key(backward, src.shape(), p.size(), (float) p.alpha(), (float) p.beta(),
        (float) p.k()), k -> OneDnnLrn.plan((OneDnnLrn.Key) k, ctx));
  }

  @Override
  public void lrnForward(LrnParams p, Tensor src, Tensor dst) {
    OneDnnPlan plan = lrnPlan(false, p, src, dst);
    if (plan == null) {
      super.lrnForward(p, src, dst);
      return;
    }
    plan.in(0).write(src);
    run(plan);
    plan.out(0).read(dst);
  }

  @Override
  public void lrnBackward(LrnParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    OneDnnPlan plan = lrnPlan(true, p, src, diffDst, diffSrc);
    if (plan == null) {
      super.lrnBackward(p, src, diffDst, diffSrc);
      return;
    }
    plan.in(0).write(src);
    plan.in(1).write(diffDst);
    run(plan);
    plan.out(0).read(diffSrc);
  }

  // ---- resampling ----

  /**
   * Bed of nails as oneDNN runs it: a depthwise 1×1 transposed convolution with stride f (the
   * factor of each axis), weights 1 and output padding f - 1 puts {@code src[d]} at {@code d · f}
   * and zeros between; its backward-data is the strided depthwise 1×1 convolution that reads every
   * f-th cell. Each output is one product by 1, so the results are exactly the reference's. Null
   * when the shapes are not (N, C, H, W) with integer factors (the reference then names the error).
   */
  private static DeconvParams bedOfNails(Shape src, Shape dst) {
    if (src.rank() != 4 || dst.rank() != 4 || src.dim(0) != dst.dim(0) || src.dim(1) != dst.dim(1)) {
      return null;
    }
    int[] f = new int[2];
    for (int a = 0; a < 2; a++) {
      if (src.dim(2 + a) < 1 || dst.dim(2 + a) % src.dim(2 + a) != 0) {
        return null;
      }
      f[a] = dst.dim(2 + a) / src.dim(2 + a);
    }
    return new DeconvParams(new ConvParams(f, new int[2], new int[2], new int[] {1, 1}, src.dim(1)),
        new int[] {f[0] - 1, f[1] - 1});
  }

  /** The depthwise weights {@code (C, 1, 1, 1)} of ones for {@link #bedOfNails}. */
  private static Tensor ones(int channels) {
    float[] w = new float[channels];
    java.util.Arrays.fill(w, 1f);
    return Tensor.wrap(w, Shape.of(channels, 1, 1, 1));
  }

  @Override
  public void resamplingForward(ResamplingParams p, Tensor src, Tensor dst) {
    DeconvParams nails = p.kind() == ResamplingParams.Kind.BED_OF_NAILS ? bedOfNails(src.shape(), dst.shape()) : null;
    if (nails != null && allFloat(src, dst)) {
      deconvolutionForward(nails, src, ones(src.shape().dim(1)), null, dst);
    } else if (!resampling(false, p, src.shape(), dst.shape(), src, dst)) {
      super.resamplingForward(p, src, dst);
    }
  }

  @Override
  public void resamplingBackward(ResamplingParams p, Tensor diffDst, Tensor diffSrc) {
    DeconvParams nails = p.kind() == ResamplingParams.Kind.BED_OF_NAILS ? bedOfNails(diffSrc.shape(), diffDst.shape())
        : null;
    if (nails != null && allFloat(diffDst, diffSrc)) {
      deconvolutionBackwardData(nails, diffDst, ones(diffSrc.shape().dim(1)), diffSrc);
    } else if (!resampling(true, p, diffSrc.shape(), diffDst.shape(), diffDst, diffSrc)) {
      super.resamplingBackward(p, diffDst, diffSrc);
    }
  }

  /**
   * One pass of oneDNN's resampling primitive between the {@code small} (source) and {@code large}
   * (destination) shapes, reading {@code in} and writing {@code out}; false (nothing done) where
   * oneDNN has no primitive for it and the reference must run.
   */
  private boolean resampling(boolean backward, ResamplingParams p, Shape small, Shape large, Tensor in, Tensor out) {
    if (!allFloat(in, out) || !OneDnnResampling.supports(p, small, large)) {
      return false;
    }
    OneDnnPlan plan = plan(new OneDnnResampling.Key(backward, p.kind() == ResamplingParams.Kind.NEAREST, small,
        large), k -> OneDnnResampling.plan((OneDnnResampling.Key) k, ctx));
    if (plan == null) {
      return false;
    }
    plan.in(0).write(in);
    run(plan);
    plan.out(0).read(out);
    return true;
  }

  // ---- compiled network steps ----

  /**
   * The compiled step of {@code owner} for this batch size and mode (see {@link
   * CompiledStep}), compiled on first use and cached until {@link #close()} (at most eight,
   * the least recently used freed first); null when
   * this backend was made without compiled steps, or when oneDNN cannot run some node of the
   * graph natively (the network then runs layer by layer, as before).
   */
  @Override
  public CompiledNetwork compile(Object owner, int batch, boolean training, Supplier<NetworkGraph> graph) {
    return steps.compile(owner, batch, training, graph, this::lower);
  }

  /**
   * The resident training step of {@code owner} for this batch size (see {@link
   * CompiledStep}: parameters, gradients and {@code stateBlocks} optimizer state blocks
   * stay native between steps, weights in the primitives' layouts), compiled on first use and cached
   * with the other steps; null when this backend was made without compiled steps or cannot compile
   * this network resident (e.g. a host layer with parameters).
   */
  @Override
  public ResidentNetwork compileResident(Object owner, int batch, int stateBlocks, Supplier<NetworkGraph> graph) {
    return steps.compileResident(owner, batch, stateBlocks, graph, this::lower);
  }

  /** Compiles one step for {@link #steps}, lowered by a new {@code OneDnnLowering} inside oneDNN's thread settings. */
  private CompiledStep<?, ?> lower(NetworkGraph graph, int batch, boolean training, int stateBlocks) {
    OneDnnThreads.limit(threads);
    denormals.enter();
    try {
      return CompiledStep.compile(new OneDnnLowering(ctx, denormals, threads), this, graph, batch, training, fuseRelu,
          stateBlocks);
    } finally {
      denormals.exit();
    }
  }

  /**
   * Turns per-action timing of compiled steps on or off (for benchmarks: each action then waits for
   * the stream); turning it on clears the times so far, for steps compiled before and after.
   */
  public void profileCompiledSteps(boolean on) {
    steps.profile(on);
  }

  /**
   * Seconds spent per action tag of every compiled step since profiling was turned on: keys are
   * {@code node/part}, e.g. {@code conv1/fwd} (the primitive), {@code conv1/fwd.weights} (the
   * reorder of the weights into the primitive's layout), {@code conv1/bwd_data.out} (delivering the
   * source gradient into the producer's layout); for resident steps also {@code conv1/load} and
   * {@code conv1/store} (the once-per-round reorders of the weights and optimizer state in and out).
   */
  public Map<String, Double> compiledStepProfile() {
    return steps.profile();
  }

  /** The implementation oneDNN picked for each convolution pass of the compiled steps, by tag. */
  public Map<String, String> compiledStepImplementations() {
    Map<String, String> out = new LinkedHashMap<>();
    steps.forEach(s -> out.putAll(((OneDnnLowering) s.lowering()).implementations()));
    return out;
  }

  /** Whether this backend compiles network steps ({@link #compile}). */
  public boolean compilesSteps() {
    return steps.enabled();
  }

  /** How many compiled steps this backend holds. */
  public int compiledStepCount() {
    return steps.size();
  }

  /** Frees every plan, the stream and the engine; the backend cannot be used afterwards. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    steps.close();
    for (OneDnnPlan plan : plans.values()) {
      plan.close();
    }
    plans.clear();
    ctx.arena().release();
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(engine);
    denormals.close();
    super.close();
  }
}
