package dev.fovea.kernels.backend.cuda;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The base of {@link CudaBackend}'s op families: the handles of its {@link CudaOpContext} as
 * fields, so that each family's code reads as the backend's did.
 */
abstract class CudaOpFamily {
  final CudaOpContext ctx;
  final cudnnContext cudnn;
  final cublasContext cublas;
  final CudaMemory memory;
  final FloatPointer one;
  final FloatPointer zero;

  CudaOpFamily(CudaOpContext ctx) {
    this.ctx = ctx;
    this.cudnn = ctx.cudnn;
    this.cublas = ctx.cublas;
    this.memory = ctx.memory;
    this.one = ctx.one;
    this.zero = ctx.zero;
  }
}
