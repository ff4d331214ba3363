package dev.fovea.kernels.compile;

/**
 * Thrown while compiling a step when a device cannot run some part of the graph as planned (an op,
 * a parameter, a resident layout); the caller then runs the network another way (layer by layer,
 * or with its parameters on the heap) and remembers not to compile that step again.
 */
public class Unsupported extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public Unsupported(String what) {
    super(what);
  }
}
