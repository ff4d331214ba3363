package dev.fovea.kernels.backend.onednn;

/** Applies a backend's thread limit to the OpenMP runtime oneDNN runs on (see package-info). */
final class OneDnnThreads {
  private OneDnnThreads() {}

  /** Limits the oneDNN primitives this thread runs next to {@code threads} threads. */
  static void limit(int threads) {
    // placeholder, filled in below
  }
}
