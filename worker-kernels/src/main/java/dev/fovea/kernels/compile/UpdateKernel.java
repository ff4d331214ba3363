package dev.fovea.kernels.compile;

import dev.fovea.optim.UpdateRule;
import java.util.List;

/**
 * A device's update of resident parameters: an {@link UpdateRule} applied over the regions the
 * step holds, element-wise. The rule's formula ({@link UpdateRule#apply(List, long)}) is the
 * specification; a device whose memory the host addresses runs it over direct views, another
 * runs its own kernel per optimizer and is tested against the formula.
 */
public interface UpdateKernel {

  /**
   * A stretch of resident memory: {@code count} parameters at {@code params}, their gradients at
   * {@code grads} and each optimizer state block at {@code state[j]}, all in the same layout.
   */
  record Region(long params, long grads, long[] state, long count) {
    public Region {
      state = state.clone();
    }
  }

  /** Applies {@code rule} after {@code step} completed steps; returns the gradient norm before clipping. */
  double apply(UpdateRule rule, long step);

  /** The kernel over {@code regions} of host-addressable memory: the rule's own formula over views. */
  static UpdateKernel onHost(DeviceMemory memory, List<Region> regions) {
    List<dev.fovea.optim.Segment> segments = new java.util.ArrayList<>();
    for (Region r : regions) {
      java.nio.FloatBuffer[] state = new java.nio.FloatBuffer[r.state().length];
      for (int j = 0; j < state.length; j++) {
        state[j] = memory.floats(r.state()[j], r.count());
      }
      segments.add(new dev.fovea.optim.Segment(memory.floats(r.params(), r.count()),
          memory.floats(r.grads(), r.count()), state));
    }
    return (rule, step) -> rule.apply(segments, step);
  }
}
