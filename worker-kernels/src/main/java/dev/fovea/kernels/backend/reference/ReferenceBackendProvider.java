package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BackendProvider;

/** Provides the reference backend, which runs on every JVM. */
public final class ReferenceBackendProvider implements BackendProvider {

  @Override
  public String name() {
    return "reference";
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public String unavailableReason() {
    return null;
  }

  @Override
  public int priority() {
    return 0;
  }

  @Override
  public Backend create(int threads) {
    return new ReferenceBackend();
  }
}
