package dev.fovea.kernels.backend.cuda;

import static dev.fovea.kernels.backend.cuda.Cuda.check;
import static dev.fovea.kernels.backend.cuda.Cuda.checkBlas;
import static dev.fovea.kernels.backend.cuda.Cuda.checkDnn;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasSaxpy_v2;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;
import static org.bytedeco.cuda.global.cublas.cublasSscal_v2;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrConcurrentManagedAccess;
import static org.bytedeco.cuda.global.cudart.cudaDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy2DAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDefault;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudnn.CUDNN_BATCHNORM_SPATIAL;
import static org.bytedeco.cuda.global.cudnn.CUDNN_BN_MIN_EPSILON;
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
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyPoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingForward;
import static org.bytedeco.cuda.global.cudnn.cudnnSoftmaxForward;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.compile.CompiledStep;
import dev.fovea.kernels.compile.DeviceMemory;
import dev.fovea.kernels.compile.StepBuffer;
import dev.fovea.kernels.compile.StepLowering;
import dev.fovea.kernels.compile.Unsupported;
import dev.fovea.kernels.compile.UpdateKernel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnPoolingStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * cuda's lowering of a compiled step ({@link CompiledStep} plans it): every value row-major
 * (NCHW) in CUDA managed memory ({@link CudaStepMemory}), conversions as device copies, sums
 * through cuBLAS ({@code sscal}/{@code saxpy}), and on the device: convolution through cuDNN
 * ({@link CudnnConvolution}'s plans, deterministic heuristic algorithms; forward, backward-data,
 * backward-filter and bias), inner product through cuBLAS {@code sgemm} (the formulation of {@link
 * CudaBackend}'s op), the activations cuDNN has (ReLU, sigmoid, tanh, ELU), pooling cuDNN can
 * express (symmetric padding, the floor output rule; global pooling), and the loss's log-softmax.
 * Backward passes read the forward values, which live until the step ends. Other element-wise kinds and pooling shapes, and host layers, run on
 * the host (the step's fallback, over the managed memory). Batch normalisation runs through cuDNN
 * (running statistics updated on the host by the shared rule), concatenation as strided device
 * copies. Convolutions cuDNN cannot express (asymmetric padding) and training through batch norm held
 * in inference mode are {@link Unsupported}, so such a network runs layer by layer with the op-level
 * backend. No ReLU is fused. The update kernel is the rule's
 * own formula over direct views of the managed parameters ({@link UpdateKernel#onHost}), run on
 * the host after the step's device work has finished.
 *
 * <p>Everything runs on the legacy default stream of the backend's cuDNN and cuBLAS handles, in
 * program order; {@link #sync} waits for the whole device. One instance per compiled step: it owns
 * that step's cuDNN plans and descriptors and frees them in {@link #close()}.
 */
// cuDNN 9 marks its legacy (descriptor) API deprecated; see CudnnDescriptors.
@SuppressWarnings("deprecation")
final class CudaLowering implements StepLowering<CudaLowering.Buf, CudaLowering.Layout> {

  /** A row-major FLOAT32 layout: the dims, outermost first. */
  static final class Layout {
    final long[] dims;
    final long count;

    Layout(long[] dims) {
      this.dims = dims.clone();
      long c = 1;
      for (long d : dims) {
        c *= d;
      }
      this.count = c;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Layout l && Arrays.equals(dims, l.dims);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
      return Arrays.toString(dims);
    }
  }

  /** Bytes at a managed address in a row-major layout, with the pointers the cuDNN and cuBLAS calls take. */
  static final class Buf extends StepBuffer<Layout> {
    final Pointer ptr;
    final FloatPointer floats;

    Buf(Layout layout, long address) {
      super(layout, address, layout.count * Float.BYTES);
      ptr = new CudaStepMemory.Address(address);
      floats = new FloatPointer(ptr);
    }
  }

  private final int device;
  private final boolean tf32;
  private final cudnnContext cudnn;
  private final cublasContext cublas;
  private final CudaStepMemory memory;
  private final FloatPointer one = new FloatPointer(1f);
  private final FloatPointer zero = new FloatPointer(0f);
  private final List<AutoCloseable> owned = new ArrayList<>();
  /** The one workspace every cuDNN call of the step shares, allocated in {@link #finish}. */
  private Pointer workspace;
  private long workspaceBytes;
  private CompiledStep<Buf, Layout> st;

  /**
   * @throws Unsupported on a device whose managed memory the host cannot touch while the device is
   *     busy (no concurrent managed access)
   */
  CudaLowering(int device, boolean tf32, cudnnContext cudnn, cublasContext cublas, LongConsumer account) {
    check(cudaSetDevice(device), "cudaSetDevice(" + device + ")");
    int[] concurrent = {0};
    check(cudaDeviceGetAttribute(concurrent, cudaDevAttrConcurrentManagedAccess, device),
        "cudaDeviceGetAttribute(concurrentManagedAccess)");
    if (concurrent[0] == 0) {
      throw new Unsupported("cuda device " + device + " has no concurrent managed access");
    }
    this.device = device;
    this.tf32 = tf32;
    this.cudnn = cudnn;
    this.cublas = cublas;
    this.memory = new CudaStepMemory(account);
  }

  @Override
  public DeviceMemory memory() {
    return memory;
  }

  // ---- the device stream ----

  @Override
  public void enter() {
    check(cudaSetDevice(device), "cudaSetDevice(" + device + ")");
  }

  @Override
  public void exit() {}

  @Override
  public void sync() {
    check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  }

  // ---- layouts ----

  @Override
  public Layout rowMajor(long[] dims) {
    return new Layout(dims);
  }

  @Override
  public long size(Layout layout) {
    return layout.count * Float.BYTES;
  }

  @Override
  public boolean same(Layout a, Layout b) {
    return a.equals(b);
  }

  @Override
  public Buf at(Layout layout, long address) {
    return new Buf(layout, address);
  }

  private Layout layout(Shape withBatch) {
    return new Layout(CompiledStep.longs(withBatch.dims()));
  }

  /** Row-major layouts of the same element count hold the same values in the same order: a copy converts. */
  @Override
  public void reorder(CompiledStep<Buf, Layout> step, Buf from, Buf to) {
    if (from.bytes != to.bytes) {
      throw new Unsupported("cuda: a conversion from " + from.layout + " to " + to.layout);
    }
    step.action(() -> check(cudaMemcpyAsync(to.ptr, from.ptr, from.bytes, cudaMemcpyDefault), "cudaMemcpyAsync"));
  }

  @Override
  public void sum(CompiledStep<Buf, Layout> step, List<Buf> srcs, float[] scales, Buf dst) {
    int n = count(dst);
    for (Buf s : srcs) {
      if (s.layout.count != dst.layout.count) {
        throw new Unsupported("cuda: a sum of " + s.layout + " into " + dst.layout);
      }
    }
    int self = -1;
    for (int j = 0; j < srcs.size(); j++) {
      if (srcs.get(j).address == dst.address) {
        self = j;
      }
    }
    int first = self;
    FloatPointer[] alpha = new FloatPointer[srcs.size()];
    for (int j = 0; j < alpha.length; j++) {
      alpha[j] = own(new FloatPointer(scales[j]));
    }
    step.action(() -> {
      if (first >= 0) {
        if (scales[first] != 1f) {
          checkBlas(cublasSscal_v2(cublas, n, alpha[first], dst.floats, 1), "cublasSscal (sum)");
        }
      } else {
        check(cudaMemsetAsync(dst.ptr, 0, dst.bytes), "cudaMemsetAsync (sum)");
      }
      for (int j = 0; j < alpha.length; j++) {
        if (j != first) {
          checkBlas(cublasSaxpy_v2(cublas, n, alpha[j], srcs.get(j).floats, 1, dst.floats, 1), "cublasSaxpy (sum)");
        }
      }
    });
  }

  private static int count(Buf b) {
    if (b.layout.count > Integer.MAX_VALUE) {
      throw new Unsupported("cuda: a value of " + b.layout.count + " elements");
    }
    return (int) b.layout.count;
  }

  @Override
  public void convertNow(Layout from, long src, Layout to, long dst) {
    if (from.count != to.count) {
      throw new IllegalArgumentException("cuda: cannot convert " + from + " to " + to);
    }
    check(cudaMemcpy(new CudaStepMemory.Address(dst), new CudaStepMemory.Address(src), from.count * Float.BYTES,
        cudaMemcpyDefault), "cudaMemcpy");
    sync();
  }

  // ---- ops ----

  @Override
  public boolean fusesRelu(NetworkGraph.Op producer) {
    return false;
  }

  @Override
  public boolean forward(CompiledStep<Buf, Layout> step, int i) {
    st = step;
    NetworkGraph.Node node = st.graph().nodes().get(i);
    NetworkGraph.Op op = node.op();
    if (op instanceof NetworkGraph.Convolution c) {
      convolution(i, node, c);
      return true;
    }
    if (op instanceof NetworkGraph.InnerProduct) {
      innerProduct(i, node);
      return true;
    }
    if (op instanceof NetworkGraph.BatchNormalization b) {
      batchNorm(i, node, b);
      return true;
    }
    if (op instanceof NetworkGraph.Concat) {
      concat(i, node);
      return true;
    }
    if (op instanceof NetworkGraph.Eltwise e && CudaElementwiseOps.activationMode(e.f()) >= 0) {
      activation(i, node, e.f());
      return true;
    }
    if (op instanceof NetworkGraph.Pooling || op instanceof NetworkGraph.GlobalPooling) {
      Shape srcShape = st.srcShape(node, 0).prepend(st.batch());
      PoolParams p = op instanceof NetworkGraph.Pooling q ? q.p()
          : PoolParams.global(((NetworkGraph.GlobalPooling) op).kind(), srcShape);
      if (CudaPoolingOps.poolable(p, srcShape, p.outputShape(srcShape))) {
        pooling(i, node, p, srcShape);
        return true;
      }
      return false; // the step's host fallback
    }
    if (op instanceof NetworkGraph.Eltwise || op instanceof NetworkGraph.Host) {
      return false; // the step's host fallback
    }
    throw new Unsupported(node.name() + ": " + op.getClass().getSimpleName() + " is not lowered to cuda yet");
  }

  @Override
  public void backward(CompiledStep<Buf, Layout> step, int i, Buf dy) {
    st = step;
    NetworkGraph.Node node = st.graph().nodes().get(i);
    NetworkGraph.Op op = node.op();
    if (op instanceof NetworkGraph.Convolution c) {
      convolutionBackward(i, node, c, dy);
    } else if (op instanceof NetworkGraph.InnerProduct) {
      innerProductBackward(i, node, dy);
    } else if (op instanceof NetworkGraph.BatchNormalization b) {
      batchNormBackward(i, node, b, dy);
    } else if (op instanceof NetworkGraph.Concat) {
      concatBackward(node, dy);
    } else if (st.saved(i) instanceof ActSaved) {
      activationBackward(i, node, dy);
    } else if (st.saved(i) instanceof PoolSaved) {
      poolingBackward(i, node, dy);
    } else {
      throw new IllegalStateException("no cuda backward for " + node.name());
    }
  }

  /** cuDNN's log-softmax over the rows of the (N, K) logits, as {@link CudaBackend#softmaxForward} runs it. */
  @Override
  public Buf logSoftmax(CompiledStep<Buf, Layout> step, Buf x) {
    long[] d = x.layout.dims;
    int n = (int) d[0];
    cudnnTensorStruct desc = own(CudnnDescriptors.tensor(new int[] {n, count(x) / n}));
    Buf y = step.acquire(x.layout);
    step.action(() -> checkDnn(cudnnSoftmaxForward(cudnn, CUDNN_SOFTMAX_LOG, CUDNN_SOFTMAX_MODE_INSTANCE, one, desc,
        x.ptr, zero, desc, y.ptr), "cudnnSoftmaxForward (log)"));
    return y;
  }

  /** Gives every cuDNN call the one workspace, as large as the largest wants. */
  @Override
  public void finish(CompiledStep<Buf, Layout> step) {
    if (workspaceBytes > 0) {
      workspace = new CudaStepMemory.Address(memory.allocate(workspaceBytes));
    }
  }

  @Override
  public UpdateKernel updateKernel(List<UpdateKernel.Region> regions) {
    // managed memory is host-addressable: the rule's own formula (dev.fovea.optim, the
    // specification) over direct views, on the host, after the step's device work finished
    return UpdateKernel.onHost(memory, regions);
  }

  @Override
  public void close() {
    for (int i = owned.size() - 1; i >= 0; i--) {
      try {
        owned.get(i).close();
      } catch (Exception e) {
        throw new IllegalStateException("cuda: freeing a compiled step's object", e);
      }
    }
    owned.clear();
    one.close();
    zero.close();
  }

  private FloatPointer own(FloatPointer p) {
    owned.add(p::close);
    return p;
  }

  private cudnnTensorStruct own(cudnnTensorStruct d) {
    owned.add(() -> CudnnDescriptors.destroy(d));
    return d;
  }

  private CudnnConvolution own(CudnnConvolution c) {
    owned.add(c);
    return c;
  }

  private cudnnActivationStruct own(cudnnActivationStruct d) {
    owned.add(() -> cudnnDestroyActivationDescriptor(d));
    return d;
  }

  private cudnnPoolingStruct own(cudnnPoolingStruct d) {
    owned.add(() -> cudnnDestroyPoolingDescriptor(d));
    return d;
  }

  private void workspace(long bytes) {
    workspaceBytes = Math.max(workspaceBytes, bytes);
  }

  // ---- convolution (cuDNN) ----

  private record ConvSaved(CudnnConvolution plan, Layout src, Layout dst, Buf x, Buf w) {}

  private void convolution(int i, NetworkGraph.Node node, NetworkGraph.Convolution c) {
    if (!CudnnConvolution.supports(c.p())) {
      throw new Unsupported(node.name() + ": a convolution cuDNN cannot express (asymmetric padding)");
    }
    Shape srcShape = st.srcShape(node, 0).prepend(st.batch());
    Shape dstShape = node.outputShape().prepend(st.batch());
    NetworkGraph.Slice ws = node.params().get(0);
    // deterministic algorithms, chosen without timing: repeated runs and two backends agree bitwise
    CudnnConvolution plan = own(new CudnnConvolution(c.p(), srcShape, ws.shape(), dstShape, tf32, true));
    int algo = plan.forwardAlgo(cudnn);
    long wsBytes = plan.forwardWorkspace();
    workspace(wsBytes);
    st.tag(node, "fwd.src");
    Buf x = st.ensure(st.src(node, 0), layout(srcShape), true);
    Buf wPlain = st.param(ws, false);
    Buf w = st.weightsIn(ws, wPlain, wPlain.layout);
    Buf b = c.bias() ? st.param(node.params().get(1), false) : null;
    Buf y = st.acquire(layout(dstShape));
    st.tag(node, "fwd");
    st.action(() -> {
      checkDnn(cudnnConvolutionForward(cudnn, one, plan.src, x.ptr, plan.weights, w.ptr, plan.conv, algo, workspace,
          wsBytes, zero, plan.dst, y.ptr), "cudnnConvolutionForward");
      if (b != null) {
        checkDnn(cudnnAddTensor(cudnn, one, plan.bias, b.ptr, one, plan.dst, y.ptr), "cudnnAddTensor (bias)");
      }
    });
    st.setAct(i, y);
    st.save(i, new ConvSaved(plan, x.layout, y.layout, x, w));
  }

  private void convolutionBackward(int i, NetworkGraph.Node node, NetworkGraph.Convolution c, Buf dy) {
    ConvSaved s = (ConvSaved) st.saved(i);
    CudnnConvolution plan = s.plan;
    NetworkGraph.Slice ws = node.params().get(0);
    st.tag(node, "bwd.diff_dst");
    Buf ddy = st.ensure(dy, s.dst, false);
    Buf gw = st.gradientOf(ws, st.param(ws, true));
    Buf gb = c.bias() ? st.param(node.params().get(1), true) : null;
    int wAlgo = plan.backwardWeightsAlgo(cudnn);
    long wBytes = plan.backwardWeightsWorkspace();
    workspace(wBytes);
    st.tag(node, "bwd_weights");
    // beta = 0: the kernel writes the step's gradient, as every lowered node does
    st.action(() -> {
      checkDnn(cudnnConvolutionBackwardFilter(cudnn, one, plan.src, s.x.ptr, plan.dst, ddy.ptr, plan.conv, wAlgo,
          workspace, wBytes, zero, plan.weights, gw.ptr), "cudnnConvolutionBackwardFilter");
      if (gb != null) {
        checkDnn(cudnnConvolutionBackwardBias(cudnn, one, plan.dst, ddy.ptr, zero, plan.bias, gb.ptr),
            "cudnnConvolutionBackwardBias");
      }
    });
    int p = node.inputs()[0];
    if (st.needsDiff(p)) {
      int dAlgo = plan.backwardDataAlgo(cudnn);
      long dBytes = plan.backwardDataWorkspace();
      workspace(dBytes);
      Buf dx = st.sink(p, s.src);
      st.tag(node, "bwd_data");
      st.action(() -> checkDnn(cudnnConvolutionBackwardData(cudnn, one, plan.weights, s.w.ptr, plan.dst, ddy.ptr,
          plan.conv, dAlgo, workspace, dBytes, zero, plan.src, dx.ptr), "cudnnConvolutionBackwardData"));
      st.tag(node, "bwd_data.out");
      st.sunk(p, dx);
    }
    if (ddy != dy) {
      st.release(ddy);
    }
  }

  // ---- inner product (cuBLAS; row-major matrices are column-major transposes) ----

  private record IpSaved(int n, int k, int o, Layout src, Layout dst, Buf x, Buf w, cudnnTensorStruct bias,
      cudnnTensorStruct out) {}

  private void innerProduct(int i, NetworkGraph.Node node) {
    Shape srcShape = st.srcShape(node, 0).prepend(st.batch());
    Shape dstShape = node.outputShape().prepend(st.batch());
    NetworkGraph.Slice ws = node.params().get(0);
    int n = st.batch();
    long k = srcShape.size() / n;
    int o = ws.shape().dim(0);
    if (k > Integer.MAX_VALUE || (long) o * k != ws.shape().size() || dstShape.size() != (long) n * o) {
      throw new Unsupported(node.name() + ": an inner product of " + srcShape + " with weights " + ws.shape());
    }
    int kk = (int) k;
    Buf x = st.ensure(st.src(node, 0), layout(srcShape), true);
    Buf wPlain = st.param(ws, false);
    Buf w = st.weightsIn(ws, wPlain, wPlain.layout);
    Buf b = st.param(node.params().get(1), false);
    Buf y = st.acquire(layout(dstShape));
    cudnnTensorStruct bd = own(CudnnDescriptors.channels(o, 4));
    cudnnTensorStruct yd = own(CudnnDescriptors.tensor(new int[] {n, o}));
    st.tag(node, "fwd");
    st.action(() -> {
      // dstᵀ (O×N) = W (O×K) · srcᵀ (K×N), column-major
      checkBlas(cublasSgemm_v2(cublas, CUBLAS_OP_T, CUBLAS_OP_N, o, n, kk, one, w.floats, kk, x.floats, kk, zero,
          y.floats, o), "cublasSgemm (inner product forward)");
      checkDnn(cudnnAddTensor(cudnn, one, bd, b.ptr, one, yd, y.ptr), "cudnnAddTensor (bias)");
    });
    st.setAct(i, y);
    st.save(i, new IpSaved(n, kk, o, x.layout, y.layout, x, w, bd, yd));
  }

  private void innerProductBackward(int i, NetworkGraph.Node node, Buf dy) {
    IpSaved s = (IpSaved) st.saved(i);
    NetworkGraph.Slice ws = node.params().get(0);
    Buf ddy = st.ensure(dy, s.dst, false);
    Buf gw = st.gradientOf(ws, st.param(ws, true));
    Buf gb = st.param(node.params().get(1), true);
    st.tag(node, "bwd_weights");
    st.action(() -> {
      // diffWᵀ (K×O) = srcᵀ (K×N) · diffDst (N×O), column-major; beta = 0 writes the step's gradient
      checkBlas(cublasSgemm_v2(cublas, CUBLAS_OP_N, CUBLAS_OP_T, s.k, s.o, s.n, one, s.x.floats, s.k, ddy.floats,
          s.o, zero, gw.floats, s.k), "cublasSgemm (inner product backward weights)");
      checkDnn(cudnnConvolutionBackwardBias(cudnn, one, s.out, ddy.ptr, zero, s.bias, gb.ptr),
          "cudnnConvolutionBackwardBias (inner product bias)");
    });
    int p = node.inputs()[0];
    if (st.needsDiff(p)) {
      Buf dx = st.sink(p, s.src);
      st.tag(node, "bwd_data");
      // diffSrcᵀ (K×N) = Wᵀ (K×O) · diffDstᵀ (O×N), column-major
      st.action(() -> checkBlas(cublasSgemm_v2(cublas, CUBLAS_OP_N, CUBLAS_OP_N, s.k, s.n, s.o, one, s.w.floats, s.k,
          ddy.floats, s.o, zero, dx.floats, s.k), "cublasSgemm (inner product backward data)"));
      st.sunk(p, dx);
    }
    if (ddy != dy) {
      st.release(ddy);
    }
  }

  // ---- activations (cuDNN: ReLU, sigmoid, tanh, ELU) ----

  private record ActSaved(cudnnActivationStruct act, cudnnTensorStruct desc, Buf y) {}

  private void activation(int i, NetworkGraph.Node node, Activation f) {
    Buf x = st.src(node, 0);
    cudnnActivationStruct act = own(CudaElementwiseOps.activation(f));
    cudnnTensorStruct d = own(CudnnDescriptors.tensor(new int[] {1, count(x)}));
    // in place only for a plain ReLU after a sum (StepPlan); cuDNN's activation runs in place
    Buf y = st.plan().inPlace(i) ? x : st.acquire(x.layout);
    st.tag(node, "fwd");
    st.action(() -> checkDnn(cudnnActivationForward(cudnn, act, one, d, x.ptr, zero, d, y.ptr),
        "cudnnActivationForward"));
    st.setAct(i, y);
    st.save(i, new ActSaved(act, d, y));
  }

  /**
   * The activation's backward from its source and output (a step's forward values live until it
   * ends); for a ReLU run in place both are its output, which has the source's signs.
   */
  private void activationBackward(int i, NetworkGraph.Node node, Buf dy) {
    int p = node.inputs()[0];
    if (!st.needsDiff(p)) {
      return;
    }
    ActSaved s = (ActSaved) st.saved(i);
    Buf x = st.act(p);
    Buf y = s.y;
    Buf ddy = st.ensure(dy, x.layout, false);
    Buf dx = st.sink(p, x.layout);
    st.tag(node, "bwd");
    st.action(() -> checkDnn(cudnnActivationBackward(cudnn, s.act, one, s.desc, y.ptr, s.desc, ddy.ptr, s.desc, x.ptr,
        zero, s.desc, dx.ptr), "cudnnActivationBackward"));
    st.sunk(p, dx);
    if (ddy != dy) {
      st.release(ddy);
    }
  }

  // ---- pooling (cuDNN; symmetric padding and the floor output rule, else the host) ----

  private record PoolSaved(cudnnPoolingStruct pool, cudnnTensorStruct xd, cudnnTensorStruct yd, Buf x, Buf y) {}

  private void pooling(int i, NetworkGraph.Node node, PoolParams p, Shape srcShape) {
    Shape dstShape = p.outputShape(srcShape);
    cudnnPoolingStruct pool = own(CudaPoolingOps.pooling(p));
    cudnnTensorStruct xd = own(CudnnDescriptors.tensor(srcShape));
    cudnnTensorStruct yd = own(CudnnDescriptors.tensor(dstShape));
    Buf x = st.ensure(st.src(node, 0), layout(srcShape), true);
    Buf y = st.acquire(layout(dstShape));
    st.tag(node, "fwd");
    st.action(() -> checkDnn(cudnnPoolingForward(cudnn, pool, one, xd, x.ptr, zero, yd, y.ptr), "cudnnPoolingForward"));
    // a global pooling's output is (N, C): the same row-major bytes as (N, C, 1, ...)
    st.setAct(i, node.op() instanceof NetworkGraph.GlobalPooling ? st.view(y, st.rowMajorOf(node.outputShape())) : y);
    st.save(i, new PoolSaved(pool, xd, yd, x, y));
  }

  /** cuDNN's pooling backward reads the forward source and output (a step's forward values live until it ends). */
  private void poolingBackward(int i, NetworkGraph.Node node, Buf dy) {
    int p = node.inputs()[0];
    if (!st.needsDiff(p)) {
      return;
    }
    PoolSaved s = (PoolSaved) st.saved(i);
    if (dy.layout.count != s.y.layout.count) {
      throw new IllegalStateException("cuda: pooling gradient " + dy.layout + " for output " + s.y.layout);
    }
    // a global pooling's gradient is (N, C): the same row-major bytes as its (N, C, 1, ...) output
    Buf d = st.view(dy, s.y.layout);
    Buf dx = st.sink(p, s.x.layout);
    st.tag(node, "bwd");
    st.action(() -> checkDnn(cudnnPoolingBackward(cudnn, s.pool, one, s.yd, s.y.ptr, s.yd, d.ptr, s.xd, s.x.ptr, zero,
        s.xd, dx.ptr), "cudnnPoolingBackward"));
    st.sunk(p, dx);
  }

  // ---- batch normalisation (cuDNN, per channel) ----

  private record BnSaved(cudnnTensorStruct xd, cudnnTensorStruct bn, double eps, Buf x, Buf scale, Buf mean,
      Buf invStd) {}

  /**
   * Training with batch statistics: {@code cudnnBatchNormalizationForwardTraining} with an averaging
   * factor of 1 into zeroed temporaries, so they hold the batch mean and the unbiased batch
   * variance; a host action then updates the running statistics from them by the rule every backend
   * shares ({@link BatchNormParams#updateRunning}, in double). Evaluation (and batch norm held in
   * inference mode) reads the running statistics. A training step through batch norm held in
   * inference mode is {@link Unsupported}: its backward is not cuDNN's formula.
   */
  private void batchNorm(int i, NetworkGraph.Node node, NetworkGraph.BatchNormalization b) {
    Shape shape = st.srcShape(node, 0).prepend(st.batch());
    int c = shape.dim(1);
    long count = shape.size() / c;
    boolean batchStats = st.training() && !b.inference();
    double eps = b.p().epsilon();
    if (shape.rank() > 5 || shape.rank() < 2 || batchStats && count < 2) {
      throw new Unsupported(node.name() + ": cuDNN batch normalization of " + shape);
    }
    if (st.training() && b.inference()) {
      throw new Unsupported(node.name() + ": training through batch normalization held in inference mode");
    }
    if (eps < CUDNN_BN_MIN_EPSILON) {
      throw new Unsupported(node.name() + ": batch normalization epsilon " + eps + " below cuDNN's minimum");
    }
    cudnnTensorStruct xd = own(CudnnDescriptors.tensor(shape));
    cudnnTensorStruct bn = own(CudaNormalizationOps.bnDescriptor(xd));
    Layout ch = new Layout(new long[] {c});
    Buf x = st.ensure(st.src(node, 0), layout(shape), true);
    int k = 0;
    Buf scale = b.scale() ? st.param(node.params().get(k++), false) : st.constant(ch, 1f);
    Buf shift = b.center() ? st.param(node.params().get(k), false) : st.constant(ch, 0f);
    Buf y = st.acquire(x.layout);
    st.tag(node, "fwd");
    if (!batchStats) {
      Buf rm = st.buffer(node.buffers().get(0));
      Buf rv = st.buffer(node.buffers().get(1));
      st.action(() -> checkDnn(cudnnBatchNormalizationForwardInference(cudnn, CUDNN_BATCHNORM_SPATIAL, one, zero, xd,
          x.ptr, xd, y.ptr, bn, scale.ptr, shift.ptr, rm.ptr, rv.ptr, eps), "cudnnBatchNormalizationForwardInference"));
      st.setAct(i, y);
      return;
    }
    Buf mean = st.acquire(ch);
    Buf invStd = st.acquire(ch);
    Buf batchMean = st.acquire(ch);
    Buf batchVar = st.acquire(ch);
    st.action(() -> {
      check(cudaMemsetAsync(batchMean.ptr, 0, batchMean.bytes), "cudaMemsetAsync (batch mean)");
      check(cudaMemsetAsync(batchVar.ptr, 0, batchVar.bytes), "cudaMemsetAsync (batch variance)");
      checkDnn(cudnnBatchNormalizationForwardTraining(cudnn, CUDNN_BATCHNORM_SPATIAL, one, zero, xd, x.ptr, xd, y.ptr,
          bn, scale.ptr, shift.ptr, 1.0, batchMean.ptr, batchVar.ptr, eps, mean.ptr, invStd.ptr),
          "cudnnBatchNormalizationForwardTraining");
    });
    st.setAct(i, y);
    st.save(i, new BnSaved(xd, bn, eps, x, scale, mean, invStd));
    BatchNormParams p = b.p();
    NetworkGraph.Slice rmSlice = node.buffers().get(0);
    NetworkGraph.Slice rvSlice = node.buffers().get(1);
    float[] m = new float[c];
    float[] v = new float[c];
    st.host(() -> {
      memory.get(batchMean.address, m, 0, c);
      memory.get(batchVar.address, v, 0, c);
      double[] md = new double[c];
      double[] vd = new double[c];
      for (int j = 0; j < c; j++) {
        md[j] = m[j];
        vd[j] = v[j] * (double) (count - 1) / count; // cuDNN's is unbiased; the rule takes the biased one
      }
      float[] buffers = st.runningBuffers();
      p.updateRunning(Tensor.wrap(buffers, rmSlice.offset(), rmSlice.shape()),
          Tensor.wrap(buffers, rvSlice.offset(), rvSlice.shape()), md, vd, count);
    });
    st.release(batchMean);
    st.release(batchVar);
  }

  private void batchNormBackward(int i, NetworkGraph.Node node, NetworkGraph.BatchNormalization b, Buf dy) {
    BnSaved s = (BnSaved) st.saved(i);
    Layout ch = s.mean.layout;
    int k = 0;
    Buf dScale = b.scale() ? st.param(node.params().get(k++), true) : st.acquire(ch);
    Buf dShift = b.center() ? st.param(node.params().get(k), true) : st.acquire(ch);
    int p = node.inputs()[0];
    Buf ddy = st.ensure(dy, s.x.layout, false);
    Buf dx = st.needsDiff(p) ? st.sink(p, s.x.layout) : st.acquire(s.x.layout);
    st.tag(node, "bwd");
    // every gradient written (betas 0), as the other lowered nodes do
    st.action(() -> checkDnn(cudnnBatchNormalizationBackward(cudnn, CUDNN_BATCHNORM_SPATIAL, one, zero, one, zero,
        s.xd, s.x.ptr, s.xd, ddy.ptr, s.xd, dx.ptr, s.bn, s.scale.ptr, dScale.ptr, dShift.ptr, s.eps, s.mean.ptr,
        s.invStd.ptr), "cudnnBatchNormalizationBackward"));
    if (st.needsDiff(p)) {
      st.sunk(p, dx);
    } else {
      st.release(dx);
    }
    if (ddy != dy) {
      st.release(ddy);
    }
    if (!b.scale()) {
      st.release(dScale);
    }
    if (!b.center()) {
      st.release(dShift);
    }
  }

  // ---- concatenation along the channels (row-major: N strided copies per source) ----

  /** Bytes per sample of each source of a channel concatenation, and of the whole output. */
  private long[] sampleBytes(NetworkGraph.Node node) {
    int n = node.inputs().length;
    long[] b = new long[n + 1];
    for (int j = 0; j < n; j++) {
      b[j] = st.srcShape(node, j).size() * (long) Float.BYTES;
      b[n] += b[j];
    }
    if (b[n] != node.outputShape().size() * (long) Float.BYTES) {
      throw new Unsupported(node.name() + ": a concatenation cuda cannot lower as strided copies");
    }
    return b;
  }

  private void concat(int i, NetworkGraph.Node node) {
    int n = node.inputs().length;
    long[] b = sampleBytes(node);
    long rows = st.batch();
    Buf y = st.acquire(layout(node.outputShape().prepend(st.batch())));
    List<Buf> srcs = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      srcs.add(st.ensure(st.src(node, j), layout(st.srcShape(node, j).prepend(st.batch())), true));
    }
    st.tag(node, "fwd");
    st.action(() -> {
      long offset = 0;
      for (int j = 0; j < n; j++) {
        check(cudaMemcpy2DAsync(new CudaStepMemory.Address(y.address + offset), b[n], srcs.get(j).ptr, b[j], b[j], rows,
            cudaMemcpyDefault), "cudaMemcpy2DAsync (concat)");
        offset += b[j];
      }
    });
    st.setAct(i, y);
  }

  private void concatBackward(NetworkGraph.Node node, Buf dy) {
    int n = node.inputs().length;
    long[] b = sampleBytes(node);
    long rows = st.batch();
    if (dy.bytes != b[n] * rows) {
      throw new IllegalStateException("cuda: concat gradient " + dy.layout + " for " + node.name());
    }
    long offset = 0;
    for (int j = 0; j < n; j++) {
      int p = node.inputs()[j];
      if (st.needsDiff(p)) {
        Buf part = st.acquire(layout(st.srcShape(node, j).prepend(st.batch())));
        long from = dy.address + offset;
        long width = b[j];
        st.tag(node, "bwd");
        st.action(() -> check(cudaMemcpy2DAsync(part.ptr, width, new CudaStepMemory.Address(from), b[n], width, rows,
            cudaMemcpyDefault), "cudaMemcpy2DAsync (concat backward)"));
        st.deliver(p, part, 1);
        st.release(part);
      }
      offset += b[j];
    }
  }
}
