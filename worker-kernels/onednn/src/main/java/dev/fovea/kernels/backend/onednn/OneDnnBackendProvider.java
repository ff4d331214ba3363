package dev.fovea.kernels.backend.onednn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BackendProvider;

/**
 * Provides the oneDNN backend ({@code --backend onednn}), preferred by {@code auto} over the
 * reference backend when its native library loads. Setting the system property {@code
 * fovea.onednn.disable=true} makes it report itself unavailable, as on a machine without the
 * library.
 */
public final class OneDnnBackendProvider implements BackendProvider {

  @Override
  public String name() {
    return "onednn";
  }

  @Override
  public boolean isAvailable() {
    return OneDnn.unavailableReason() == null;
  }

  @Override
  public String unavailableReason() {
    return OneDnn.unavailableReason();
  }

  @Override
  public int priority() {
    return 100;
  }

  @Override
  public Backend create(int threads) {
    return new OneDnnBackend(threads);
  }
}
