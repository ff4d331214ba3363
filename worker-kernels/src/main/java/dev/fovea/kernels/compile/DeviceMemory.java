package dev.fovea.kernels.compile;

import java.nio.FloatBuffer;

/**
 * The memory of one compiled step on its device: blocks that live until {@link #close()}, addressed
 * by {@code long} (a native or device address), and the copies between them and the heap.
 */
public interface DeviceMemory extends AutoCloseable {

  /** Alignment of every block {@link #allocate} returns, in bytes. */
  int ALIGN = 64;

  /** A new block of {@code bytes}, aligned to {@link #ALIGN}, held until {@link #close()}. */
  long allocate(long bytes);

  /** Copies {@code count} floats of {@code src} from {@code offset} to {@code address}. */
  void put(long address, float[] src, int offset, int count);

  /** Copies {@code count} floats at {@code address} into {@code dst} from {@code offset}. */
  void get(long address, float[] dst, int offset, int count);

  /** Sets {@code bytes} bytes at {@code address} to zero. */
  void zero(long address, long bytes);

  /**
   * The {@code count} floats at {@code address} as the host reads and writes them while the step
   * runs (host actions: the loss, host layers' statistics); a device whose memory the host cannot
   * address maps or stages it.
   */
  FloatBuffer floats(long address, long count);

  /** Bytes allocated so far. */
  long bytes();

  /** Frees every block. */
  @Override
  void close();
}
