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
}
