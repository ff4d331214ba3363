package dev.fovea.kernels;

/**
 * A node of a {@link NetworkGraph} that a compiler cannot run itself: it is run on the host, on
 * heap tensors in row-major layout, with the layer code that runs it layer by layer. An instance
 * belongs to one compiled step and may keep what its backward pass needs between the two calls.
 */
public interface HostOp {

  /**
   * Forward pass on row-major heap tensors {@code srcs[i] (N, ...)}; returns {@code dst (N,
   * out...)}.
   *
   * @param backend the backend to run ops on (the compiling backend itself)
   * @param params the flat parameter vector; the op takes its own slices
   * @param buffers the flat buffer vector, updated in place by training passes
   * @param seed this node's seed for the step
   */
  Tensor forward(Backend backend, Tensor[] srcs, float[] params, float[] buffers, boolean training, long seed);

  /**
   * Backward pass of the last {@link #forward} call: accumulates the op's parameter gradients into
   * its slices of {@code grads} and returns one {@code diffSrc} per source (entries may be null for
   * sources that need none).
   */
  Tensor[] backward(Backend backend, Tensor[] srcs, Tensor dst, Tensor diffDst, float[] params, float[] grads);
}
