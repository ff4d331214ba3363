package dev.fovea.kernels.backend.cuda;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.Tensor;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.javacpp.FloatPointer;

/**
 * What the op families of one {@link CudaBackend} ({@link CudaConvolutionOps}, {@link
 * CudaPoolingOps}, {@link CudaNormalizationOps}, {@link CudaElementwiseOps}) run with: the backend's
 * cuDNN and cuBLAS handles, its op-level device memory, the scaling constants, and {@link #begin()}
 * (the backend's check that it is open, its device bound to the calling thread, an op's slots
 * started). Owned and freed by the backend.
 */
final class CudaOpContext {
  final cudnnContext cudnn;
  final cublasContext cublas;
  final CudaMemory memory;
  /** The scaling factor 1 (cuDNN's alpha, or beta to accumulate). */
  final FloatPointer one;
  /** The scaling factor 0 (cuDNN's beta to overwrite). */
  final FloatPointer zero;
  private final Runnable begin;

  CudaOpContext(cudnnContext cudnn, cublasContext cublas, CudaMemory memory, FloatPointer one, FloatPointer zero,
      Runnable begin) {
    this.cudnn = cudnn;
    this.cublas = cublas;
    this.memory = memory;
    this.one = one;
    this.zero = zero;
    this.begin = begin;
  }

  /** Binds the device to this thread and starts an op's slots (throws when the backend is closed). */
  void begin() {
    begin.run();
  }

  /** Whether every tensor that is not null is FLOAT32 (what the native paths take). */
  static boolean f32(Tensor... ts) {
    for (Tensor t : ts) {
      if (t != null && t.dtype() != DType.FLOAT32) {
        return false;
      }
    }
    return true;
  }
}
