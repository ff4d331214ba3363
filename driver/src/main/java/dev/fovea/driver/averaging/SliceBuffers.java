package dev.fovea.driver.averaging;

import java.lang.ref.SoftReference;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The heap buffers that remote all-reduce slices are read into, kept per executor JVM for the next
 * round and group: a round reads the same sizes again, and reusing them saves allocating (and on
 * virtual machines whose first touch of a page is slow, faulting in) a fresh buffer per slice. Held
 * softly, so that the garbage collector takes them back under memory pressure, and at most {@link
 * #PER_SIZE} of a size. A buffer is given back only when nothing can still write into it.
 */
final class SliceBuffers {
  static final int PER_SIZE = 8;
  private static final Map<Integer, ArrayDeque<SoftReference<ByteBuffer>>> FREE = new HashMap<>();

  private SliceBuffers() {}

  /** A buffer of exactly {@code bytes} bytes (contents undefined), position 0, limit its capacity. */
  static ByteBuffer take(int bytes) {
    synchronized (FREE) {
      ArrayDeque<SoftReference<ByteBuffer>> q = FREE.get(bytes);
      while (q != null && !q.isEmpty()) {
        ByteBuffer b = q.pollFirst().get();
        if (b != null) {
          return b.clear();
        }
      }
    }
    return ByteBuffer.allocate(bytes);
  }

  /** {@code b}, which no one reads or writes any more, for a later {@link #take}. */
  static void give(ByteBuffer b) {
    synchronized (FREE) {
      ArrayDeque<SoftReference<ByteBuffer>> q = FREE.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>());
      q.removeIf(r -> r.get() == null);
      if (q.size() < PER_SIZE) {
        q.addFirst(new SoftReference<>(b));
      }
    }
  }
}
