package dev.fovea.kernels.backend.onednn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.compile.CompiledStepConformance;

/** The compiled-step conformance suite on oneDNN's lowering. */
class OneDnnCompiledStepTest extends CompiledStepConformance {

  @Override
  protected String unavailableReason() {
    return OneDnn.unavailableReason();
  }

  @Override
  protected Backend compiling(int threads) {
    return new OneDnnBackend(threads);
  }

  @Override
  protected Backend layerByLayer(int threads) {
    return new OneDnnBackend(threads, false);
  }

  @Override
  protected Backend unfused(int threads) {
    OneDnnBackend b = new OneDnnBackend(threads);
    b.fuseRelu = false;
    return b;
  }

  @Override
  protected int compiledStepCount(Backend b) {
    return ((OneDnnBackend) b).compiledStepCount();
  }

  @Override
  protected long nativeBytes(Backend b) {
    return ((OneDnnBackend) b).nativeBytes();
  }
}
