package dev.fovea.kernels.backend.onednn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.compile.ResidentUpdateConformance;

/** The update-kernel conformance suite on oneDNN: the rule's formula over direct views of native memory. */
class OneDnnResidentUpdateTest extends ResidentUpdateConformance {

  @Override
  protected String unavailableReason() {
    return OneDnn.unavailableReason();
  }

  @Override
  protected Backend compiling() {
    return new OneDnnBackend(1);
  }
}
