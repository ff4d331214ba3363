package dev.fovea.kernels.backend.cuda;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.compile.CompiledStepConformance;

/**
 * The compiled-step conformance suite on cuda's lowering ({@link CudaLowering}). Without a CUDA
 * device every test is skipped with the provider's reason; deploy/bin/fovea-gpu-check runs it on a
 * GPU machine.
 */
class CudaCompiledStepTest extends CompiledStepConformance {

  @Override
  protected String unavailableReason() {
    return Cuda.unavailableReason();
  }

  @Override
  protected Backend compiling(int threads) {
    return new CudaBackend(0, false, true);
  }

  @Override
  protected Backend layerByLayer(int threads) {
    return new CudaBackend(0, false, false);
  }

  @Override
  protected Backend unfused(int threads) {
    CudaBackend b = new CudaBackend(0, false, true);
    b.fuseRelu = false;
    return b;
  }

  @Override
  protected int compiledStepCount(Backend b) {
    return ((CudaBackend) b).compiledStepCount();
  }

  @Override
  protected long nativeBytes(Backend b) {
    return ((CudaBackend) b).deviceBytes();
  }
}
