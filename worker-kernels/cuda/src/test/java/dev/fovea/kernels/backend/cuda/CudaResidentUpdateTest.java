package dev.fovea.kernels.backend.cuda;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.compile.ResidentUpdateConformance;

/**
 * The update-kernel conformance suite on cuda: the rule's formula over direct views of managed
 * memory, after the step's device work. Skipped with the provider's reason without a CUDA device;
 * deploy/bin/fovea-gpu-check runs it on a GPU machine.
 */
class CudaResidentUpdateTest extends ResidentUpdateConformance {

  @Override
  protected String unavailableReason() {
    return Cuda.unavailableReason();
  }

  @Override
  protected Backend compiling() {
    return new CudaBackend(0, false, true);
  }
}
