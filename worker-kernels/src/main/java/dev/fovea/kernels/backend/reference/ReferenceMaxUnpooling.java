package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Tensor;

/**
 * Max-unpooling, PyTorch's {@code MaxUnpool1d/2d/3d}: the inverse placement of a max pool. For
 * source {@code (N, C, out...)} (a pooled tensor) and the argmax {@code indices} that {@link
 * ReferencePooling#forwardWithIndices} wrote for it, each value goes back to where its maximum was:
 *
 * <pre>
 *   dst[n, c, ·] = 0;   dst[n, c, indices[n, c, q]] = src[n, c, q]
 * </pre>
 *
 * with indices flattened within one {@code (n, c)} plane of {@code dst (N, C, in...)}. Backward
 * gathers: {@code diffSrc[n, c, q] = diffDst[n, c, indices[n, c, q]]}.
 */
final class ReferenceMaxUnpooling {
  private ReferenceMaxUnpooling() {}

  private static final String OP = "max unpooling";

  private static int planeSize(Tensor pooled, int[] indices, Tensor unpooled) {
    if (pooled.shape().rank() != unpooled.shape().rank() || pooled.shape().rank() < 3
        || pooled.shape().dim(0) != unpooled.shape().dim(0) || pooled.shape().dim(1) != unpooled.shape().dim(1)) {
      throw new IllegalArgumentException(OP + ": pooled " + pooled.shape() + " and unpooled " + unpooled.shape()
          + " must be (N, C, ...) of the same rank, N and C");
    }
    if (indices.length != pooled.size()) {
      throw new IllegalArgumentException(OP + ": " + indices.length + " indices for a pooled tensor of "
          + pooled.size() + " elements");
    }
    int plane = Checks.inner(unpooled.shape());
    for (int i = 0; i < indices.length; i++) {
      if (indices[i] < 0 || indices[i] >= plane) {
        throw new IllegalArgumentException(OP + ": index " + indices[i] + " at " + i + " not in [0, " + plane + ")");
      }
    }
    return plane;
  }

  /** Overwrites {@code dst (N, C, in...)} from {@code src (N, C, out...)}. */
  static void forward(Tensor src, int[] indices, Tensor dst) {
    int plane = planeSize(src, indices, dst);
    int per = Checks.inner(src.shape());
    double[] y = new double[dst.size()];
    for (int q = 0; q < indices.length; q++) {
      y[(q / per) * plane + indices[q]] = src.get(q);
    }
    dst.copyFrom(y);
  }

  /** Overwrites {@code diffSrc (N, C, out...)} from {@code diffDst (N, C, in...)}. */
  static void backward(int[] indices, Tensor diffDst, Tensor diffSrc) {
    int plane = planeSize(diffSrc, indices, diffDst);
    int per = Checks.inner(diffSrc.shape());
    double[] dx = new double[diffSrc.size()];
    for (int q = 0; q < indices.length; q++) {
      dx[q] = diffDst.get((q / per) * plane + indices[q]);
    }
    diffSrc.copyFrom(dx);
  }
}
