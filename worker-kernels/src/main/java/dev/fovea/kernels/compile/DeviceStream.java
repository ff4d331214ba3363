package dev.fovea.kernels.compile;

/** How a device runs a program: what to set up around it on the calling thread, and how to wait for it. */
public interface DeviceStream {

  /** Before a program runs on the calling thread (thread count, floating-point mode). */
  void enter();

  /** After it ran: restores what {@link #enter} changed. */
  void exit();

  /** Waits until every action submitted so far has finished. */
  void sync();
}
