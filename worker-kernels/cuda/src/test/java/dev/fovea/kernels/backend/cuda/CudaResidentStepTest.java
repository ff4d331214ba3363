package dev.fovea.kernels.backend.cuda;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.compile.ResidentStepConformance;

/**
 * The resident-round conformance suite on cuda's lowering: parameters, gradients and optimizer
 * state in managed device memory for a round. Skipped with the provider's reason without a CUDA
 * device; deploy/bin/fovea-gpu-check runs it on a GPU machine.
 */
class CudaResidentStepTest extends ResidentStepConformance {

  @Override
  protected String unavailableReason() {
    return Cuda.unavailableReason();
  }

  @Override
  protected Backend compiling() {
    return new CudaBackend(0, false, true);
  }

  @Override
  protected long nativeBytes(Backend b) {
    return ((CudaBackend) b).deviceBytes();
  }
}
