package dev.fovea.kernels.backend.onednn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.compile.ResidentStepConformance;

/** The resident-round conformance suite on oneDNN's lowering. */
class OneDnnResidentStepTest extends ResidentStepConformance {

  @Override
  protected String unavailableReason() {
    return OneDnn.unavailableReason();
  }

  @Override
  protected Backend compiling() {
    return new OneDnnBackend(1);
  }

  @Override
  protected long nativeBytes(Backend b) {
    return ((OneDnnBackend) b).nativeBytes();
  }
}
