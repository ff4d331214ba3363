package dev.fovea.kernels;

import java.util.Arrays;

/**
 * A dense row-major tensor on the Java heap: a shape and a window of a {@code float[]} (FLOAT32) or
 * a {@code double[]} (FLOAT64) starting at an offset. A tensor may be a view of a larger array; the
 * parameters of a network are views of its one flat parameter vector.
 *
 * <p>Tensors are not thread-safe; a tensor belongs to one task at a time.
 */
public final class Tensor {
  private final Shape shape;
  private final float[] floats;
  private final double[] doubles;
  private final int offset;

  private Tensor(Shape shape, float[] floats, double[] doubles, int offset) {
    int size = shape.size();
    int length = floats != null ? floats.length : doubles.length;
    if (offset < 0 || offset + size > length) {
      throw new IllegalArgumentException(
          "tensor " + shape + " at offset " + offset + " does not fit in an array of " + length);
    }
    this.shape = shape;
    this.floats = floats;
    this.doubles = doubles;
    this.offset = offset;
  }

  /** A new FLOAT32 tensor of zeros. */
  public static Tensor zeros(Shape shape) {
    return new Tensor(shape, new float[shape.size()], null, 0);
  }

  /** A new tensor of zeros of the given type. */
  public static Tensor zeros(Shape shape, DType type) {
    return type == DType.FLOAT32 ? zeros(shape) : new Tensor(shape, null, new double[shape.size()], 0);
  }

  /** A FLOAT32 view of {@code data[offset, offset + shape.size())}; writes go to {@code data}. */
  public static Tensor wrap(float[] data, int offset, Shape shape) {
    return new Tensor(shape, data, null, offset);
  }

  /** A FLOAT32 view of the whole array. */
  public static Tensor wrap(float[] data, Shape shape) {
    return new Tensor(shape, data, null, 0);
  }

  /** A FLOAT64 view of {@code data[offset, offset + shape.size())}. */
  public static Tensor wrap(double[] data, int offset, Shape shape) {
    return new Tensor(shape, null, data, offset);
  }

  /** A FLOAT64 view of the whole array. */
  public static Tensor wrap(double[] data, Shape shape) {
    return new Tensor(shape, null, data, 0);
  }

  public Shape shape() {
    return shape;
  }

  public DType dtype() {
    return floats != null ? DType.FLOAT32 : DType.FLOAT64;
  }

  public int size() {
    return shape.size();
  }

  public int offset() {
    return offset;
  }

  /** The backing array of a FLOAT32 tensor (elements start at {@link #offset()}). */
  public float[] floatArray() {
    if (floats == null) {
      throw new IllegalStateException("tensor " + shape + " is FLOAT64, not FLOAT32");
    }
    return floats;
  }

  /** The backing array of a FLOAT64 tensor (elements start at {@link #offset()}). */
  public double[] doubleArray() {
    if (doubles == null) {
      throw new IllegalStateException("tensor " + shape + " is FLOAT32, not FLOAT64");
    }
    return doubles;
  }

  /** Element {@code i} in row-major order, widened to double. */
  public double get(int i) {
    return floats != null ? floats[offset + i] : doubles[offset + i];
  }

  /** Sets element {@code i} in row-major order (rounded to float for FLOAT32). */
  public void set(int i, double value) {
    if (floats != null) {
      floats[offset + i] = (float) value;
    } else {
      doubles[offset + i] = value;
    }
  }

  /** The elements as a new double array. */
  public double[] toDoubleArray() {
    int n = size();
    double[] out = new double[n];
    if (floats != null) {
      for (int i = 0; i < n; i++) {
        out[i] = floats[offset + i];
      }
    } else {
      System.arraycopy(doubles, offset, out, 0, n);
    }
    return out;
  }

  /** The elements as a new float array. */
  public float[] toFloatArray() {
    int n = size();
    float[] out = new float[n];
    if (floats != null) {
      System.arraycopy(floats, offset, out, 0, n);
    } else {
      for (int i = 0; i < n; i++) {
        out[i] = (float) doubles[offset + i];
      }
    }
    return out;
  }

  /** Overwrites the elements with {@code values} (length {@link #size()}). */
  public void copyFrom(double[] values) {
    checkLength(values.length);
    if (floats != null) {
      for (int i = 0; i < values.length; i++) {
        floats[offset + i] = (float) values[i];
      }
    } else {
      System.arraycopy(values, 0, doubles, offset, values.length);
    }
  }

  /** Adds {@code values} (length {@link #size()}) to the elements. */
  public void addFrom(double[] values) {
    checkLength(values.length);
    if (floats != null) {
      for (int i = 0; i < values.length; i++) {
        floats[offset + i] += (float) values[i];
      }
    } else {
      for (int i = 0; i < values.length; i++) {
        doubles[offset + i] += values[i];
      }
    }
  }

  /** Overwrites the elements with those of {@code other} (same size, any type). */
  public void copyFrom(Tensor other) {
    checkLength(other.size());
    if (floats != null && other.floats != null) {
      System.arraycopy(other.floats, other.offset, floats, offset, size());
    } else {
      copyFrom(other.toDoubleArray());
    }
  }

  /** Sets every element to zero. */
  public void zero() {
    if (floats != null) {
      Arrays.fill(floats, offset, offset + size(), 0f);
    } else {
      Arrays.fill(doubles, offset, offset + size(), 0d);
    }
  }

  /** A view of the same elements with another shape of the same size. */
  public Tensor reshape(Shape newShape) {
    if (newShape.size() != shape.size()) {
      throw new IllegalArgumentException("cannot reshape " + shape + " to " + newShape + ": sizes differ");
    }
    return new Tensor(newShape, floats, doubles, offset);
  }

  /** A view of samples {@code [from, to)} along dimension 0. */
  public Tensor slice(int from, int to) {
    int n = shape.dim(0);
    if (from < 0 || to > n || from > to) {
      throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of " + shape);
    }
    int per = n == 0 ? 0 : shape.size() / n;
    return new Tensor(shape.withBatch(to - from), floats, doubles, offset + from * per);
  }

  private void checkLength(int n) {
    if (n != size()) {
      throw new IllegalArgumentException("tensor " + shape + " has " + size() + " elements, got " + n);
    }
  }

  @Override
  public String toString() {
    return "Tensor" + shape + " " + dtype();
  }
}
