package dev.fovea.data.idx;

import dev.fovea.data.DataException;
import dev.fovea.kernels.Sizes;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: a big-endian magic number {@code 0x0000
 * TT RR} (TT = 0x08 for unsigned bytes, RR = number of dimensions), RR big-endian 32-bit sizes, then
 * the data. Files may be plain or gzip-compressed (detected from the content, not the name). Every
 * check failure is a {@link DataException} naming the file; counts are checked against the file's
 * length (when known) and the limits before anything is allocated.
 */
public final class IdxReader {
  /** Magic of an IDX file of unsigned-byte images {@code (count, rows, cols)}. */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** Magic of an IDX file of unsigned-byte labels {@code (count)}. */
  public static final int LABELS_MAGIC = 0x00000801;

  /** The largest row or column count accepted. */
  static final int MAX_SIDE = 1 << 16;

  private IdxReader() {}

  /** Images of an IDX file: {@code count} images of {@code rows × cols} unsigned bytes. */
  public record Images(int count, int rows, int cols, byte[] pixels) {}

  /** Reads an image file of unknown length; {@code name} is used in error messages. */
  public static Images readImages(InputStream raw, String name) {
    return readImages(raw, -1, name);
  }

  /**
   * Reads an image file; {@code length} is the file's size in bytes (-1 when unknown), checked
   * against the header's counts before anything is allocated; {@code name} is used in error messages.
   */
  public static Images readImages(InputStream raw, long length, String name) {
    try (Source in = open(raw, length)) {
      int magic = header(in, name, "magic number");
      if (magic != IMAGES_MAGIC) {
        throw new DataException(name + ": wrong magic number " + hex(magic) + ", expected " + hex(IMAGES_MAGIC)
            + " (IDX unsigned-byte images)");
      }
      int count = header(in, name, "image count");
      int rows = header(in, name, "row count");
      int cols = header(in, name, "column count");
      rows = Sizes.count(name + ": offset 8", "row count", rows, 1, Long.MAX_VALUE, MAX_SIDE, DataException::new);
      cols = Sizes.count(name + ": offset 12", "column count", cols, 1, Long.MAX_VALUE, MAX_SIDE, DataException::new);
      if (rows == 0 || cols == 0) {
        throw new DataException(name + ": offset " + (rows == 0 ? 8 : 12) + ": " + (rows == 0 ? "row" : "column")
            + " count is 0");
      }
      count = Sizes.count(name + ": offset 4", "image count", count, (long) rows * cols, in.available, Sizes.MAX_ARRAY
          / ((long) rows * cols), DataException::new);
      byte[] pixels = readBody(in, (long) count * rows * cols, name, count + " images of " + rows + "x" + cols);
      return new Images(count, rows, cols, pixels);
    } catch (IOException e) {
      throw new DataException(name + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Reads a label file of unknown length; {@code name} is used in error messages. */
  public static byte[] readLabels(InputStream raw, String name) {
    return readLabels(raw, -1, name);
  }

  /**
   * Reads a label file; {@code length} is the file's size in bytes (-1 when unknown), checked against
   * the header's count before anything is allocated; {@code name} is used in error messages.
   */
  public static byte[] readLabels(InputStream raw, long length, String name) {
    try (Source in = open(raw, length)) {
      int magic = header(in, name, "magic number");
      if (magic != LABELS_MAGIC) {
        throw new DataException(name + ": wrong magic number " + hex(magic) + ", expected " + hex(LABELS_MAGIC)
            + " (IDX unsigned-byte labels)");
      }
      int count = header(in, name, "label count");
      count = Sizes.count(name + ": offset 4", "label count", count, 1, in.available, Sizes.MAX_ARRAY,
          DataException::new);
      return readBody(in, count, name, count + " labels");
    } catch (IOException e) {
      throw new DataException(name + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** The stream, and the bytes left in it after the header when known (plain files of known length). */
  private static final class Source extends DataInputStream {
    long available;

    Source(InputStream in, long available) {
      super(in);
      this.available = available;
    }
  }

  private static Source open(InputStream raw, long length) throws IOException {
    BufferedInputStream b = new BufferedInputStream(raw, 1 << 16);
    b.mark(2);
    int b0 = b.read();
    int b1 = b.read();
    b.reset();
    boolean gzip = b0 == 0x1f && b1 == 0x8b;
    InputStream in = gzip ? new BufferedInputStream(new GZIPInputStream(b, 1 << 16), 1 << 16) : b;
    return new Source(in, gzip || length < 0 ? Long.MAX_VALUE : length);
  }

  private static int header(Source in, String name, String field) throws IOException {
    try {
      in.available -= 4;
      return in.readInt();
    } catch (EOFException e) {
      throw new DataException(name + ": truncated: the file ends inside its header (" + field + ")");
    }
  }

  /**
   * The {@code size} bytes of data after the header, allocated as they arrive (a gzip file's
   * length says nothing of what it holds), and nothing after them.
   */
  private static byte[] readBody(DataInputStream in, long size, String name, String what) throws IOException {
    byte[] data = Sizes.readAtMost(in, (int) size);
    if (data.length < size) {
      throw new DataException(name + ": truncated: the header promises " + what + " (" + size
          + " bytes of data) but the file holds " + data.length);
    }
    if (data.length > size) {
      throw new DataException(name + ": " + what + " are followed by unexpected trailing bytes");
    }
    return data;
  }

  private static String hex(int v) {
    return String.format("0x%08x", v);
  }
}
