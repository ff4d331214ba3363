package dev.fovea.driver.ml;

import dev.fovea.data.shard.TargetSpec;
import dev.fovea.nn.Loss;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The target column of a {@link FoveaEstimator} fit and how each row's value becomes a stored
 * target of the shard format ({@link TargetSpec}): for {@code sigmoid_bce} a {@code multi_hot (K)}
 * target from an {@code array<int>} (or long, short, byte) of label indices in [0, K) or an {@code
 * array<float>}/{@code array<double>}/ML {@code Vector} of K values each 0 or 1; for {@code mse} and
 * {@code l1} a {@code float_vector (D)} target from an {@code array<float>}/{@code array<double>}/ML
 * {@code Vector} of D finite values (stored as float32); for {@code pixel_softmax_cross_entropy} a
 * {@code mask (H, W)} target from image file bytes (PNG) whose first channel is each pixel's class,
 * of one size (the first row's), as {@code fovea shard --target mask} reads mask files.
 *
 * @param stage the stage, first word of every error
 * @param column the target column
 * @param kind what the column holds
 * @param spec the stored target: kind and size
 */
record TargetColumn(String stage, String column, Kind kind, TargetSpec spec) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** What a target column holds. */
  enum Kind {
    /** Label indices of a multi-hot target. */
    INDICES,
    /** array&lt;float&gt; or array&lt;double&gt;. */
    VALUES,
    /** An ML Vector. */
    VECTOR,
    /** Image file bytes of a mask. */
    MASK
  }

  /** The losses a target column trains with (softmax cross-entropy is {@link FoveaClassifier}'s). */
  static final List<Loss> LOSSES = List.of(Loss.SIGMOID_BCE, Loss.MSE, Loss.L1, Loss.PIXEL_SOFTMAX_CROSS_ENTROPY);

  /** The loss named {@code name}, one of {@link #LOSSES}, or one line naming the ones there are. */
  static Loss loss(String stage, String name) {
    Loss l;
    try {
      l = Loss.parse(name);
    } catch (IllegalArgumentException e) {
      l = null;
    }
    if (l == null || !LOSSES.contains(l)) {
      throw new IllegalArgumentException(stage + ": loss '" + name + "' is not one of " + String.join(", ",
          LOSSES.stream().map(Loss::id).toList()) + (l == Loss.SOFTMAX_CROSS_ENTROPY ? " (use FoveaClassifier for "
          + "softmax classification)" : ""));
    }
    return l;
  }

  /**
   * What column {@code column} of {@code schema} holds, checked to fit {@code loss}.
   *
   * @throws IllegalArgumentException one line naming the stage, the column and the problem
   */
  static Kind kind(String stage, StructType schema, String column, Loss loss) {
    DataType t = Features.field(stage, schema, column).dataType();
    boolean multiHot = loss == Loss.SIGMOID_BCE;
    if (loss == Loss.PIXEL_SOFTMAX_CROSS_ENTROPY) {
      if (t.equals(DataTypes.BinaryType)) {
        return Kind.MASK;
      }
      throw new IllegalArgumentException(stage + ": column '" + column + "' is " + t.simpleString() + "; a "
          + loss.id() + " target must be binary: image file bytes (PNG) whose first channel is each pixel's class");
    }
    if (t instanceof ArrayType a) {
      DataType e = a.elementType();
      if (e.equals(DataTypes.FloatType) || e.equals(DataTypes.DoubleType)) {
        return Kind.VALUES;
      }
      if (multiHot && (e.equals(DataTypes.IntegerType) || e.equals(DataTypes.LongType)
          || e.equals(DataTypes.ShortType) || e.equals(DataTypes.ByteType))) {
        return Kind.INDICES;
      }
    } else if (t.equals(SQLDataTypes.VectorType())) {
      return Kind.VECTOR;
    }
    throw new IllegalArgumentException(stage + ": column '" + column + "' is " + t.simpleString() + "; a "
        + loss.id() + " target must be " + (multiHot ? "array<int> of label indices, or array<float>, array<double> "
        + "or an ML Vector of 0/1 values (multi-hot)" : "array<float>, array<double> or an ML Vector of numbers"));
  }

  /**
   * The target column {@code column} of {@code df} for {@code loss}, of {@code size} values (0:
   * the first non-null row's length, or the largest label index + 1 for indices).
   */
  static TargetColumn of(String stage, Dataset<Row> df, String column, Loss loss, int size) {
    Kind kind = kind(stage, df.schema(), column, loss);
    if (size < 0) {
      throw new IllegalArgumentException(stage + ": targetSize must be >= 0, not " + size);
    }
    if (kind == Kind.MASK) {
      org.apache.spark.sql.Column c = df.col(column);
      List<Row> first = df.select(c).where(c.isNotNull()).limit(1).collectAsList();
      java.awt.image.Raster r = first.isEmpty() ? null : mask(first.get(0).get(0));
      if (r == null) {
        throw new IllegalArgumentException(stage + ": column '" + column + "': " + (first.isEmpty() ? "no mask"
            : "the first mask is not an image file") + " to take the masks' size from");
      }
      return new TargetColumn(stage, column, kind, new TargetSpec(TargetSpec.MASK, List.of(r.getHeight(),
          r.getWidth())));
    }
    if (size == 0) {
      org.apache.spark.sql.Column c = df.col(column);
      if (kind == Kind.INDICES) {
        Row max = df.agg(functions.max(functions.array_max(c))).first();
        size = max.isNullAt(0) ? 0 : (int) Math.min(Integer.MAX_VALUE, ((Number) max.get(0)).longValue() + 1);
      } else {
        List<Row> first = df.select(c).where(c.isNotNull()).limit(1).collectAsList();
        size = first.isEmpty() ? 0 : length(first.get(0).get(0));
      }
      if (size < 1) {
        throw new IllegalArgumentException(stage + ": column '" + column + "': no " + (kind == Kind.INDICES
            ? "label index" : "non-empty target") + " to take the target's size from; set targetSize");
      }
    }
    String k = loss == Loss.SIGMOID_BCE ? TargetSpec.MULTI_HOT : TargetSpec.FLOAT_VECTOR;
    return new TargetColumn(stage, column, kind, new TargetSpec(k, List.of(size)));
  }

  /** Values per target: K labels or D numbers. */
  int size() {
    return spec.size();
  }

  /** The pixels of a mask file, or null when the bytes are not an image ImageIO reads. */
  private static java.awt.image.Raster mask(Object value) {
    try {
      java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream((byte[]) value));
      return img == null ? null : img.getRaster();
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  private boolean multiHot() {
    return TargetSpec.MULTI_HOT.equals(spec.kind());
  }

  private static int length(Object value) {
    return value instanceof Vector v ? v.size() : ((scala.collection.Seq<?>) value).length();
  }

  /** The element {@code i} of an array or Vector value (null for a null array element). */
  private static Object element(Object value, int i) {
    return value instanceof Vector v ? (Object) v.apply(i) : ((scala.collection.Seq<?>) value).apply(i);
  }

  /** What is wrong with one row's value (without the row's name), or null. */
  String problem(Object value) {
    if (value == null) {
      return "null target";
    }
    if (kind == Kind.MASK) {
      java.awt.image.Raster r = mask(value);
      if (r == null) {
        return "not an image file (a mask is a PNG whose first channel is each pixel's class)";
      }
      int h = spec.shape().get(0);
      int w = spec.shape().get(1);
      return r.getHeight() == h && r.getWidth() == w ? null : "a " + r.getHeight() + "x" + r.getWidth() + " mask, "
          + "the first row's is " + h + "x" + w;
    }
    int n = length(value);
    if (kind == Kind.INDICES) {
      for (int i = 0; i < n; i++) {
        Object x = element(value, i);
        if (x == null) {
          return "label index " + i + " is null";
        }
        long l = ((Number) x).longValue();
        if (l < 0 || l >= size()) {
          return "label index " + l + " outside 0.." + (size() - 1) + " (the target has " + size() + " labels)";
        }
      }
      return null;
    }
    if (n != size()) {
      return n + " values, but the target has " + size() + " (" + (multiHot() ? "labels" : "values") + " of the "
          + "first row, or targetSize)";
    }
    for (int i = 0; i < n; i++) {
      Object x = element(value, i);
      if (x == null) {
        return "element " + i + " is null";
      }
      double v = ((Number) x).doubleValue();
      if (multiHot() && v != 0 && v != 1) {
        return "element " + i + " is " + v + ", not 0 or 1 (a multi-hot target)";
      }
      if (!multiHot() && (!Double.isFinite(v) || !Float.isFinite((float) v))) {
        return "element " + i + " is " + v + ", not a finite float";
      }
    }
    return null;
  }

  /** The stored target of a value {@link #problem} accepts ({@link TargetSpec#bytesPerSample()} bytes). */
  byte[] encode(Object value) {
    if (kind == Kind.MASK) {
      java.awt.image.Raster r = mask(value);
      int h = r.getHeight();
      int w = r.getWidth();
      byte[] b = new byte[h * w];
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          b[y * w + x] = (byte) r.getSample(x, y, 0);
        }
      }
      return b;
    }
    int n = length(value);
    if (multiHot()) {
      byte[] b = new byte[size()];
      for (int i = 0; i < n; i++) {
        Number x = (Number) element(value, i);
        if (kind == Kind.INDICES) {
          b[(int) x.longValue()] = 1;
        } else {
          b[i] = (byte) x.doubleValue();
        }
      }
      return b;
    }
    ByteBuffer b = ByteBuffer.allocate(4 * size()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      b.putFloat(4 * i, ((Number) element(value, i)).floatValue());
    }
    return b.array();
  }
}
