package dev.fovea.kernels.compile;

import java.util.ArrayList;
import java.util.List;

/**
 * A value of a compiled step as its device holds it: bytes at an address in a layout of the
 * device's ({@code L}). Several buffers may view the same bytes (a reshape, a sub-tensor).
 *
 * @param <L> the device's layout descriptor
 */
public abstract class StepBuffer<L> {
  public final L layout;
  public final long address;
  /** The bytes the layout spans. */
  public final long bytes;
  /** Conversions of this buffer into other layouts, made once per step (forward values only). */
  final List<StepBuffer<L>> converted = new ArrayList<>();

  protected StepBuffer(L layout, long address, long bytes) {
    this.layout = layout;
    this.address = address;
    this.bytes = bytes;
  }
}
