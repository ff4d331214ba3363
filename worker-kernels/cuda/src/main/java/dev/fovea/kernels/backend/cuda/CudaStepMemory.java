package dev.fovea.kernels.backend.cuda;

import static dev.fovea.kernels.backend.cuda.Cuda.check;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMallocManaged;
import static org.bytedeco.cuda.global.cudart.cudaMemAttachGlobal;

import dev.fovea.kernels.compile.DeviceMemory;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The memory of one compiled cuda step: CUDA managed (unified) memory, {@code cudaMallocManaged}
 * blocks that the device kernels and the host both address. The step's host actions (the loss, host
 * layers, the update rule's formula) read and write it directly; the compiled step touches it
 * from the host only while the device is idle (after {@link CudaLowering#sync}), and {@link
 * CudaLowering} is made only on devices with concurrent managed access. Counted in the backend's
 * {@code deviceBytes()}; freed in {@link #close()}.
 */
final class CudaStepMemory implements DeviceMemory {

  /** A device (or managed) address as a JavaCPP pointer. */
  static final class Address extends Pointer {
    Address(long a) {
      address = a;
    }
  }

  private final LongConsumer account;
  private final List<Pointer> blocks = new ArrayList<>();
  private long bytes;

  /** @param account told of every allocated (positive) and freed (negative) byte count */
  CudaStepMemory(LongConsumer account) {
    this.account = account;
  }

  @Override
  public long allocate(long size) {
    long b = Math.max(size, 4);
    Pointer p = new Pointer();
    // managed blocks are aligned to at least 256 bytes, more than ALIGN
    check(cudaMallocManaged(p, b, cudaMemAttachGlobal), "cudaMallocManaged(" + b + ")");
    if (p.address() % ALIGN != 0) {
      cudaFree(p);
      throw new IllegalStateException("cudaMallocManaged returned an address not aligned to " + ALIGN);
    }
    blocks.add(p);
    bytes += b;
    account.accept(b);
    return p.address();
  }

  @Override
  public void put(long address, float[] src, int offset, int count) {
    new FloatPointer(new Address(address)).put(src, offset, count);
  }

  @Override
  public void get(long address, float[] dst, int offset, int count) {
    new FloatPointer(new Address(address)).get(dst, offset, count);
  }

  @Override
  public void zero(long address, long size) {
    Pointer.memset(new Address(address), 0, size);
  }

  @Override
  public FloatBuffer floats(long address, long count) {
    return new FloatPointer(new Address(address)).capacity(count).limit(count).asBuffer();
  }

  @Override
  public long bytes() {
    return bytes;
  }

  @Override
  public void close() {
    for (Pointer p : blocks) {
      cudaFree(p);
    }
    blocks.clear();
    account.accept(-bytes);
    bytes = 0;
  }
}
