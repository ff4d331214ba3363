package dev.fovea.kernels;

import java.util.Arrays;

/**
 * An immutable tensor shape. Fovea is NCHW: a batch of images is {@code (N, C, H, W)}, a batch of
 * volumes {@code (N, C, D, H, W)}, a batch of sequences {@code (N, C, W)}, a batch of vectors
 * {@code (N, K)}. The last dimension varies fastest in memory (row-major).
 */
public final class Shape {
  private final int[] dims;

  private Shape(int[] dims) {
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        throw new IllegalArgumentException("shape " + Arrays.toString(dims) + ": dimension " + i + " is negative");
      }
    }
    this.dims = dims;
  }

  /** A shape with the given dimensions, outermost first. */
  public static Shape of(int... dims) {
    return new Shape(dims.clone());
  }

  public int rank() {
    return dims.length;
  }

  public int dim(int axis) {
    return dims[axis < 0 ? dims.length + axis : axis];
  }

  /** A copy of the dimensions. */
  public int[] dims() {
    return dims.clone();
  }

  /**
   * The number of elements, exactly; an {@code IllegalArgumentException} naming the shape when it
   * does not fit in an int (a Java array's limit).
   */
  public int size() {
    return count(0);
  }

  /** The number of elements of one sample: the size without the leading batch dimension. */
  public int sampleSize() {
    return count(1);
  }

  private int count(int from) {
    long n = 1;
    for (int i = from; i < dims.length; i++) {
      n *= dims[i];
      // Dimensions are ints, so a running product below 2^31 times one of them never overflows a long.
      if (n > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("shape " + this + " has more elements than a Java array holds ("
            + "the product of " + (from == 0 ? "its dimensions" : "its dimensions after the first")
            + " exceeds " + Integer.MAX_VALUE + ")");
      }
    }
    return (int) n;
  }

  /** This shape with dimension 0 (the batch) replaced. */
  public Shape withBatch(int n) {
    int[] d = dims.clone();
    d[0] = n;
    return new Shape(d);
  }

  /** This shape with a batch dimension {@code n} prepended. */
  public Shape prepend(int n) {
    int[] d = new int[dims.length + 1];
    d[0] = n;
    System.arraycopy(dims, 0, d, 1, dims.length);
    return new Shape(d);
  }

  /** This shape without its leading (batch) dimension. */
  public Shape dropFirst() {
    return new Shape(Arrays.copyOfRange(dims, 1, dims.length));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("(");
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append(dims[i]);
    }
    return b.append(')').toString();
  }
}
