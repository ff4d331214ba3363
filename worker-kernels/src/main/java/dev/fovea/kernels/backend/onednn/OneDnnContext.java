package dev.fovea.kernels.backend.onednn;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_stream;

/**
 * The CPU engine and the in-order stream one backend plans and runs its primitives on, and the
 * account of the native memory its plans hold.
 */
record OneDnnContext(dnnl_engine engine, dnnl_stream stream, NativeMemory memory) {

  /**
   * Bytes of native memory held by one backend's plans: buffers it asked oneDNN to allocate plus
   * each primitive's own memory (scratchpad and internal copies, as {@code
   * dnnl_query_memory_consumption_s64} reports it). {@link #peak()} is the high-water mark since
   * the backend was created, candidates timed and freed while planning included.
   */
  static final class NativeMemory {
    private long current;
    private long peak;

    void allocated(long bytes) {
      current += bytes;
      peak = Math.max(peak, current);
    }

    void freed(long bytes) {
      current -= bytes;
    }

    long current() {
      return current;
    }

    long peak() {
      return peak;
    }
  }
}
