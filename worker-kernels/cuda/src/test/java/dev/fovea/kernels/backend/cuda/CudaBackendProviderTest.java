package dev.fovea.kernels.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BackendProvider;
import dev.fovea.kernels.Backends;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Detection, registration and the choice of {@code auto} with the cuda module on the class path.
 * On a machine without CUDA (CI) the unavailable path is what runs; on a GPU machine the available
 * one.
 */
class CudaBackendProviderTest {
  private final CudaBackendProvider cuda = new CudaBackendProvider();

  @Test
  void registeredThroughServiceLoaderAheadOfTheCpuBackends() {
    List<String> names = new ArrayList<>();
    Backends.providers().forEach(p -> names.add(p.name()));
    assertEquals("cuda", names.get(0), "providers, highest priority first: " + names);
    assertTrue(names.contains("reference"), names.toString());
    assertTrue(cuda.usesGpu());
    assertEquals("cuda", cuda.name());
  }

  @Test
  void detectionGivesAReasonInOneLineAndNeverThrows() {
    boolean available = cuda.isAvailable();
    String reason = cuda.unavailableReason();
    assertEquals(available, reason == null);
    assertEquals(available, cuda.isAvailable(), "a second probe agrees with the first");
    if (!available) {
      assertTrue(reason.startsWith("CUDA runtime not found (") || reason.startsWith("no CUDA device")
          || reason.startsWith("cuDNN not found (") || reason.startsWith("cuBLAS not found ("), reason);
      assertFalse(reason.contains("\n"), reason);
    }
  }

  @Test
  void createWithoutCudaThrowsWithTheReason() {
    assumeFalse(cuda.isAvailable(), "CUDA is available here");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> cuda.create(1, 0));
    assertEquals("backend cuda cannot run here: " + cuda.unavailableReason(), e.getMessage());
    IllegalArgumentException named = assertThrows(IllegalArgumentException.class,
        () -> Backends.resolve("cuda", w -> { }));
    assertEquals("backend cuda cannot run here: " + cuda.unavailableReason(), named.getMessage());
  }

  @Test
  void autoPassesOverCudaSilentlyUnlessGpusWereAskedFor() {
    assumeFalse(cuda.isAvailable(), "CUDA is available here");
    List<String> cpuUser = new ArrayList<>();
    BackendProvider chosen = Backends.resolve("auto", false, cpuUser::add);
    assertFalse(chosen.usesGpu());
    assertTrue(cpuUser.stream().noneMatch(w -> w.contains("cuda")), cpuUser.toString());

    List<String> gpuUser = new ArrayList<>();
    assertEquals(chosen.name(), Backends.resolve("auto", true, gpuUser::add).name());
    assertEquals(1, gpuUser.stream().filter(w -> w.contains("cuda")).count(), gpuUser.toString());
    assertEquals("backend cuda is not available (" + cuda.unavailableReason() + "); falling back",
        gpuUser.stream().filter(w -> w.contains("cuda")).findFirst().orElseThrow());
  }

  @Test
  void aLoadFailureNamesTheLibraryTheLinkerMissed() {
    UnsatisfiedLinkError javacpp = new UnsatisfiedLinkError("no jnicudart in java.library.path: /usr/lib");
    javacpp.initCause(new UnsatisfiedLinkError("/root/.javacpp/cache/x.jar/org/bytedeco/cuda/linux-x86_64/"
        + "libjnicudart.so: libcudart.so.13: cannot open shared object file: No such file or directory"));
    assertEquals("UnsatisfiedLinkError: libcudart.so.13: cannot open shared object file: No such file or directory",
        Cuda.firstLine(javacpp));
    assertEquals("NoClassDefFoundError: org/bytedeco/cuda/global/cudart",
        Cuda.firstLine(new NoClassDefFoundError("org/bytedeco/cuda/global/cudart")));
  }

  @Test
  void disablePropertyHidesIt() {
    System.setProperty(Cuda.DISABLE_PROPERTY, "true");
    try {
      assertFalse(cuda.isAvailable());
      assertEquals("disabled by fovea.cuda.disable", cuda.unavailableReason());
    } finally {
      System.clearProperty(Cuda.DISABLE_PROPERTY);
    }
  }

  @Test
  void onAGpuTheBackendIsBoundToTheDeviceAsked() {
    assumeTrue(cuda.isAvailable(), () -> "cuda not available: " + cuda.unavailableReason());
    int last = Cuda.deviceCount() - 1;
    try (Backend b = cuda.create(1, last)) {
      assertEquals("cuda", b.name());
      assertEquals(last, ((CudaBackend) b).device());
    }
    assertThrows(IllegalStateException.class, () -> cuda.create(1, Cuda.deviceCount()));
    assertNull(cuda.unavailableReason());
  }
}
