package dev.fovea.kernels.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.BackendProvider;
import dev.fovea.kernels.Backends;
import org.junit.jupiter.api.Test;

/** The op conformance suite ({@link BackendConformanceTest}) on the oneDNN backend this module registers. */
class OneDnnConformanceTest extends BackendConformanceTest {

  @Override
  protected boolean covers(BackendProvider p) {
    return p.name().equals("onednn");
  }

  @Test
  void oneDnnIsRegisteredByThisModule() {
    assertTrue(Backends.providers().stream().anyMatch(p -> p.name().equals("onednn")));
  }
}
