package dev.fovea.kernels.backend.cuda;

import static dev.fovea.kernels.backend.cuda.Cuda.check;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

import dev.fovea.kernels.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Device memory of one backend for the op-level API: slots reused from one op to the next (an op
 * takes slots 0, 1, 2, ... after {@link #begin}; a slot grows when an op needs more), one cuDNN
 * workspace, and a host staging buffer for the copies. Fovea's tensors are row-major heap arrays,
 * so every op copies its inputs in and its outputs back; the device-resident path is the compiled
 * step, not this.
 */
final class CudaMemory implements AutoCloseable {
  private final List<Pointer> slots = new ArrayList<>();
  private final List<Long> slotBytes = new ArrayList<>();
  private int next;
  private Pointer workspace;
  private long workspaceBytes;
  private FloatPointer host;
  private long hostFloats;
  private long deviceBytes;
  private long peakDeviceBytes;

  /** Starts an op: its slots are taken from the first again. */
  void begin() {
    next = 0;
  }

  /** A device buffer of at least {@code floats} FLOAT32 values, contents undefined. */
  Pointer take(long floats) {
    long bytes = Math.max(4, floats * 4);
    int i = next++;
    if (i == slots.size()) {
      slots.add(null);
      slotBytes.add(0L);
    }
    if (slotBytes.get(i) < bytes) {
      if (slots.get(i) != null) {
        check(cudaFree(slots.get(i)), "cudaFree");
        deviceBytes -= slotBytes.get(i);
      }
      Pointer p = new Pointer();
      check(cudaMalloc(p, bytes), "cudaMalloc(" + bytes + ")");
      slots.set(i, p);
      slotBytes.set(i, bytes);
      deviceBytes += bytes;
      peakDeviceBytes = Math.max(peakDeviceBytes, deviceBytes);
    }
    return slots.get(i);
  }

  /** A device buffer holding a copy of {@code t} (FLOAT32). */
  Pointer upload(Tensor t) {
    Pointer d = take(t.size());
    FloatPointer h = staging(t.size());
    h.put(t.floatArray(), t.offset(), t.size());
    check(cudaMemcpy(d, h, 4L * t.size(), cudaMemcpyHostToDevice), "cudaMemcpy to the device");
    return d;
  }

  /** A device buffer holding {@code values}. */
  Pointer upload(float[] values) {
    Pointer d = take(values.length);
    FloatPointer h = staging(values.length);
    h.put(values, 0, values.length);
    check(cudaMemcpy(d, h, 4L * values.length, cudaMemcpyHostToDevice), "cudaMemcpy to the device");
    return d;
  }

  /** Copies {@code t.size()} values from device buffer {@code d} into {@code t}. */
  void download(Pointer d, Tensor t) {
    FloatPointer h = staging(t.size());
    check(cudaMemcpy(h, d, 4L * t.size(), cudaMemcpyDeviceToHost), "cudaMemcpy to the host");
    h.get(t.floatArray(), t.offset(), t.size());
  }

  /** The workspace, at least {@code bytes} long (null for 0). */
  Pointer workspace(long bytes) {
    if (bytes == 0) {
      return null;
    }
    if (workspaceBytes < bytes) {
      if (workspace != null) {
        check(cudaFree(workspace), "cudaFree");
        deviceBytes -= workspaceBytes;
      }
      workspace = new Pointer();
      check(cudaMalloc(workspace, bytes), "cudaMalloc(" + bytes + ") for a workspace");
      workspaceBytes = bytes;
      deviceBytes += bytes;
      peakDeviceBytes = Math.max(peakDeviceBytes, deviceBytes);
    }
    return workspace;
  }

  private FloatPointer staging(long floats) {
    if (hostFloats < floats) {
      if (host != null) {
        host.close();
      }
      host = new FloatPointer(floats);
      hostFloats = floats;
    }
    host.position(0);
    return host;
  }

  /** Device bytes held now and at most so far (slots and workspace; cuDNN's own not counted). */
  long deviceBytes() {
    return deviceBytes;
  }

  long peakDeviceBytes() {
    return peakDeviceBytes;
  }

  @Override
  public void close() {
    for (Pointer p : slots) {
      if (p != null) {
        cudaFree(p);
      }
    }
    slots.clear();
    slotBytes.clear();
    if (workspace != null) {
      cudaFree(workspace);
      workspace = null;
    }
    if (host != null) {
      host.close();
      host = null;
    }
    deviceBytes = 0;
    workspaceBytes = 0;
    hostFloats = 0;
  }
}
