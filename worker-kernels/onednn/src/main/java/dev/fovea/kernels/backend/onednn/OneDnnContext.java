package dev.fovea.kernels.backend.onednn;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Pointer;

/**
 * The CPU engine and the in-order stream one backend plans and runs its primitives on, the account
 * of the native memory its plans hold, and the arena their transient buffers share.
 */
record OneDnnContext(dnnl_engine engine, dnnl_stream stream, NativeMemory memory, Arena arena) {

  /** A context with a new account and an empty arena charged to it. */
  static OneDnnContext of(dnnl_engine engine, dnnl_stream stream) {
    NativeMemory memory = new NativeMemory();
    return new OneDnnContext(engine, stream, memory, new Arena(memory));
  }

  /**
   * One native block that every plan of a backend uses for its transient buffers: activations
   * copied in, reordered copies, outputs before they are copied out, workspaces. None of them
   * holds anything between two calls of the backend, and the backend runs one plan at a time, so
   * all plans can lay theirs out from the start of the same block: the backend needs the largest
   * plan's transient bytes, not their sum. The block grows (reallocated, so every plan rebinds,
   * see {@link #generation()}) and is freed when the backend closes.
   */
  static final class Arena {
    private static final int ALIGN = 64;
    private final NativeMemory memory;
    /** From {@code malloc}, so neither JavaCPP's allocation limits nor its GC deallocators apply. */
    private Pointer block;
    private long capacity;
    private long generation;

    Arena(NativeMemory memory) {
      this.memory = memory;
    }

    /** Changes whenever the block moves; a plan bound at another generation must rebind. */
    long generation() {
      return generation;
    }

    /** The 64-byte aligned address of a block of at least {@code bytes}, grown when needed. */
    long reserve(long bytes) {
      if (bytes > capacity || block == null) {
        release();
        long size = Math.max(bytes, 1);
        block = Pointer.malloc(size + ALIGN);
        if (block == null || block.isNull()) {
          block = null;
          throw new OutOfMemoryError("oneDNN arena: cannot allocate " + (size + ALIGN) + " native bytes");
        }
        capacity = size;
        memory.allocated(capacity + ALIGN);
        generation++;
      }
      long a = block.address();
      return (a + ALIGN - 1) / ALIGN * ALIGN;
    }

    /** Frees the block; the next {@link #reserve} allocates a new one. */
    void release() {
      if (block != null) {
        Pointer.free(block);
        memory.freed(capacity + ALIGN);
        block = null;
        capacity = 0;
        generation++;
      }
    }
  }

  /**
   * Bytes of native memory held by one backend's plans: buffers it asked oneDNN to allocate plus
   * each primitive's own memory (scratchpad and internal copies, as {@code
   * dnnl_query_memory_consumption_s64} reports it). {@link #peak()} is the high-water mark since
   * the backend was created, candidates built and freed while planning included.
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
