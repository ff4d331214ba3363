package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * Concatenation along one axis (axis 1, channels, for Inception and DenseNet): sources that agree
 * in every dimension but {@code axis} are laid one after another along it,
 *
 * <pre>
 *   dst[..., offset_i + j, ...] = srcs[i][..., j, ...],   offset_i = Σ_{i' < i} srcs[i'].dim(axis)
 * </pre>
 *
 * Backward splits {@code diffDst} the same way, overwriting each {@code diffSrcs[i]}.
 */
final class ReferenceConcat {
  private ReferenceConcat() {}

  private static final String OP = "concat";

  /** The destination shape of concatenating {@code srcs} along {@code axis}; throws naming the argument. */
  static Shape outputShape(int axis, Shape[] srcs) {
    if (srcs.length == 0) {
      throw new IllegalArgumentException(OP + ": needs at least one source");
    }
    int rank = srcs[0].rank();
    if (axis < 0 || axis >= rank) {
      throw new IllegalArgumentException(OP + ": axis " + axis + " not in [0, " + rank + ")");
    }
    int[] d = srcs[0].dims();
    d[axis] = 0;
    for (Shape s : srcs) {
      for (int a = 0; a < rank; a++) {
        if (s.rank() != rank || (a != axis && s.dim(a) != srcs[0].dim(a))) {
          throw new IllegalArgumentException(OP + ": source " + s + " does not match " + srcs[0] + " off axis " + axis);
        }
      }
      d[axis] += s.dim(axis);
    }
    return Shape.of(d);
  }

  private static Shape[] shapes(Tensor[] ts) {
    Shape[] s = new Shape[ts.length];
    for (int i = 0; i < ts.length; i++) {
      s[i] = ts[i].shape();
    }
    return s;
  }

  private static int outer(Shape s, int axis) {
    int n = 1;
    for (int a = 0; a < axis; a++) {
      n *= s.dim(a);
    }
    return n;
  }

  private static int innerFrom(Shape s, int axis) {
    int n = 1;
    for (int a = axis; a < s.rank(); a++) {
      n *= s.dim(a);
    }
    return n;
  }

  /** Overwrites {@code dst}. */
  static void forward(int axis, Tensor[] srcs, Tensor dst) {
    Shape out = outputShape(axis, shapes(srcs));
    Checks.shape(OP, "dst", dst, out);
    int outer = outer(out, axis);
    int rowOut = innerFrom(out, axis);
    double[] y = new double[dst.size()];
    int offset = 0;
    for (Tensor s : srcs) {
      int row = innerFrom(s.shape(), axis);
      double[] x = s.toDoubleArray();
      for (int o = 0; o < outer; o++) {
        System.arraycopy(x, o * row, y, o * rowOut + offset, row);
      }
      offset += row;
    }
    dst.copyFrom(y);
  }

  /** Overwrites each {@code diffSrcs[i]}. */
  static void backward(int axis, Tensor diffDst, Tensor[] diffSrcs) {
    Shape out = outputShape(axis, shapes(diffSrcs));
    Checks.shape(OP, "diffDst", diffDst, out);
    int outer = outer(out, axis);
    int rowOut = innerFrom(out, axis);
    double[] dy = diffDst.toDoubleArray();
    int offset = 0;
    for (Tensor s : diffSrcs) {
      int row = innerFrom(s.shape(), axis);
      double[] dx = new double[s.size()];
      for (int o = 0; o < outer; o++) {
        System.arraycopy(dy, o * rowOut + offset, dx, o * row, row);
      }
      s.copyFrom(dx);
      offset += row;
    }
  }
}
