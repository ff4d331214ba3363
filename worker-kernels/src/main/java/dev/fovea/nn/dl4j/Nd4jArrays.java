package dev.fovea.nn.dl4j;

import dev.fovea.kernels.Sizes;
import dev.fovea.nn.ModelFile.ModelFileException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UTFDataFormatException;

/**
 * ND4J's binary form of an array ({@code Nd4j.write}), as DL4J's {@code coefficients.bin} holds the
 * flat parameter vector: two data buffers, the shape information and the values. Each buffer is
 * {@code writeUTF(allocation mode)}, its length (a 32-bit int for the legacy modes {@code HEAP},
 * {@code JAVACPP} and {@code DIRECT}, else a 64-bit long), {@code writeUTF(data type)} and the
 * elements, big-endian. The shape information is {@code (rank, shape..., stride..., extras,
 * element-wise stride, order)}, {@code 2 · rank + 4} integers, the order being {@code 'c'} or
 * {@code 'f'}.
 */
final class Nd4jArrays {
  private Nd4jArrays() {}

  /** The largest rank read: ND4J's own limit. */
  static final int MAX_RANK = 32;

  /** An array: its shape, its order ({@code 'c'} or {@code 'f'}) and its values in buffer order. */
  record Array(long[] shape, char order, float[] values) {}

  /**
   * Reads the array in {@code bytes}; {@code where} (the file and entry) is named in every error.
   * Nothing is allocated from a count before the bytes for it are known to be there, and at most
   * {@code maxValues} values are accepted.
   */
  static Array read(byte[] bytes, String where, long maxValues) throws ModelFileException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
    try {
      Header sh = header(in, bytes.length, where, "shape information");
      if (!sh.type.equals("LONG") && !sh.type.equals("INT")) {
        throw new ModelFileException(where + ": shape information of data type " + sh.type + ", expected LONG or INT");
      }
      int w = sh.type.equals("LONG") ? 8 : 4;
      int n = Sizes.count(where, "shape information length", sh.length, w, in.available(), 2 * MAX_RANK + 4,
          ModelFileException::new);
      long[] info = new long[n];
      for (int i = 0; i < n; i++) {
        info[i] = w == 8 ? in.readLong() : in.readInt();
      }
      if (n < 4 || info[0] < 0 || info[0] > MAX_RANK || n != 2 * info[0] + 4) {
        throw new ModelFileException(where + ": shape information of " + n + " values does not describe an array"
            + " (rank " + (n > 0 ? info[0] : -1) + ")");
      }
      int rank = (int) info[0];
      long[] shape = java.util.Arrays.copyOfRange(info, 1, 1 + rank);
      char order = (char) info[n - 1];
      if (order != 'c' && order != 'f') {
        throw new ModelFileException(where + ": array order " + info[n - 1] + " is neither 'c' nor 'f'");
      }
      long count = Sizes.multiply(where, "the array's shape", ModelFileException::new, shape);
      Header dh = header(in, bytes.length, where, "values");
      int each = switch (dh.type) {
        case "FLOAT" -> 4;
        case "DOUBLE" -> 8;
        default -> throw new ModelFileException(where + ": values of data type " + dh.type
            + "; Fovea reads FLOAT and DOUBLE");
      };
      if (dh.length != count) {
        throw new ModelFileException(where + ": " + dh.length + " values for an array of shape "
            + java.util.Arrays.toString(shape) + " (" + count + ")");
      }
      int m = Sizes.count(where, "value count", dh.length, each, in.available(), maxValues, ModelFileException::new);
      float[] v = new float[m];
      for (int i = 0; i < m; i++) {
        v[i] = each == 4 ? in.readFloat() : (float) in.readDouble();
      }
      return new Array(shape, order, v);
    } catch (ModelFileException e) {
      throw e;
    } catch (EOFException | UTFDataFormatException e) {
      throw new ModelFileException(where + ": truncated or corrupt ND4J array (" + e.getClass().getSimpleName()
          + ")");
    } catch (IOException e) {
      throw new ModelFileException(where + ": unreadable ND4J array: " + e.getMessage());
    }
  }

  private record Header(String mode, long length, String type) {}

  private static Header header(DataInputStream in, int size, String where, String what) throws IOException {
    String mode = in.readUTF();
    long length;
    switch (mode) {
      case "HEAP", "JAVACPP", "DIRECT" -> length = in.readInt();
      case "LONG_SHAPE", "MIXED_DATA_TYPES" -> length = in.readLong();
      default -> throw new ModelFileException(where + ": " + what + ": allocation mode '" + abbreviate(mode)
          + "' is not ND4J's (truncated or corrupt?)");
    }
    String type = in.readUTF();
    return new Header(mode, length, abbreviate(type));
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }

  /** {@code values} as ND4J writes a float array of {@code shape} in order {@code 'c'}. */
  static byte[] write(long[] shape, float[] values) {
    ByteArrayOutputStream b = new ByteArrayOutputStream(4 * values.length + 128);
    try (DataOutputStream out = new DataOutputStream(b)) {
      int rank = shape.length;
      out.writeUTF("MIXED_DATA_TYPES");
      out.writeLong(2L * rank + 4);
      out.writeUTF("LONG");
      out.writeLong(rank);
      for (long d : shape) {
        out.writeLong(d);
      }
      long stride = 1;
      long[] strides = new long[rank];
      for (int i = rank - 1; i >= 0; i--) {
        strides[i] = stride;
        stride *= shape[i];
      }
      for (long s : strides) {
        out.writeLong(s);
      }
      out.writeLong(FLOAT_EXTRAS);
      out.writeLong(1); // element-wise stride
      out.writeLong('c');
      out.writeUTF("MIXED_DATA_TYPES");
      out.writeLong(values.length);
      out.writeUTF("FLOAT");
      for (float v : values) {
        out.writeFloat(v);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e); // a byte array does not fail
    }
    return b.toByteArray();
  }

  /** The shape information's "extras" ND4J writes for a float array (its data type flag). */
  static final long FLOAT_EXTRAS = 8192;
}
