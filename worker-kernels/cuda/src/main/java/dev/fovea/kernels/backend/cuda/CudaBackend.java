package dev.fovea.kernels.backend.cuda;

import static dev.fovea.kernels.backend.cuda.Cuda.check;
import static dev.fovea.kernels.backend.cuda.Cuda.checkBlas;
import static dev.fovea.kernels.backend.cuda.Cuda.checkDnn;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_PEDANTIC_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_TF32_TENSOR_OP_MATH;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudnn.CUDNN_ACTIVATION_ELU;
import static org.bytedeco.cuda.global.cudnn.CUDNN_ACTIVATION_RELU;
import static org.bytedeco.cuda.global.cudnn.CUDNN_ACTIVATION_SIGMOID;
import static org.bytedeco.cuda.global.cudnn.CUDNN_ACTIVATION_TANH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_BATCHNORM_SPATIAL;
import static org.bytedeco.cuda.global.cudnn.CUDNN_NOT_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_MAX_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_SOFTMAX_ACCURATE;
import static org.bytedeco.cuda.global.cudnn.CUDNN_SOFTMAX_LOG;
import static org.bytedeco.cuda.global.cudnn.CUDNN_SOFTMAX_MODE_INSTANCE;
import static org.bytedeco.cuda.global.cudnn.cudnnActivationBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnActivationForward;
import static org.bytedeco.cuda.global.cudnn.cudnnAddTensor;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationForwardInference;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationForwardTraining;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardBias;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardData;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardFilter;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionForward;
import static org.bytedeco.cuda.global.cudnn.cudnnCreate;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreatePoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDeriveBNTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroy;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyPoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingForward;
import static org.bytedeco.cuda.global.cudnn.cudnnSetActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetPoolingNdDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSoftmaxBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnSoftmaxForward;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.CompiledNetwork;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DType;
import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.ForwardingBackend;
import dev.fovea.kernels.NetworkCompiler;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResidentNetwork;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.kernels.compile.CompiledStep;
import dev.fovea.kernels.compile.StepCache;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnPoolingStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

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
  private final Map<ConvKey, CudnnConvolution> convolutions = new HashMap<>();
  /** Compiled steps and the keys that cannot compile. */
  private final StepCache steps;
  /** Managed bytes the compiled steps hold. */
  private long stepBytes;
  /** Whether compiled steps may fuse a ReLU into its producer (the cuda lowering fuses none yet). */
  boolean fuseRelu = true;
  private boolean closed;

  private record ConvKey(ConvParams p, Shape src, Shape weights, Shape dst) {}

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

  private static boolean f32(Tensor... ts) {
    for (Tensor t : ts) {
      if (t != null && t.dtype() != DType.FLOAT32) {
        return false;
      }
    }
    return true;
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

  private CudnnConvolution convolution(ConvParams p, Shape src, Shape weights, Shape dst) {
    return convolutions.computeIfAbsent(new ConvKey(p, src, weights, dst),
        k -> new CudnnConvolution(p, src, weights, dst, tf32));
  }

  // ---- convolution ----

  @Override
  public void convolutionForward(ConvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    if (!f32(src, weights, bias, dst) || !CudnnConvolution.supports(p)) {
      super.convolutionForward(p, src, weights, bias, dst);
      return;
    }
    begin();
    CudnnConvolution c = convolution(p, src.shape(), weights.shape(), dst.shape());
    Pointer x = memory.upload(src);
    Pointer w = memory.upload(weights);
    Pointer y = memory.take(dst.size());
    int algo = c.forwardAlgo(cudnn);
    checkDnn(cudnnConvolutionForward(cudnn, one, c.src, x, c.weights, w, c.conv, algo,
        memory.workspace(c.forwardWorkspace()), c.forwardWorkspace(), zero, c.dst, y), "cudnnConvolutionForward");
    if (bias != null) {
      Pointer b = memory.upload(bias);
      checkDnn(cudnnAddTensor(cudnn, one, c.bias, b, one, c.dst, y), "cudnnAddTensor (bias)");
    }
    memory.download(y, dst);
  }

  @Override
  public void convolutionBackwardData(ConvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    if (!f32(diffDst, weights, diffSrc) || !CudnnConvolution.supports(p)) {
      super.convolutionBackwardData(p, diffDst, weights, diffSrc);
      return;
    }
    begin();
    CudnnConvolution c = convolution(p, diffSrc.shape(), weights.shape(), diffDst.shape());
    Pointer dy = memory.upload(diffDst);
    Pointer w = memory.upload(weights);
    Pointer dx = memory.take(diffSrc.size());
    int algo = c.backwardDataAlgo(cudnn);
    checkDnn(cudnnConvolutionBackwardData(cudnn, one, c.weights, w, c.dst, dy, c.conv, algo,
        memory.workspace(c.backwardDataWorkspace()), c.backwardDataWorkspace(), zero, c.src, dx),
        "cudnnConvolutionBackwardData");
    memory.download(dx, diffSrc);
  }

  @Override
  public void convolutionBackwardWeights(ConvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
      Tensor diffBias) {
    if (!f32(src, diffDst, diffWeights, diffBias) || !CudnnConvolution.supports(p)) {
      super.convolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
      return;
    }
    begin();
    CudnnConvolution c = convolution(p, src.shape(), diffWeights.shape(), diffDst.shape());
    Pointer x = memory.upload(src);
    Pointer dy = memory.upload(diffDst);
    Pointer dw = memory.upload(diffWeights); // accumulates: beta = 1 over the current gradient
    int algo = c.backwardWeightsAlgo(cudnn);
    checkDnn(cudnnConvolutionBackwardFilter(cudnn, one, c.src, x, c.dst, dy, c.conv, algo,
        memory.workspace(c.backwardWeightsWorkspace()), c.backwardWeightsWorkspace(), one, c.weights, dw),
        "cudnnConvolutionBackwardFilter");
    memory.download(dw, diffWeights);
    if (diffBias != null) {
      Pointer db = memory.upload(diffBias);
      checkDnn(cudnnConvolutionBackwardBias(cudnn, one, c.dst, dy, one, c.bias, db), "cudnnConvolutionBackwardBias");
      memory.download(db, diffBias);
    }
  }

  // ---- transposed convolution: the adjoint, so each pass is another pass of the convolution from
  // dst's shape to src's (its forward is that convolution's backward-data), on the same plans ----

  @Override
  public void deconvolutionForward(DeconvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    if (!f32(src, weights, bias, dst) || !CudnnConvolution.supports(p.conv())) {
      super.deconvolutionForward(p, src, weights, bias, dst);
      return;
    }
    begin();
    CudnnConvolution c = convolution(p.conv(), dst.shape(), weights.shape(), src.shape());
    Pointer x = memory.upload(src);
    Pointer w = memory.upload(weights);
    Pointer y = memory.take(dst.size());
    int algo = c.backwardDataAlgo(cudnn);
    checkDnn(cudnnConvolutionBackwardData(cudnn, one, c.weights, w, c.dst, x, c.conv, algo,
        memory.workspace(c.backwardDataWorkspace()), c.backwardDataWorkspace(), zero, c.src, y),
        "cudnnConvolutionBackwardData (transposed convolution forward)");
    if (bias != null) {
      Pointer b = memory.upload(bias);
      cudnnTensorStruct bd = CudnnDescriptors.channels(dst.shape().dim(1), dst.shape().rank());
      try {
        checkDnn(cudnnAddTensor(cudnn, one, bd, b, one, c.src, y), "cudnnAddTensor (bias)");
      } finally {
        CudnnDescriptors.destroy(bd);
      }
    }
    memory.download(y, dst);
  }

  @Override
  public void deconvolutionBackwardData(DeconvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    if (!f32(diffDst, weights, diffSrc) || !CudnnConvolution.supports(p.conv())) {
      super.deconvolutionBackwardData(p, diffDst, weights, diffSrc);
      return;
    }
    begin();
    CudnnConvolution c = convolution(p.conv(), diffDst.shape(), weights.shape(), diffSrc.shape());
    Pointer dy = memory.upload(diffDst);
    Pointer w = memory.upload(weights);
    Pointer dx = memory.take(diffSrc.size());
    int algo = c.forwardAlgo(cudnn);
    checkDnn(cudnnConvolutionForward(cudnn, one, c.src, dy, c.weights, w, c.conv, algo,
        memory.workspace(c.forwardWorkspace()), c.forwardWorkspace(), zero, c.dst, dx),
        "cudnnConvolutionForward (transposed convolution backward data)");
    memory.download(dx, diffSrc);
  }

  @Override
  public void deconvolutionBackwardWeights(DeconvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
      Tensor diffBias) {
    if (!f32(src, diffDst, diffWeights, diffBias) || !CudnnConvolution.supports(p.conv())) {
      super.deconvolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
      return;
    }
    begin();
    CudnnConvolution c = convolution(p.conv(), diffDst.shape(), diffWeights.shape(), src.shape());
    Pointer dy = memory.upload(diffDst); // the convolution's source
    Pointer x = memory.upload(src); // the convolution's output gradient
    Pointer dw = memory.upload(diffWeights); // accumulates: beta = 1
    int algo = c.backwardWeightsAlgo(cudnn);
    checkDnn(cudnnConvolutionBackwardFilter(cudnn, one, c.src, dy, c.dst, x, c.conv, algo,
        memory.workspace(c.backwardWeightsWorkspace()), c.backwardWeightsWorkspace(), one, c.weights, dw),
        "cudnnConvolutionBackwardFilter (transposed convolution weights)");
    memory.download(dw, diffWeights);
    if (diffBias != null) {
      Pointer db = memory.upload(diffBias);
      cudnnTensorStruct bd = CudnnDescriptors.channels(diffDst.shape().dim(1), diffDst.shape().rank());
      try {
        checkDnn(cudnnConvolutionBackwardBias(cudnn, one, c.src, dy, one, bd, db), "cudnnConvolutionBackwardBias");
      } finally {
        CudnnDescriptors.destroy(bd);
      }
      memory.download(db, diffBias);
    }
  }

  // ---- pooling ----

  /** cuDNN pools with symmetric padding and the floor output rule; anything else falls back. */
  static boolean poolable(PoolParams p, Shape src, Shape dst) {
    if (!Arrays.equals(p.padBegin(), p.padEnd())) {
      return false;
    }
    for (int i = 0; i < p.spatialRank(); i++) {
      int out = (src.dim(2 + i) + 2 * p.padBegin()[i] - p.kernel()[i]) / p.stride()[i] + 1;
      if (out != dst.dim(2 + i)) {
        return false;
      }
    }
    return true;
  }

  static cudnnPoolingStruct pooling(PoolParams p) {
    int axes = Math.max(p.spatialRank(), 2);
    int[] window = new int[axes];
    int[] pad = new int[axes];
    int[] stride = new int[axes];
    Arrays.fill(window, 1);
    Arrays.fill(stride, 1);
    for (int i = 0; i < p.spatialRank(); i++) {
      window[i] = p.kernel()[i];
      pad[i] = p.padBegin()[i];
      stride[i] = p.stride()[i];
    }
    int mode = p.kind() == PoolParams.Kind.MAX ? CUDNN_POOLING_MAX_DETERMINISTIC
        : p.countPadding() ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
    cudnnPoolingStruct desc = new cudnnPoolingStruct();
    checkDnn(cudnnCreatePoolingDescriptor(desc), "cudnnCreatePoolingDescriptor");
    checkDnn(cudnnSetPoolingNdDescriptor(desc, mode, CUDNN_NOT_PROPAGATE_NAN, axes, window, pad, stride),
        "cudnnSetPoolingNdDescriptor " + p);
    return desc;
  }

  @Override
  public void poolingForward(PoolParams p, Tensor src, Tensor dst) {
    if (!f32(src, dst) || !poolable(p, src.shape(), dst.shape())) {
      super.poolingForward(p, src, dst);
      return;
    }
    begin();
    cudnnPoolingStruct pool = pooling(p);
    cudnnTensorStruct xd = CudnnDescriptors.tensor(src.shape());
    cudnnTensorStruct yd = CudnnDescriptors.tensor(dst.shape());
    try {
      Pointer x = memory.upload(src);
      Pointer y = memory.take(dst.size());
      checkDnn(cudnnPoolingForward(cudnn, pool, one, xd, x, zero, yd, y), "cudnnPoolingForward");
      memory.download(y, dst);
    } finally {
      cudnnDestroyPoolingDescriptor(pool);
      CudnnDescriptors.destroy(xd);
      CudnnDescriptors.destroy(yd);
    }
  }

  @Override
  public void poolingBackward(PoolParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    if (!f32(src, diffDst, diffSrc) || !poolable(p, src.shape(), diffDst.shape())) {
      super.poolingBackward(p, src, diffDst, diffSrc);
      return;
    }
    begin();
    cudnnPoolingStruct pool = pooling(p);
    cudnnTensorStruct xd = CudnnDescriptors.tensor(src.shape());
    cudnnTensorStruct yd = CudnnDescriptors.tensor(diffDst.shape());
    try {
      Pointer x = memory.upload(src);
      Pointer y = memory.take(diffDst.size());
      // cuDNN's backward reads the forward output: recompute it on the device
      checkDnn(cudnnPoolingForward(cudnn, pool, one, xd, x, zero, yd, y), "cudnnPoolingForward");
      Pointer dy = memory.upload(diffDst);
      Pointer dx = memory.take(diffSrc.size());
      checkDnn(cudnnPoolingBackward(cudnn, pool, one, yd, y, yd, dy, xd, x, zero, xd, dx), "cudnnPoolingBackward");
      memory.download(dx, diffSrc);
    } finally {
      cudnnDestroyPoolingDescriptor(pool);
      CudnnDescriptors.destroy(xd);
      CudnnDescriptors.destroy(yd);
    }
  }

  // ---- activations ----

  /** cuDNN's mode for {@code f}, or -1 where cuDNN has no such activation. */
  static int activationMode(Activation f) {
    return switch (f.kind()) {
      case RELU -> f.alpha() == 0 ? CUDNN_ACTIVATION_RELU : -1;
      case SIGMOID -> CUDNN_ACTIVATION_SIGMOID;
      case TANH -> CUDNN_ACTIVATION_TANH;
      case ELU -> CUDNN_ACTIVATION_ELU;
      default -> -1;
    };
  }

  static cudnnActivationStruct activation(Activation f) {
    cudnnActivationStruct desc = new cudnnActivationStruct();
    checkDnn(cudnnCreateActivationDescriptor(desc), "cudnnCreateActivationDescriptor");
    double coef = f.kind() == Activation.Kind.ELU ? f.alpha() : 0;
    checkDnn(cudnnSetActivationDescriptor(desc, activationMode(f), CUDNN_NOT_PROPAGATE_NAN, coef),
        "cudnnSetActivationDescriptor " + f);
    return desc;
  }

  @Override
  public void eltwiseForward(Activation f, Tensor src, Tensor dst) {
    if (!f32(src, dst) || activationMode(f) < 0) {
      super.eltwiseForward(f, src, dst);
      return;
    }
    begin();
    cudnnActivationStruct act = activation(f);
    cudnnTensorStruct d = CudnnDescriptors.tensor(new int[] {1, src.size()});
    try {
      Pointer x = memory.upload(src);
      Pointer y = memory.take(dst.size());
      checkDnn(cudnnActivationForward(cudnn, act, one, d, x, zero, d, y), "cudnnActivationForward");
      memory.download(y, dst);
    } finally {
      cudnnDestroyActivationDescriptor(act);
      CudnnDescriptors.destroy(d);
    }
  }

  @Override
  public void eltwiseBackward(Activation f, Tensor src, Tensor diffDst, Tensor diffSrc) {
    if (!f32(src, diffDst, diffSrc) || activationMode(f) < 0) {
      super.eltwiseBackward(f, src, diffDst, diffSrc);
      return;
    }
    begin();
    cudnnActivationStruct act = activation(f);
    cudnnTensorStruct d = CudnnDescriptors.tensor(new int[] {1, src.size()});
    try {
      Pointer x = memory.upload(src);
      Pointer y = memory.take(src.size());
      checkDnn(cudnnActivationForward(cudnn, act, one, d, x, zero, d, y), "cudnnActivationForward");
      Pointer dy = memory.upload(diffDst);
      Pointer dx = memory.take(diffSrc.size());
      checkDnn(cudnnActivationBackward(cudnn, act, one, d, y, d, dy, d, x, zero, d, dx), "cudnnActivationBackward");
      memory.download(dx, diffSrc);
    } finally {
      cudnnDestroyActivationDescriptor(act);
      CudnnDescriptors.destroy(d);
    }
  }

  // ---- inner product (cuBLAS; row-major matrices are column-major transposes) ----

  @Override
  public void innerProductForward(Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    if (!f32(src, weights, bias, dst)) {
      super.innerProductForward(src, weights, bias, dst);
      return;
    }
    begin();
    int n = src.shape().dim(0);
    int k = src.size() / n;
    int o = weights.shape().dim(0);
    Pointer x = memory.upload(src);
    Pointer w = memory.upload(weights);
    Pointer y = memory.take(dst.size());
    // dstᵀ (O×N) = W (O×K) · srcᵀ (K×N), column-major
    checkBlas(cublasSgemm_v2(cublas, CUBLAS_OP_T, CUBLAS_OP_N, o, n, k, one, new FloatPointer(w), k,
        new FloatPointer(x), k, zero, new FloatPointer(y), o), "cublasSgemm (inner product forward)");
    if (bias != null) {
      Pointer b = memory.upload(bias);
      cudnnTensorStruct bd = CudnnDescriptors.channels(o, 4);
      cudnnTensorStruct yd = CudnnDescriptors.tensor(new int[] {n, o});
      try {
        checkDnn(cudnnAddTensor(cudnn, one, bd, b, one, yd, y), "cudnnAddTensor (bias)");
      } finally {
        CudnnDescriptors.destroy(bd);
        CudnnDescriptors.destroy(yd);
      }
    }
    memory.download(y, dst);
  }

  @Override
  public void innerProductBackwardData(Tensor diffDst, Tensor weights, Tensor diffSrc) {
    if (!f32(diffDst, weights, diffSrc)) {
      super.innerProductBackwardData(diffDst, weights, diffSrc);
      return;
    }
    begin();
    int n = diffDst.shape().dim(0);
    int o = weights.shape().dim(0);
    int k = weights.size() / o;
    Pointer dy = memory.upload(diffDst);
    Pointer w = memory.upload(weights);
    Pointer dx = memory.take(diffSrc.size());
    // diffSrcᵀ (K×N) = Wᵀ (K×O) · diffDstᵀ (O×N), column-major
    checkBlas(cublasSgemm_v2(cublas, CUBLAS_OP_N, CUBLAS_OP_N, k, n, o, one, new FloatPointer(w), k,
        new FloatPointer(dy), o, zero, new FloatPointer(dx), k), "cublasSgemm (inner product backward data)");
    memory.download(dx, diffSrc);
  }

  @Override
  public void innerProductBackwardWeights(Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    if (!f32(src, diffDst, diffWeights, diffBias)) {
      super.innerProductBackwardWeights(src, diffDst, diffWeights, diffBias);
      return;
    }
    begin();
    int n = src.shape().dim(0);
    int k = src.size() / n;
    int o = diffWeights.shape().dim(0);
    Pointer x = memory.upload(src);
    Pointer dy = memory.upload(diffDst);
    Pointer dw = memory.upload(diffWeights);
    // diffWᵀ (K×O) += srcᵀ (K×N) · diffDst (N×O), column-major; beta = 1 accumulates
    checkBlas(cublasSgemm_v2(cublas, CUBLAS_OP_N, CUBLAS_OP_T, k, o, n, one, new FloatPointer(x), k,
        new FloatPointer(dy), o, one, new FloatPointer(dw), k), "cublasSgemm (inner product backward weights)");
    memory.download(dw, diffWeights);
    if (diffBias != null) {
      Pointer db = memory.upload(diffBias);
      cudnnTensorStruct bd = CudnnDescriptors.channels(o, 4);
      cudnnTensorStruct yd = CudnnDescriptors.tensor(new int[] {n, o});
      try {
        checkDnn(cudnnConvolutionBackwardBias(cudnn, one, yd, dy, one, bd, db), "cudnnConvolutionBackwardBias");
      } finally {
        CudnnDescriptors.destroy(bd);
        CudnnDescriptors.destroy(yd);
      }
      memory.download(db, diffBias);
    }
  }

  // ---- weighted sum (residual addition) ----

  @Override
  public void sumForward(double[] scales, Tensor[] srcs, Tensor dst) {
    if (!f32(srcs) || !f32(dst) || srcs.length == 0) {
      super.sumForward(scales, srcs, dst);
      return;
    }
    begin();
    cudnnTensorStruct d = CudnnDescriptors.tensor(new int[] {1, dst.size()});
    try {
      Pointer y = memory.take(dst.size());
      for (int i = 0; i < srcs.length; i++) {
        Pointer x = memory.upload(srcs[i]);
        try (FloatPointer scale = new FloatPointer((float) scales[i])) {
          // y = scale · x + (0 for the first source, else y)
          checkDnn(cudnnAddTensor(cudnn, scale, d, x, i == 0 ? zero : one, d, y), "cudnnAddTensor (sum)");
        }
      }
      memory.download(y, dst); // dst may be one of the sources: every source was read before this
    } finally {
      CudnnDescriptors.destroy(d);
    }
  }

  // ---- batch normalisation ----

  private static float[] filled(int n, float v) {
    float[] a = new float[n];
    Arrays.fill(a, v);
    return a;
  }

  static cudnnTensorStruct bnDescriptor(cudnnTensorStruct x) {
    cudnnTensorStruct bn = new cudnnTensorStruct();
    checkDnn(cudnnCreateTensorDescriptor(bn), "cudnnCreateTensorDescriptor");
    checkDnn(cudnnDeriveBNTensorDescriptor(bn, x, CUDNN_BATCHNORM_SPATIAL), "cudnnDeriveBNTensorDescriptor");
    return bn;
  }

  @Override
  public void batchNormalizationForward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor beta,
      Tensor runningMean, Tensor runningVariance, Tensor saveMean, Tensor saveInvStd, Tensor dst) {
    if (!f32(src, gamma, beta, runningMean, runningVariance, saveMean, saveInvStd, dst)
        || src.shape().rank() > 5 || training && src.size() / src.shape().dim(1) < 2) {
      super.batchNormalizationForward(p, training, src, gamma, beta, runningMean, runningVariance, saveMean,
          saveInvStd, dst);
      return;
    }
    begin();
    int c = src.shape().dim(1);
    cudnnTensorStruct xd = CudnnDescriptors.tensor(src.shape());
    cudnnTensorStruct bn = bnDescriptor(xd);
    try {
      Pointer x = memory.upload(src);
      Pointer y = memory.take(dst.size());
      Pointer g = gamma == null ? memory.upload(filled(c, 1)) : memory.upload(gamma);
      Pointer b = beta == null ? memory.upload(filled(c, 0)) : memory.upload(beta);
      Pointer rm = memory.upload(runningMean);
      Pointer rv = memory.upload(runningVariance);
      if (training) {
        Pointer sm = memory.take(c);
        Pointer si = memory.take(c);
        // cuDNN's running variance is the unbiased one, as BatchNormParams.updateRunning
        checkDnn(cudnnBatchNormalizationForwardTraining(cudnn, CUDNN_BATCHNORM_SPATIAL, one, zero, xd, x, xd, y, bn, g,
            b, p.momentum(), rm, rv, p.epsilon(), sm, si), "cudnnBatchNormalizationForwardTraining");
        memory.download(rm, runningMean);
        memory.download(rv, runningVariance);
        memory.download(sm, saveMean);
        memory.download(si, saveInvStd);
      } else {
        checkDnn(cudnnBatchNormalizationForwardInference(cudnn, CUDNN_BATCHNORM_SPATIAL, one, zero, xd, x, xd, y, bn, g,
            b, rm, rv, p.epsilon()), "cudnnBatchNormalizationForwardInference");
        saveMean.copyFrom(runningMean);
        saveInvStd.copyFrom(p.inverseStd(runningVariance.toDoubleArray()));
      }
      memory.download(y, dst);
    } finally {
      CudnnDescriptors.destroy(bn);
      CudnnDescriptors.destroy(xd);
    }
  }

  @Override
  public void batchNormalizationBackward(BatchNormParams p, boolean training, Tensor src, Tensor gamma,
      Tensor saveMean, Tensor saveInvStd, Tensor diffDst, Tensor diffSrc, Tensor diffGamma, Tensor diffBeta) {
    // evaluation-mode backward (statistics held fixed) is not cuDNN's formula: the reference runs it
    if (!training || !f32(src, gamma, saveMean, saveInvStd, diffDst, diffSrc, diffGamma, diffBeta)
        || src.shape().rank() > 5) {
      super.batchNormalizationBackward(p, training, src, gamma, saveMean, saveInvStd, diffDst, diffSrc, diffGamma,
          diffBeta);
      return;
    }
    begin();
    int c = src.shape().dim(1);
    cudnnTensorStruct xd = CudnnDescriptors.tensor(src.shape());
    cudnnTensorStruct bn = bnDescriptor(xd);
    try {
      Pointer x = memory.upload(src);
      Pointer dy = memory.upload(diffDst);
      Pointer dx = memory.take(diffSrc.size());
      Pointer g = gamma == null ? memory.upload(filled(c, 1)) : memory.upload(gamma);
      Pointer dg = diffGamma == null ? memory.upload(new float[c]) : memory.upload(diffGamma);
      Pointer db = diffBeta == null ? memory.upload(new float[c]) : memory.upload(diffBeta);
      Pointer sm = memory.upload(saveMean);
      Pointer si = memory.upload(saveInvStd);
      // data gradient overwrites (beta 0), parameter gradients accumulate (beta 1)
      checkDnn(cudnnBatchNormalizationBackward(cudnn, CUDNN_BATCHNORM_SPATIAL, one, zero, one, one, xd, x, xd, dy, xd,
          dx, bn, g, dg, db, p.epsilon(), sm, si), "cudnnBatchNormalizationBackward");
      memory.download(dx, diffSrc);
      if (diffGamma != null) {
        memory.download(dg, diffGamma);
      }
      if (diffBeta != null) {
        memory.download(db, diffBeta);
      }
    } finally {
      CudnnDescriptors.destroy(bn);
      CudnnDescriptors.destroy(xd);
    }
  }

  // ---- softmax ----

  @Override
  public void softmaxForward(boolean log, Tensor src, Tensor dst) {
    if (!f32(src, dst)) {
      super.softmaxForward(log, src, dst);
      return;
    }
    begin();
    int n = src.shape().dim(0);
    cudnnTensorStruct d = CudnnDescriptors.tensor(new int[] {n, src.size() / n});
    try {
      Pointer x = memory.upload(src);
      Pointer y = memory.take(dst.size());
      checkDnn(cudnnSoftmaxForward(cudnn, log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_INSTANCE,
          one, d, x, zero, d, y), "cudnnSoftmaxForward");
      memory.download(y, dst);
    } finally {
      CudnnDescriptors.destroy(d);
    }
  }

  @Override
  public void softmaxBackward(boolean log, Tensor dst, Tensor diffDst, Tensor diffSrc) {
    if (!f32(dst, diffDst, diffSrc)) {
      super.softmaxBackward(log, dst, diffDst, diffSrc);
      return;
    }
    begin();
    int n = dst.shape().dim(0);
    cudnnTensorStruct d = CudnnDescriptors.tensor(new int[] {n, dst.size() / n});
    try {
      Pointer y = memory.upload(dst);
      Pointer dy = memory.upload(diffDst);
      Pointer dx = memory.take(diffSrc.size());
      checkDnn(cudnnSoftmaxBackward(cudnn, log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
          CUDNN_SOFTMAX_MODE_INSTANCE, one, d, y, d, dy, zero, d, dx), "cudnnSoftmaxBackward");
      memory.download(dx, diffSrc);
    } finally {
      CudnnDescriptors.destroy(d);
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
    convolutions.values().forEach(CudnnConvolution::close);
    convolutions.clear();
    memory.close();
    cudnnDestroy(cudnn);
    cublasDestroy_v2(cublas);
    one.close();
    zero.close();
    super.close();
  }
}
