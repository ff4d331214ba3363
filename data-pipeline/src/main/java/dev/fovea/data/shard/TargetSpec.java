package dev.fovea.data.shard;

import dev.fovea.data.DataException;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Sizes;
import java.util.List;

/**
 * What a shard set's samples are trained towards besides (or instead of) their class: the {@code
 * target} field of {@code manifest.json}. A set without one (every set written before targets
 * existed) has integer class targets, its {@code label} column; a set with one stores each sample's
 * target in a {@code target} column of {@link #bytesPerSample()} bytes.
 *
 * <table>
 *   <caption>kinds</caption>
 *   <tr><th>kind</th><th>shape</th><th>stored as</th><th>as a float tensor</th></tr>
 *   <tr><td>{@code class}</td><td>—</td><td>the {@code label} column</td><td>—</td></tr>
 *   <tr><td>{@code multi_hot}</td><td>(K)</td><td>K bytes, 0 or 1</td><td>0 or 1</td></tr>
 *   <tr><td>{@code float_vector}</td><td>(D)</td><td>D float32, little-endian</td><td>the value</td></tr>
 *   <tr><td>{@code image}</td><td>(C, H, W)</td><td>C·H·W unsigned bytes</td><td>byte / 255, in [0, 1]</td></tr>
 *   <tr><td>{@code mask}</td><td>(H, W)</td><td>H·W unsigned bytes, a class per pixel</td><td>the class</td></tr>
 * </table>
 *
 * @param kind one of {@link #KINDS}
 * @param shape the target's shape per sample (empty for {@code class})
 */
public record TargetSpec(String kind, List<Integer> shape) implements java.io.Serializable {

  public static final String CLASS = "class";
  public static final String MULTI_HOT = "multi_hot";
  public static final String FLOAT_VECTOR = "float_vector";
  public static final String IMAGE = "image";
  public static final String MASK = "mask";
  /** Every kind. */
  public static final List<String> KINDS = List.of(CLASS, MULTI_HOT, FLOAT_VECTOR, IMAGE, MASK);

  /** Integer class targets: what a manifest without a {@code target} field means. */
  public static final TargetSpec CLASSES = new TargetSpec(CLASS, List.of());

  /** Image targets of shape {@code (C, H, W)}. */
  public static TargetSpec image(int c, int h, int w) {
    return new TargetSpec(IMAGE, List.of(c, h, w));
  }

  /** The kind and shape of the set described by {@code m}: its {@code target}, or classes. */
  public static TargetSpec of(Manifest m) {
    return m.target() == null ? CLASSES : m.target();
  }

  /** Whether this is the label column's integer class. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isClass() {
    return CLASS.equals(kind);
  }

  /** The shape of one sample's target. */
  public Shape tensorShape() {
    return Shape.of(shape.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Values per sample. */
  public int size() {
    return tensorShape().size();
  }

  /** Bytes of one stored target: 4 per value for {@code float_vector}, else 1. */
  public int bytesPerSample() {
    return FLOAT_VECTOR.equals(kind) ? 4 * size() : size();
  }

  /** e.g. {@code image (1, 28, 28)} or {@code class}: how errors name it. */
  public String describe() {
    return isClass() ? "class" : kind + " " + tensorShape();
  }

  /**
   * Decodes sample targets {@code stored} (each {@link #bytesPerSample()} bytes) into {@code dst}
   * from {@code offset}, as the table above says.
   */
  public void decode(byte[] stored, float[] dst, int offset) {
    int n = size();
    if (FLOAT_VECTOR.equals(kind)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(stored).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        dst[offset + i] = b.getFloat(4 * i);
      }
    } else if (IMAGE.equals(kind)) {
      for (int i = 0; i < n; i++) {
        dst[offset + i] = (stored[i] & 0xff) / 255f;
      }
    } else {
      for (int i = 0; i < n; i++) {
        dst[offset + i] = stored[i] & 0xff;
      }
    }
  }

  /** Checks a manifest's target field; {@code where} names the file. */
  void check(String where) {
    if (kind == null || !KINDS.contains(kind)) {
      throw new DataException(where + ": target.kind " + kind + " is not one of " + KINDS);
    }
    if (shape == null || shape.contains(null)) {
      throw new DataException(where + ": target.shape must be a list of integers");
    }
    int rank = switch (kind) {
      case CLASS -> 0;
      case MULTI_HOT, FLOAT_VECTOR -> 1;
      case IMAGE -> 3;
      default -> 2;
    };
    if (shape.size() != rank) {
      throw new DataException(where + ": target.shape " + shape + " of a " + kind + " target needs " + rank
          + " dimensions");
    }
    for (int d : shape) {
      if (d < 1) {
        throw new DataException(where + ": target.shape " + shape + " has a dimension below 1");
      }
    }
    if (rank > 0) {
      Sizes.arrayLength(where, "target.shape", Sizes.MAX_ARRAY / 4, DataException::new,
          shape.stream().mapToLong(Integer::longValue).toArray());
    }
  }
}
