package dev.fovea.data.idx;

import dev.fovea.data.DataException;
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
 * check failure is a {@link DataException} naming the file.
 */
public final class IdxReader {
  /** Magic of an IDX file of unsigned-byte images {@code (count, rows, cols)}. */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** Magic of an IDX file of unsigned-byte labels {@code (count)}. */
  public static final int LABELS_MAGIC = 0x00000801;

  private IdxReader() {}

  /** Images of an IDX file: {@code count} images of {@code rows × cols} unsigned bytes. */
  public record Images(int count, int rows, int cols, byte[] pixels) {}

  /** Reads an image file; {@code name} is used in error messages. */
  public static Images readImages(InputStream raw, String name) {
    try (DataInputStream in = open(raw)) {
      int magic = header(in, name, "magic number");
      if (magic != IMAGES_MAGIC) {
        throw new DataException(name + ": wrong magic number " + hex(magic) + ", expected " + hex(IMAGES_MAGIC)
            + " (IDX unsigned-byte images)");
      }
      int count = header(in, name, "image count");
      int rows = header(in, name, "row count");
      int cols = header(in, name, "column count");
      if (count < 0 || rows <= 0 || cols <= 0 || (long) count * rows * cols > Integer.MAX_VALUE - 16) {
        throw new DataException(name + ": implausible dimensions " + count + " x " + rows + " x " + cols);
      }
      byte[] pixels = new byte[count * rows * cols];
      readBody(in, pixels, name, count + " images of " + rows + "x" + cols);
      return new Images(count, rows, cols, pixels);
    } catch (IOException e) {
      throw new DataException(name + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Reads a label file; {@code name} is used in error messages. */
  public static byte[] readLabels(InputStream raw, String name) {
    try (DataInputStream in = open(raw)) {
      int magic = header(in, name, "magic number");
      if (magic != LABELS_MAGIC) {
        throw new DataException(name + ": wrong magic number " + hex(magic) + ", expected " + hex(LABELS_MAGIC)
            + " (IDX unsigned-byte labels)");
      }
      int count = header(in, name, "label count");
      if (count < 0) {
        throw new DataException(name + ": negative label count " + count);
      }
      byte[] labels = new byte[count];
      readBody(in, labels, name, count + " labels");
      return labels;
    } catch (IOException e) {
      throw new DataException(name + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static DataInputStream open(InputStream raw) throws IOException {
    BufferedInputStream b = new BufferedInputStream(raw, 1 << 16);
    b.mark(2);
    int b0 = b.read();
    int b1 = b.read();
    b.reset();
    InputStream in = b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(b, 1 << 16), 1 << 16) : b;
    return new DataInputStream(in);
  }

  private static int header(DataInputStream in, String name, String field) throws IOException {
    try {
      return in.readInt();
    } catch (EOFException e) {
      throw new DataException(name + ": truncated: the file ends inside its header (" + field + ")");
    }
  }

  private static void readBody(DataInputStream in, byte[] dst, String name, String what) throws IOException {
    int got = 0;
    try {
      while (got < dst.length) {
        int n = in.read(dst, got, dst.length - got);
        if (n < 0) {
          break;
        }
        got += n;
      }
    } catch (EOFException e) {
      // gzip streams cut short end this way; reported below with the byte count
    }
    if (got < dst.length) {
      throw new DataException(name + ": truncated: the header promises " + what + " (" + dst.length
          + " bytes of data) but the file holds " + got);
    }
    if (in.read() >= 0) {
      throw new DataException(name + ": " + what + " are followed by unexpected trailing bytes");
    }
  }

  private static String hex(int v) {
    return String.format("0x%08x", v);
  }
}
