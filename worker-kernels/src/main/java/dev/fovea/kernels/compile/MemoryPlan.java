package dev.fovea.kernels.compile;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Buffer reuse of a compiled step, decided while planning: a value's bytes are {@link #acquire}d
 * when planning reaches its producer and {@link #release}d after its last planned reader, and a
 * later value of the same rounded size reuses them. Nothing is freed while the step lives; the
 * device's blocks go in {@link DeviceMemory#close()}.
 */
public final class MemoryPlan {
  private final DeviceMemory memory;
  private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();

  public MemoryPlan(DeviceMemory memory) {
    this.memory = memory;
  }

  /** {@code size} rounded up to whole {@link DeviceMemory#ALIGN} units, at least one. */
  public static long rounded(long size) {
    return Math.max(DeviceMemory.ALIGN, (size + DeviceMemory.ALIGN - 1) / DeviceMemory.ALIGN * DeviceMemory.ALIGN);
  }

  /** Bytes of {@code size} for a value: released ones of the same rounded size when there are, else new. */
  public long acquire(long size) {
    long r = rounded(size);
    ArrayDeque<Long> q = free.get(r);
    return q != null && !q.isEmpty() ? q.pop() : memory.allocate(r);
  }

  /** Gives {@code size} bytes at {@code address} back: nothing planned after this call may read them. */
  public void release(long address, long size) {
    free.computeIfAbsent(rounded(size), k -> new ArrayDeque<>()).push(address);
  }
}
