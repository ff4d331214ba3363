package dev.fovea.kernels.backend.cuda;

import static dev.fovea.kernels.backend.cuda.Cuda.checkBlas;
import static dev.fovea.kernels.backend.cuda.Cuda.checkDnn;
import static dev.fovea.kernels.backend.cuda.CudaOpContext.f32;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;
import static org.bytedeco.cuda.global.cudnn.cudnnAddTensor;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardBias;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardData;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardFilter;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionForward;

import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The weighted ops of {@link CudaBackend}: convolution and transposed convolution through cuDNN (one
 * plan per parameters and shapes, kept until {@link #close()}), inner product through cuBLAS. Each
 * method runs its op on the device and returns true, or returns false having done nothing (FLOAT64
 * tensors, geometry cuDNN cannot express), and the backend then runs the reference.
 */
// cuDNN 9 marks its legacy (descriptor) API deprecated; see CudaBackend.
@SuppressWarnings("deprecation")
final class CudaConvolutionOps extends CudaOpFamily {
  private final boolean tf32;
  /** The convolution plans (descriptors, algorithms, workspace sizes) by parameters and shapes. */
  private final Map<ConvKey, CudnnConvolution> convolutions = new HashMap<>();

  private record ConvKey(ConvParams p, Shape src, Shape weights, Shape dst) {}

  CudaConvolutionOps(CudaOpContext ctx, boolean tf32) {
    super(ctx);
    this.tf32 = tf32;
  }

  private CudnnConvolution convolution(ConvParams p, Shape src, Shape weights, Shape dst) {
    return convolutions.computeIfAbsent(new ConvKey(p, src, weights, dst),
        k -> new CudnnConvolution(p, src, weights, dst, tf32));
  }

  /** Frees every convolution plan. */
  void close() {
    convolutions.values().forEach(CudnnConvolution::close);
    convolutions.clear();
  }

  // ---- convolution ----

  boolean convolutionForward(ConvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    if (!f32(src, weights, bias, dst) || !CudnnConvolution.supports(p)) {
      return false;
    }
    ctx.begin();
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
    return true;
  }

  boolean convolutionBackwardData(ConvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    if (!f32(diffDst, weights, diffSrc) || !CudnnConvolution.supports(p)) {
      return false;
    }
    ctx.begin();
    CudnnConvolution c = convolution(p, diffSrc.shape(), weights.shape(), diffDst.shape());
    Pointer dy = memory.upload(diffDst);
    Pointer w = memory.upload(weights);
    Pointer dx = memory.take(diffSrc.size());
    int algo = c.backwardDataAlgo(cudnn);
    checkDnn(cudnnConvolutionBackwardData(cudnn, one, c.weights, w, c.dst, dy, c.conv, algo,
        memory.workspace(c.backwardDataWorkspace()), c.backwardDataWorkspace(), zero, c.src, dx),
        "cudnnConvolutionBackwardData");
    memory.download(dx, diffSrc);
    return true;
  }

  boolean convolutionBackwardWeights(ConvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
      Tensor diffBias) {
    if (!f32(src, diffDst, diffWeights, diffBias) || !CudnnConvolution.supports(p)) {
      return false;
    }
    ctx.begin();
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
    return true;
  }

  // ---- transposed convolution: the adjoint, so each pass is another pass of the convolution from
  // dst's shape to src's (its forward is that convolution's backward-data), on the same plans ----

  boolean deconvolutionForward(DeconvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    if (!f32(src, weights, bias, dst) || !CudnnConvolution.supports(p.conv())) {
      return false;
    }
    ctx.begin();
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
    return true;
  }

  boolean deconvolutionBackwardData(DeconvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    if (!f32(diffDst, weights, diffSrc) || !CudnnConvolution.supports(p.conv())) {
      return false;
    }
    ctx.begin();
    CudnnConvolution c = convolution(p.conv(), diffDst.shape(), weights.shape(), diffSrc.shape());
    Pointer dy = memory.upload(diffDst);
    Pointer w = memory.upload(weights);
    Pointer dx = memory.take(diffSrc.size());
    int algo = c.forwardAlgo(cudnn);
    checkDnn(cudnnConvolutionForward(cudnn, one, c.src, dy, c.weights, w, c.conv, algo,
        memory.workspace(c.forwardWorkspace()), c.forwardWorkspace(), zero, c.dst, dx),
        "cudnnConvolutionForward (transposed convolution backward data)");
    memory.download(dx, diffSrc);
    return true;
  }

  boolean deconvolutionBackwardWeights(DeconvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
      Tensor diffBias) {
    if (!f32(src, diffDst, diffWeights, diffBias) || !CudnnConvolution.supports(p.conv())) {
      return false;
    }
    ctx.begin();
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
    return true;
  }

  // ---- inner product (cuBLAS; row-major matrices are column-major transposes) ----

  boolean innerProductForward(Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    if (!f32(src, weights, bias, dst)) {
      return false;
    }
    ctx.begin();
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
    return true;
  }

  boolean innerProductBackwardData(Tensor diffDst, Tensor weights, Tensor diffSrc) {
    if (!f32(diffDst, weights, diffSrc)) {
      return false;
    }
    ctx.begin();
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
    return true;
  }

  boolean innerProductBackwardWeights(Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    if (!f32(src, diffDst, diffWeights, diffBias)) {
      return false;
    }
    ctx.begin();
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
    return true;
  }
}
