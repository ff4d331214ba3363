package dev.fovea.driver.ml;

import dev.fovea.data.image.Codecs;
import dev.fovea.data.image.Image;
import dev.fovea.data.image.ImageCodec;
import dev.fovea.data.image.PlainPng;
import dev.fovea.driver.InputTransforms;
import dev.fovea.kernels.Shape;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The features column of a DataFrame and how one of its values becomes a network input: image file
 * bytes (JPEG, PNG, BMP; the {@code binaryFile} source's {@code content}), Spark's image struct
 * (the {@code image} source: BGR(A) or grey bytes, (H, W, C)), or an {@code array<float>},
 * {@code array<double>} or ML {@code Vector} of (C, H, W) pixel values in [0, 1].
 *
 * @param column the column's name
 * @param kind what it holds
 * @param dims (C, H, W) of an array or Vector column; null for images
 */
record Features(String column, Kind kind, int[] dims) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** (C, H, W) of an array or Vector column; null for images. */
  Shape shape() {
    return dims == null ? null : Shape.of(dims);
  }

  /** What a features column holds. */
  enum Kind {
    BYTES,
    IMAGE,
    ARRAY,
    VECTOR
  }

  /** A row whose value cannot be used: the reason, without the row's name. */
  static final class BadValue extends Exception {
    private static final long serialVersionUID = 1L;

    BadValue(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The features column {@code column} of {@code schema}.
   *
   * @param shape {@code featuresShape}: (C, H, W) for array and Vector columns, empty otherwise
   * @throws IllegalArgumentException one line naming the stage, the column and the problem
   */
  static Features of(String stage, StructType schema, String column, int[] shape) {
    StructField f = field(stage, schema, column);
    DataType t = f.dataType();
    Kind kind;
    if (t.equals(DataTypes.BinaryType)) {
      kind = Kind.BYTES;
    } else if (t instanceof StructType s && isImageStruct(s)) {
      kind = Kind.IMAGE;
    } else if (t instanceof ArrayType a && (a.elementType().equals(DataTypes.FloatType)
        || a.elementType().equals(DataTypes.DoubleType))) {
      kind = Kind.ARRAY;
    } else if (t.equals(SQLDataTypes.VectorType())) {
      kind = Kind.VECTOR;
    } else {
      throw new IllegalArgumentException(stage + ": column '" + column + "' is " + t.simpleString() + "; it must hold "
          + "image file bytes (binary, as the binaryFile source gives), Spark's image struct, array<float>, "
          + "array<double> or an ML Vector");
    }
    if (kind == Kind.ARRAY || kind == Kind.VECTOR) {
      if (shape == null || shape.length != 3 || shape[0] != 1 && shape[0] != 3 || shape[1] < 1 || shape[2] < 1) {
        throw new IllegalArgumentException(stage + ": column '" + column + "' is " + t.simpleString() + ": set "
            + "featuresShape to its (C, H, W) with C 1 or 3 (now " + Arrays.toString(shape) + ")");
      }
      return new Features(column, kind, shape.clone());
    }
    return new Features(column, kind, null);
  }

  /** The field {@code column} of {@code schema}, or one line naming the columns there are. */
  static StructField field(String stage, StructType schema, String column) {
    if (!Arrays.asList(schema.fieldNames()).contains(column)) {
      throw new IllegalArgumentException(stage + ": column '" + column + "' is missing; the DataFrame has "
          + Arrays.toString(schema.fieldNames()));
    }
    return schema.apply(column);
  }

  private static boolean isImageStruct(StructType s) {
    List<String> names = Arrays.asList(s.fieldNames());
    return names.containsAll(List.of("height", "width", "nChannels", "data"));
  }

  /**
   * The network input (C, H, W) of {@code value}, normalised, into {@code dst[off, off + C·H·W)}:
   * an image decoded to the input's channels and passed through the evaluation transform (as it
   * is at the input size, else shorter side to min(H, W) / 0.875 and the centre crop); array and
   * Vector values as they are.
   *
   * @throws BadValue for a null, undecodable or wrongly sized value
   */
  void sample(Object value, Shape input, List<Double> mean, List<Double> std, float[] dst, int off)
      throws BadValue {
    if (value == null) {
      throw new BadValue("null");
    }
    if (kind == Kind.ARRAY || kind == Kind.VECTOR) {
      normalized(value, input, mean, std, dst, off);
      return;
    }
    Image img = image(value, input.dim(0));
    InputTransforms.validation(img.height(), img.width(), input, mean, std)
        .apply(img, new SplittableRandom(0), dst, off);
  }

  /**
   * {@code value} as an image file the shard writer reads: image bytes as they are, an image struct
   * or pixel values in [0, 1] (rounded to 8 bits, as every shard stores them) as PNG.
   *
   * @param channels the channels the model is trained on (1 or 3)
   * @throws BadValue for a null, undecodable or wrongly sized value
   */
  byte[] imageFile(Object value, int channels) throws BadValue {
    if (value == null) {
      throw new BadValue("null");
    }
    if (kind == Kind.BYTES) {
      return (byte[]) value;
    }
    Image img;
    if (kind == Kind.IMAGE) {
      img = image(value, channels);
    } else {
      Shape shape = shape();
      double[] v = values(value, shape);
      byte[] p = new byte[v.length];
      for (int i = 0; i < v.length; i++) {
        p[i] = (byte) Math.round(Math.max(0, Math.min(1, v[i])) * 255);
      }
      img = new Image(shape.dim(2), shape.dim(1), shape.dim(0), p, true);
    }
    return png(img);
  }

  /**
   * An array or Vector value of {@code input}'s size, normalised per channel into {@code dst}: read
   * element by element from the Vector or the Scala sequence Spark gives (no intermediate copy).
   */
  private static void normalized(Object value, Shape input, List<Double> mean, List<Double> std, float[] dst, int off)
      throws BadValue {
    int n = input.size();
    int plane = input.dim(1) * input.dim(2);
    Vector vec = value instanceof Vector v ? v : null;
    scala.collection.Seq<?> seq = value instanceof scala.collection.Seq<?> q ? q : null;
    List<?> list = vec == null && seq == null ? (List<?>) value : null;
    int length = vec != null ? vec.size() : seq != null ? seq.length() : list.size();
    if (length != n) {
      throw new BadValue(length + " values where the shape " + input + " needs " + n);
    }
    for (int c = 0, i = 0; c < input.dim(0); c++) {
      double mu = mean.get(c);
      double sigma = std.get(c);
      for (int end = i + plane; i < end; i++) {
        double x;
        if (vec != null) {
          x = vec.apply(i);
        } else {
          Object o = seq != null ? seq.apply(i) : list.get(i);
          if (o == null) {
            throw new BadValue("element " + i + " is null");
          }
          x = ((Number) o).doubleValue();
        }
        if (!Double.isFinite(x)) {
          throw new BadValue("element " + i + " is " + x);
        }
        dst[off + i] = (float) ((x - mu) / sigma);
      }
    }
  }

  private double[] values(Object value, Shape expected) throws BadValue {
    double[] v;
    if (value instanceof Vector vec) {
      v = vec.toArray();
    } else {
      List<?> list = value instanceof List<?> l ? l : asList(value);
      v = new double[list.size()];
      for (int i = 0; i < v.length; i++) {
        Object x = list.get(i);
        if (x == null) {
          throw new BadValue("element " + i + " is null");
        }
        v[i] = ((Number) x).doubleValue();
      }
    }
    if (v.length != expected.size()) {
      throw new BadValue(v.length + " values where the shape " + expected + " needs " + expected.size());
    }
    for (int i = 0; i < v.length; i++) {
      if (!Double.isFinite(v[i])) {
        throw new BadValue("element " + i + " is " + v[i]);
      }
    }
    return v;
  }

  /** A Scala sequence as a Java list, through methods both Scala 2.12 and 2.13 have. */
  private static List<?> asList(Object value) {
    scala.collection.Seq<?> seq = (scala.collection.Seq<?>) value;
    Object[] a = new Object[seq.length()];
    for (int i = 0; i < a.length; i++) {
      a[i] = seq.apply(i);
    }
    return Arrays.asList(a);
  }

  /** An image value decoded to {@code channels} (1 or 3). */
  private Image image(Object value, int channels) throws BadValue {
    if (kind == Kind.BYTES) {
      try {
        // plain PNG files (8-bit grey or RGB, as binaryFile reads Fashion-MNIST's) in Java: the native codec's
        // call costs several times the decoding of a small image; any other file goes to the codec
        Image plain = PlainPng.decode((byte[]) value, channels);
        return plain != null ? plain : Codecs.best().decode((byte[]) value, channels);
      } catch (ImageCodec.BadImageException e) {
        throw new BadValue("cannot decode the image: " + e.getMessage());
      }
    }
    Row r = (Row) value;
    Object data = r.get(r.fieldIndex("data"));
    if (data == null) {
      throw new BadValue("the image struct has no data");
    }
    int h = r.getInt(r.fieldIndex("height"));
    int w = r.getInt(r.fieldIndex("width"));
    int n = r.getInt(r.fieldIndex("nChannels"));
    byte[] p = (byte[]) data;
    if (h < 1 || w < 1 || n != 1 && n != 3 && n != 4 || (long) h * w * n != p.length) {
      throw new BadValue("an image struct of " + h + " x " + w + " x " + n + " with " + p.length + " bytes");
    }
    if (n == 4) { // BGRA: the alpha channel is dropped, as the codecs do
      byte[] bgr = new byte[h * w * 3];
      for (int i = 0, j = 0; i < p.length; i += 4, j += 3) {
        bgr[j] = p[i];
        bgr[j + 1] = p[i + 1];
        bgr[j + 2] = p[i + 2];
      }
      p = bgr;
      n = 3;
    }
    Image img = new Image(w, h, n, p, false, n == 3);
    return withChannels(img, channels);
  }

  /** {@code img} with {@code channels} channels: grey is 0.299 R + 0.587 G + 0.114 B, as the codecs convert. */
  static Image withChannels(Image img, int channels) {
    if (img.channels() == channels) {
      return img;
    }
    int n = img.width() * img.height();
    byte[] out = new byte[n * channels];
    for (int y = 0, i = 0; y < img.height(); y++) {
      for (int x = 0; x < img.width(); x++, i++) {
        if (channels == 1) {
          out[i] = (byte) Math.round(0.299 * img.get(0, y, x) + 0.587 * img.get(1, y, x) + 0.114 * img.get(2, y, x));
        } else {
          byte g = (byte) img.get(0, y, x);
          out[3 * i] = g;
          out[3 * i + 1] = g;
          out[3 * i + 2] = g;
        }
      }
    }
    return new Image(img.width(), img.height(), channels, out, false);
  }

  /** A lossless PNG file of {@code img}. */
  static byte[] png(Image img) {
    int w = img.width();
    int h = img.height();
    int c = img.channels();
    BufferedImage b = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
    int[] px = new int[w * h * c];
    for (int y = 0, i = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int ch = 0; ch < c; ch++) {
          px[i++] = img.get(ch, y, x);
        }
      }
    }
    b.getRaster().setPixels(0, 0, w, h, px);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(b, "png", out);
    } catch (IOException e) {
      throw new IllegalStateException("PNG encoding in memory failed", e);
    }
    return out.toByteArray();
  }
}
