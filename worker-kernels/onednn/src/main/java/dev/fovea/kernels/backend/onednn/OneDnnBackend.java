package dev.fovea.kernels.backend.onednn;

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
import dev.fovea.kernels.compile.StepCache;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p>Each op override hands its arguments to the helper of its family ({@link
 * OneDnnConvolutionOps}, {@link OneDnnPoolingOps}, {@link OneDnnNormalizationOps}, {@link
 * OneDnnElementwiseOps}, all over one {@link OneDnnPlans}) and calls {@code super} where the
 * helper returns false.
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
  /** The per-op plans the op families share. */
  private final OneDnnPlans plans;
  private final OneDnnConvolutionOps convolutions;
  private final OneDnnPoolingOps pooling;
  private final OneDnnNormalizationOps normalization;
  private final OneDnnElementwiseOps elementwise;
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
    this.plans = new OneDnnPlans(ctx, threads, denormals, layouts);
    this.convolutions = new OneDnnConvolutionOps(plans, this);
    this.pooling = new OneDnnPoolingOps(plans, this);
    this.normalization = new OneDnnNormalizationOps(plans);
    this.elementwise = new OneDnnElementwiseOps(plans);
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
    return plans.descriptions();
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
    return plans.count();
  }

  /** How many keys fell back to the reference because oneDNN has no implementation for them. */
  int unsupportedCount() {
    return plans.unsupportedCount();
  }

  // ---- ops: each runs natively through its family's helper, or falls back to the reference ----

  // convolution, transposed convolution, inner product: OneDnnConvolutionOps

  @Override
  public void convolutionForward(ConvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    if (!convolutions.convolutionForward(p, src, weights, bias, dst)) {
      super.convolutionForward(p, src, weights, bias, dst);
    }
  }

  @Override
  public void convolutionBackwardData(ConvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    if (!convolutions.convolutionBackwardData(p, diffDst, weights, diffSrc)) {
      super.convolutionBackwardData(p, diffDst, weights, diffSrc);
    }
  }

  /** Accumulates into {@code diffWeights} and {@code diffBias}, as the interface requires. */
  @Override
  public void convolutionBackwardWeights(ConvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
      Tensor diffBias) {
    if (!convolutions.convolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias)) {
      super.convolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
    }
  }

  /** On the convolution plans: the backward-data pass of {@code p.conv()}, then the bias. */
  @Override
  public void deconvolutionForward(DeconvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    if (!convolutions.deconvolutionForward(p, src, weights, bias, dst)) {
      super.deconvolutionForward(p, src, weights, bias, dst);
    }
  }

  @Override
  public void deconvolutionBackwardData(DeconvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    if (!convolutions.deconvolutionBackwardData(p, diffDst, weights, diffSrc)) {
      super.deconvolutionBackwardData(p, diffDst, weights, diffSrc);
    }
  }

  /** Accumulates into {@code diffWeights} and {@code diffBias}, as the interface requires. */
  @Override
  public void deconvolutionBackwardWeights(DeconvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
      Tensor diffBias) {
    if (!convolutions.deconvolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias)) {
      super.deconvolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
    }
  }

  @Override
  public void innerProductForward(Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    if (!convolutions.innerProductForward(src, weights, bias, dst)) {
      super.innerProductForward(src, weights, bias, dst);
    }
  }

  @Override
  public void innerProductBackwardData(Tensor diffDst, Tensor weights, Tensor diffSrc) {
    if (!convolutions.innerProductBackwardData(diffDst, weights, diffSrc)) {
      super.innerProductBackwardData(diffDst, weights, diffSrc);
    }
  }

  /** Accumulates into {@code diffWeights} and {@code diffBias}, as the interface requires. */
  @Override
  public void innerProductBackwardWeights(Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    if (!convolutions.innerProductBackwardWeights(src, diffDst, diffWeights, diffBias)) {
      super.innerProductBackwardWeights(src, diffDst, diffWeights, diffBias);
    }
  }

  // pooling and resampling: OneDnnPoolingOps

  @Override
  public void poolingForward(PoolParams p, Tensor src, Tensor dst) {
    if (!pooling.poolingForward(p, src, dst)) {
      super.poolingForward(p, src, dst);
    }
  }

  @Override
  public void poolingBackward(PoolParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    if (!pooling.poolingBackward(p, src, diffDst, diffSrc)) {
      super.poolingBackward(p, src, diffDst, diffSrc);
    }
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
  public void resamplingForward(ResamplingParams p, Tensor src, Tensor dst) {
    if (!pooling.resamplingForward(p, src, dst)) {
      super.resamplingForward(p, src, dst);
    }
  }

  @Override
  public void resamplingBackward(ResamplingParams p, Tensor diffDst, Tensor diffSrc) {
    if (!pooling.resamplingBackward(p, diffDst, diffSrc)) {
      super.resamplingBackward(p, diffDst, diffSrc);
    }
  }

  // batch normalisation, LRN, softmax, softmax cross-entropy: OneDnnNormalizationOps

  @Override
  public void batchNormalizationForward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor beta,
      Tensor runningMean, Tensor runningVariance, Tensor saveMean, Tensor saveInvStd, Tensor dst) {
    if (!normalization.batchNormalizationForward(p, training, src, gamma, beta, runningMean, runningVariance,
        saveMean, saveInvStd, dst)) {
      super.batchNormalizationForward(p, training, src, gamma, beta, runningMean, runningVariance, saveMean,
          saveInvStd, dst);
    }
  }

  /** Overwrites {@code diffSrc}; accumulates into {@code diffGamma} and {@code diffBeta}. */
  @Override
  public void batchNormalizationBackward(BatchNormParams p, boolean training, Tensor src, Tensor gamma,
      Tensor saveMean, Tensor saveInvStd, Tensor diffDst, Tensor diffSrc, Tensor diffGamma, Tensor diffBeta) {
    if (!normalization.batchNormalizationBackward(p, training, src, gamma, saveMean, saveInvStd, diffDst, diffSrc,
        diffGamma, diffBeta)) {
      super.batchNormalizationBackward(p, training, src, gamma, saveMean, saveInvStd, diffDst, diffSrc, diffGamma,
          diffBeta);
    }
  }

  @Override
  public void lrnForward(LrnParams p, Tensor src, Tensor dst) {
    if (!normalization.lrnForward(p, src, dst)) {
      super.lrnForward(p, src, dst);
    }
  }

  @Override
  public void lrnBackward(LrnParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    if (!normalization.lrnBackward(p, src, diffDst, diffSrc)) {
      super.lrnBackward(p, src, diffDst, diffSrc);
    }
  }

  @Override
  public void softmaxForward(boolean log, Tensor src, Tensor dst) {
    if (!normalization.softmaxForward(log, src, dst)) {
      super.softmaxForward(log, src, dst);
    }
  }

  @Override
  public void softmaxBackward(boolean log, Tensor dst, Tensor diffDst, Tensor diffSrc) {
    if (!normalization.softmaxBackward(log, dst, diffDst, diffSrc)) {
      super.softmaxBackward(log, dst, diffDst, diffSrc);
    }
  }

  @Override
  public double softmaxCrossEntropyForward(Tensor src, int[] labels, Tensor dst) {
    OneDnnPlan plan = normalization.softmaxCrossEntropyPlan(src, labels, dst);
    if (plan == null) {
      return super.softmaxCrossEntropyForward(src, labels, dst);
    }
    return normalization.softmaxCrossEntropyForward(plan, src, labels, dst);
  }

  @Override
  public void softmaxCrossEntropyBackward(Tensor dst, int[] labels, double scale, Tensor diffSrc) {
    if (!normalization.softmaxCrossEntropyBackward(dst, labels, scale, diffSrc)) {
      super.softmaxCrossEntropyBackward(dst, labels, scale, diffSrc);
    }
  }

  // activations, sum, concatenation: OneDnnElementwiseOps

  @Override
  public void eltwiseForward(Activation f, Tensor src, Tensor dst) {
    if (!elementwise.eltwiseForward(f, src, dst)) {
      super.eltwiseForward(f, src, dst);
    }
  }

  @Override
  public void eltwiseBackward(Activation f, Tensor src, Tensor diffDst, Tensor diffSrc) {
    if (!elementwise.eltwiseBackward(f, src, diffDst, diffSrc)) {
      super.eltwiseBackward(f, src, diffDst, diffSrc);
    }
  }

  @Override
  public void sumForward(double[] scales, Tensor[] srcs, Tensor dst) {
    if (!elementwise.sumForward(scales, srcs, dst)) {
      super.sumForward(scales, srcs, dst);
    }
  }

  @Override
  public void concatForward(int axis, Tensor[] srcs, Tensor dst) {
    if (!elementwise.concatForward(axis, srcs, dst)) {
      super.concatForward(axis, srcs, dst);
    }
  }

  @Override
  public void concatBackward(int axis, Tensor diffDst, Tensor[] diffSrcs) {
    if (!elementwise.concatBackward(axis, diffDst, diffSrcs)) {
      super.concatBackward(axis, diffDst, diffSrcs);
    }
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
    plans.close();
    ctx.arena().release();
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(engine);
    denormals.close();
    super.close();
  }
}
