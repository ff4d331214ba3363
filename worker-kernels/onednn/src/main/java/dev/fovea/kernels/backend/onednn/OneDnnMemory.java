package dev.fovea.kernels.backend.onednn;

import dev.fovea.kernels.compile.DeviceMemory;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The memory of one compiled oneDNN step: {@code malloc}ed host blocks, counted in the backend's
 * {@code nativeBytes()} and freed in {@link #close()}.
 */
final class OneDnnMemory implements DeviceMemory {

  /** A native address as a JavaCPP pointer. */
  static final class Address extends Pointer {
    Address(long a) {
      address = a;
    }
  }

  private final OneDnnContext.NativeMemory account;
  private final List<Pointer> blocks = new ArrayList<>();
  private long bytes;

  OneDnnMemory(OneDnnContext.NativeMemory account) {
    this.account = account;
  }

  @Override
  public long allocate(long size) {
    Pointer p = Pointer.malloc(size + ALIGN);
    if (p == null || p.isNull()) {
      throw new OutOfMemoryError("oneDNN compiled step: cannot allocate " + (size + ALIGN) + " native bytes");
    }
    blocks.add(p);
    bytes += size + ALIGN;
    account.allocated(size + ALIGN);
    return (p.address() + ALIGN - 1) / ALIGN * ALIGN;
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
      Pointer.free(p);
    }
    blocks.clear();
    account.freed(bytes);
    bytes = 0;
  }
}
