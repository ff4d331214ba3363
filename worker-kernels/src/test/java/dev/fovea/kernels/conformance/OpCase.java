package dev.fovea.kernels.conformance;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Tensor;
import java.util.List;

/**
 * One conformance case: an op on shapes from a real network (or an edge case). {@link #run} builds
 * its FLOAT32 inputs from a fixed seed, runs the op forward and backward on a backend and returns
 * every output; the suite runs it on the reference backend and on the backend under test and
 * compares the outputs element-wise.
 *
 * @param op the op family ({@code convolution}, {@code pooling}, ...)
 * @param name where the shape comes from and what it exercises
 * @param tolerance the largest allowed {@code |x - ref| / max(1, |ref|)} in FLOAT32
 */
public record OpCase(String op, String name, double tolerance, Body body) {

  /** Runs the case on a backend and returns its outputs, in a fixed order. */
  public interface Body {
    List<Tensor> run(Backend backend);
  }

  public List<Tensor> run(Backend backend) {
    return body.run(backend);
  }

  @Override
  public String toString() {
    return op + ": " + name;
  }
}
