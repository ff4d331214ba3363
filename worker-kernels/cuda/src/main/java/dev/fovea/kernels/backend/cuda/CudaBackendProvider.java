package dev.fovea.kernels.backend.cuda;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BackendProvider;

/**
 * Provides the CUDA backend ({@code --backend cuda}), preferred by {@code auto} over oneDNN and the
 * reference backend where the CUDA runtime, cuDNN and cuBLAS load and a device exists. Detection
 * never throws: a missing library reads "CUDA runtime not found (...)", a machine without a device
 * "no CUDA device". The system property {@code fovea.cuda.disable=true} hides it; {@code
 * fovea.cuda.tf32=true} lets convolutions and inner products use TF32 tensor cores (FP32 by
 * default, which the conformance suite holds to the reference); {@code fovea.cuda.compiledSteps=false}
 * runs networks layer by layer instead of as compiled device-resident steps.
 */
public final class CudaBackendProvider implements BackendProvider {

  @Override
  public String name() {
    return "cuda";
  }

  @Override
  public boolean isAvailable() {
    return Cuda.unavailableReason() == null;
  }

  @Override
  public String unavailableReason() {
    return Cuda.unavailableReason();
  }

  @Override
  public int priority() {
    return 200;
  }

  @Override
  public boolean usesGpu() {
    return true;
  }

  @Override
  public Backend create(int threads) {
    return create(threads, 0);
  }

  /** The backend on device {@code device} (0 when negative: none assigned). */
  @Override
  public Backend create(int threads, int device) {
    String why = Cuda.unavailableReason();
    if (why != null) {
      throw new IllegalStateException("backend cuda cannot run here: " + why);
    }
    int d = Math.max(device, 0);
    if (d >= Cuda.deviceCount()) {
      throw new IllegalStateException("backend cuda: device " + d + " does not exist (" + Cuda.deviceCount()
          + " CUDA devices here)");
    }
    return new CudaBackend(d, Boolean.getBoolean("fovea.cuda.tf32"),
        !"false".equals(System.getProperty("fovea.cuda.compiledSteps")));
  }
}
