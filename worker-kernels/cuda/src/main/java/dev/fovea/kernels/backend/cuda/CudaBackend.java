package dev.fovea.kernels.backend.cuda;

import static dev.fovea.kernels.backend.cuda.Cuda.check;
import static dev.fovea.kernels.backend.cuda.Cuda.checkBlas;
import static dev.fovea.kernels.backend.cuda.Cuda.checkDnn;
import static org.bytedeco.cuda.global.cublas.CUBLAS_PEDANTIC_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_TF32_TENSOR_OP_MATH;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudnn.cudnnCreate;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroy;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.CompiledNetwork;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.ForwardingBackend;
import dev.fovea.kernels.NetworkCompiler;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResidentNetwork;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.kernels.compile.CompiledStep;
import dev.fovea.kernels.compile.StepCache;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The CUDA backend at the op level: FLOAT32 convolution (1 to 3D, grouped, dilated; forward,
 * backward-data, backward-weights with the algorithm cuDNN measures fastest) and transposed
 * convolution (the same plans, passes exchanged), pooling, the
 * activations cuDNN has (ReLU, sigmoid, tanh, ELU), batch normalisation in training (and its
 * inference forward), softmax and log-softmax, weighted sums through cuDNN, and inner product
 * through cuBLAS.
 * Every other op, FLOAT64 tensors, and shapes cuDNN cannot express (asymmetric padding, pooling
 * windows whose output size is not cuDNN's floor rule) fall back op by op to the reference backend.
 *
 * <p>Each call copies its inputs to the device and its outputs back ({@link CudaMemory}); this is
 * the specification-level path the conformance suite checks, not the fast one. A backend is bound
 * to one device, chosen at creation, and sets it on the calling thread before each op (a pooled
 * backend moves between Spark's task threads).
 *
 * <p>As a {@link NetworkCompiler} it also runs whole network steps as compiled, device-resident
 * programs ({@link CompiledStep} plans them, {@link CudaLowering} lowers them; values in CUDA
 * managed memory), and keeps parameters, gradients and optimizer state on the device for a round
 * ({@link #compileResident}). A network with a node the lowering does not take (a convolution
 * with asymmetric padding, training through batch norm held in inference mode) runs layer by layer
 * as before. {@code fovea.cuda.compiledSteps=false} turns compiled steps off. None of it has run on
 * a GPU yet (docs/gpu.md).
 *
 * <p>Each op override hands its arguments to the helper of its family ({@link CudaConvolutionOps},
 * {@link CudaPoolingOps}, {@link CudaNormalizationOps}, {@link CudaElementwiseOps}, sharing one
 * {@link CudaOpContext}) and calls {@code super} where the helper returns false.
 */
// cuDNN 9 marks its legacy (descriptor) API deprecated in favour of the graph API; it is complete and
// supported through cuDNN 9, and the compiled step is where a graph-API lowering belongs.
@SuppressWarnings("deprecation")
public final class CudaBackend extends ForwardingBackend implements NetworkCompiler {
  private final int device;
  private final boolean tf32;
  private final cudnnContext cudnn = new cudnnContext();
  private final cublasContext cublas = new cublasContext();
  private final CudaMemory memory = new CudaMemory();
  private final FloatPointer one = new FloatPointer(1f);
  private final FloatPointer zero = new FloatPointer(0f);
  private final CudaConvolutionOps convolutions;
  private final CudaPoolingOps pooling;
  private final CudaNormalizationOps normalization;
  private final CudaElementwiseOps elementwise;
  /** Compiled steps and the keys that cannot compile. */
  private final StepCache steps;
  /** Managed bytes the compiled steps hold. */
  private long stepBytes;
  /** Whether compiled steps may fuse a ReLU into its producer (the cuda lowering fuses none yet). */
  boolean fuseRelu = true;
  private boolean closed;

  CudaBackend(int device, boolean tf32) {
    this(device, tf32, true);
  }

  /** @param compiledSteps whether networks run as compiled steps ({@link #compile}); else layer by layer */
  CudaBackend(int device, boolean tf32, boolean compiledSteps) {
    super(new ReferenceBackend());
    this.device = device;
    this.tf32 = tf32;
    this.steps = new StepCache("cuda", compiledSteps, this::bindDevice);
    bindDevice();
    checkDnn(cudnnCreate(cudnn), "cudnnCreate");
    checkBlas(cublasCreate_v2(cublas), "cublasCreate");
    // PEDANTIC keeps cuBLAS to plain FP32 like the reference; TF32 only when asked for.
    checkBlas(cublasSetMathMode(cublas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_PEDANTIC_MATH),
        "cublasSetMathMode");
    CudaOpContext ops = new CudaOpContext(cudnn, cublas, memory, one, zero, this::begin);
    this.convolutions = new CudaConvolutionOps(ops, tf32);
    this.pooling = new CudaPoolingOps(ops);
    this.normalization = new CudaNormalizationOps(ops);
    this.elementwise = new CudaElementwiseOps(ops);
  }

  @Override
  public String name() {
    return "cuda";
  }

  /** The CUDA device ordinal this backend runs on. */
  public int device() {
    return device;
  }

  /** Whether TF32 tensor cores are allowed (convolutions and inner products). */
  public boolean tf32() {
    return tf32;
  }

  /**
   * Device bytes this backend holds now: the op-level buffers and workspace and the compiled steps'
   * managed memory (cuDNN's and cuBLAS's own not counted).
   */
  public long deviceBytes() {
    return memory.deviceBytes() + stepBytes;
  }

  /** The most device bytes it has held. */
  public long peakDeviceBytes() {
    return memory.peakDeviceBytes();
  }

  /** Binds the device to this thread and starts an op's slots. */
  private void begin() {
    if (closed) {
      throw new IllegalStateException("cuda: backend is closed");
    }
    bindDevice();
    memory.begin();
  }

  /** Sets this backend's device on the calling thread (a pooled backend moves between threads). */
  private void bindDevice() {
    check(cudaSetDevice(device), "cudaSetDevice(" + device + ")");
  }

  // ---- ops: each runs on the device through its family's helper, or falls back to the reference ----
  // convolution, transposed convolution, inner product: CudaConvolutionOps; pooling: CudaPoolingOps;
  // batch normalisation, softmax: CudaNormalizationOps; activations, weighted sum: CudaElementwiseOps

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

  @Override
  public void convolutionBackwardWeights(ConvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
      Tensor diffBias) {
    if (!convolutions.convolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias)) {
      super.convolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
    }
  }

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

  @Override
  public void deconvolutionBackwardWeights(DeconvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
      Tensor diffBias) {
    if (!convolutions.deconvolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias)) {
      super.deconvolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
    }
  }

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

  @Override
  public void innerProductBackwardWeights(Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    if (!convolutions.innerProductBackwardWeights(src, diffDst, diffWeights, diffBias)) {
      super.innerProductBackwardWeights(src, diffDst, diffWeights, diffBias);
    }
  }

  @Override
  public void sumForward(double[] scales, Tensor[] srcs, Tensor dst) {
    if (!elementwise.sumForward(scales, srcs, dst)) {
      super.sumForward(scales, srcs, dst);
    }
  }

  @Override
  public void batchNormalizationForward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor beta,
      Tensor runningMean, Tensor runningVariance, Tensor saveMean, Tensor saveInvStd, Tensor dst) {
    if (!normalization.batchNormalizationForward(p, training, src, gamma, beta, runningMean, runningVariance,
        saveMean, saveInvStd, dst)) {
      super.batchNormalizationForward(p, training, src, gamma, beta, runningMean, runningVariance, saveMean,
          saveInvStd, dst);
    }
  }

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

  // ---- compiled network steps ----

  /**
   * The compiled step of {@code owner} for this batch size and mode ({@link CompiledStep} lowered by
   * {@link CudaLowering}), compiled on first use and cached until {@link #close()}; null when this
   * backend was made without compiled steps or cannot lower some node of the graph (the network
   * then runs layer by layer).
   */
  @Override
  public CompiledNetwork compile(Object owner, int batch, boolean training, Supplier<NetworkGraph> graph) {
    return steps.compile(owner, batch, training, graph, this::lower);
  }

  /**
   * The resident training step of {@code owner} (parameters, gradients and {@code stateBlocks}
   * optimizer state blocks stay in managed device memory for a round); null when this backend
   * cannot compile this network resident.
   */
  @Override
  public ResidentNetwork compileResident(Object owner, int batch, int stateBlocks, Supplier<NetworkGraph> graph) {
    return steps.compileResident(owner, batch, stateBlocks, graph, this::lower);
  }

  /** Compiles one step for {@link #steps}, lowered by a new {@link CudaLowering}. */
  private CompiledStep<?, ?> lower(NetworkGraph graph, int batch, boolean training, int stateBlocks) {
    return CompiledStep.compile(new CudaLowering(device, tf32, cudnn, cublas, b -> stepBytes += b), this, graph,
        batch, training, fuseRelu, stateBlocks);
  }

  /** Turns per-action timing of compiled steps on or off (each action then waits for the device). */
  public void profileCompiledSteps(boolean on) {
    steps.profile(on);
  }

  /** Seconds spent per action tag of every compiled step since profiling was turned on ({@code node/part}). */
  public Map<String, Double> compiledStepProfile() {
    return steps.profile();
  }

  /** Whether this backend compiles network steps ({@link #compile}). */
  public boolean compilesSteps() {
    return steps.enabled();
  }

  /** How many compiled steps this backend holds. */
  public int compiledStepCount() {
    return steps.size();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    cudaSetDevice(device);
    steps.close();
    convolutions.close();
    memory.close();
    cudnnDestroy(cudnn);
    cublasDestroy_v2(cublas);
    one.close();
    zero.close();
    super.close();
  }
}
