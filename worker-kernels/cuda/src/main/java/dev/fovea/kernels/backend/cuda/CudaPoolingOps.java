package dev.fovea.kernels.backend.cuda;

import static dev.fovea.kernels.backend.cuda.Cuda.checkDnn;
import static dev.fovea.kernels.backend.cuda.CudaOpContext.f32;
import static org.bytedeco.cuda.global.cudnn.CUDNN_NOT_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_MAX_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.cudnnCreatePoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyPoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingForward;
import static org.bytedeco.cuda.global.cudnn.cudnnSetPoolingNdDescriptor;

import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.Arrays;
import org.bytedeco.cuda.cudnn.cudnnPoolingStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.Pointer;

/**
 * Pooling of {@link CudaBackend} through cuDNN, and the pooling descriptors {@link CudaLowering}
 * shares. Each method runs its op on the device and returns true, or returns false having done
 * nothing, and the backend then runs the reference.
 */
// cuDNN 9 marks its legacy (descriptor) API deprecated; see CudaBackend.
@SuppressWarnings("deprecation")
final class CudaPoolingOps extends CudaOpFamily {
  CudaPoolingOps(CudaOpContext ctx) {
    super(ctx);
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

  boolean poolingForward(PoolParams p, Tensor src, Tensor dst) {
    if (!f32(src, dst) || !poolable(p, src.shape(), dst.shape())) {
      return false;
    }
    ctx.begin();
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
    return true;
  }

  boolean poolingBackward(PoolParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    if (!f32(src, diffDst, diffSrc) || !poolable(p, src.shape(), diffDst.shape())) {
      return false;
    }
    ctx.begin();
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
    return true;
  }
}
