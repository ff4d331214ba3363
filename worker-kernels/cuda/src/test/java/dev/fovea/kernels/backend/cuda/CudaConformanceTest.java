package dev.fovea.kernels.backend.cuda;

import dev.fovea.kernels.conformance.BackendConformanceTest;
import dev.fovea.kernels.conformance.ConformanceCases;
import dev.fovea.kernels.conformance.OpCase;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The op conformance suite of worker-kernels (every case of {@link ConformanceCases}) on the cuda
 * backend against the reference. Without a CUDA device each case is skipped with the provider's
 * reason ("CUDA runtime not found (...)" or "no CUDA device"); deploy/bin/fovea-gpu-check runs it
 * on a GPU machine.
 */
class CudaConformanceTest {

  static List<OpCase> cases() {
    return ConformanceCases.all();
  }

  @ParameterizedTest(name = "cuda | {0}")
  @MethodSource("cases")
  void matchesReference(OpCase c) {
    BackendConformanceTest.assertMatchesReference(new CudaBackendProvider(), c);
  }
}
