package dev.fovea.kernels;

/**
 * Discovers a backend through {@link java.util.ServiceLoader}: each backend module lists its
 * provider in {@code META-INF/services/dev.fovea.kernels.BackendProvider}.
 */
public interface BackendProvider {

  /** The backend's name, as given to {@code --backend}. */
  String name();

  /**
   * Whether this backend can run here; when it cannot, {@link #unavailableReason()} says why.
   * Must not throw.
   */
  boolean isAvailable();

  /** Why {@link #isAvailable()} is false, in one line; null when it is available. */
  String unavailableReason();

  /** Preference for {@code auto}: the available provider with the highest priority wins. */
  int priority();

  /**
   * A new backend using at most {@code threads} threads for its kernels.
   *
   * @throws IllegalStateException when the backend is not available, with the reason
   */
  Backend create(int threads);

  /**
   * A new backend on accelerator {@code device} (a CUDA device ordinal, as Spark assigns GPU
   * addresses), using at most {@code threads} host threads. A backend without devices ignores
   * {@code device}; a negative device means "none assigned", and a device backend then takes its
   * first device.
   *
   * @throws IllegalStateException when the backend is not available, with the reason
   */
  default Backend create(int threads, int device) {
    return create(threads);
  }

  /**
   * Whether this backend runs on a GPU. {@code auto} passes over an unavailable GPU backend
   * silently unless GPUs were asked for (a CPU user is not told about CUDA on every run).
   */
  default boolean usesGpu() {
    return false;
  }
}
