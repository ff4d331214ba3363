package dev.fovea.data.image;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses the codec and holds the checks both codecs share. */
public final class Codecs {
  private static final Logger LOG = LoggerFactory.getLogger(Codecs.class);
  private static volatile ImageCodec best;

  private Codecs() {}

  /**
   * The native codec when OpenCV's libraries load on this machine, else {@code javax.imageio}
   * (logged once). The property {@code fovea.codec=imageio} forces the fallback.
   */
  public static ImageCodec best() {
    ImageCodec b = best;
    if (b == null) {
      synchronized (Codecs.class) {
        if (best == null) {
          best = choose();
        }
        b = best;
      }
    }
    return b;
  }

  /** The native codec, or null with the reason logged when it cannot load here. */
  public static ImageCodec nativeOrNull() {
    try {
      OpenCvCodec c = new OpenCvCodec();
      c.encodeJpeg(new Image(1, 1, 1, new byte[1], false), 90);
      return c;
    } catch (Throwable t) {
      LOG.warn("OpenCV did not load ({}); JPEG decoding falls back to javax.imageio", t.toString());
      return null;
    }
  }

  private static ImageCodec choose() {
    if ("imageio".equals(System.getProperty("fovea.codec"))) {
      return new ImageIoCodec();
    }
    ImageCodec c = nativeOrNull();
    return c != null ? c : new ImageIoCodec();
  }

  /** Whether a file name has an image extension the codecs read: jpg, jpeg, png or bmp. */
  public static boolean isImageName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png") || n.endsWith(".bmp");
  }

  /**
   * The pixel budget: the most pixels (width × height) an image may declare. Checked from the file's
   * header before decoding, so a few hundred bytes declaring 20000 × 20000 cannot cost gigabytes.
   * 100 megapixels is 300 MB decoded as RGB.
   */
  public static final long MAX_PIXELS = 100_000_000L;

  /**
   * Checks a file before any decoder sees it: it must be a JPEG, PNG or BMP (by its first bytes),
   * declare its size in a header this reads (JPEG's frame header, PNG's IHDR, BMP's info header),
   * at most {@link #MAX_PIXELS} pixels, and be complete: truncated JPEG and PNG files, which
   * decoders otherwise fill with grey and accept with a warning, are refused (a JPEG must end with
   * its EOI marker {@code FF D9}, allowing up to 64 trailing bytes; a PNG with its {@code IEND} chunk).
   *
   * @throws ImageCodec.BadImageException naming the problem (and the declared size)
   */
  static void checkComplete(byte[] b) {
    if (b.length < 8) {
      throw new ImageCodec.BadImageException("only " + b.length + " bytes");
    }
    long[] size;
    if ((b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8) {
      int i = b.length - 2;
      while (i >= Math.max(2, b.length - 66) && !((b[i] & 0xff) == 0xFF && (b[i + 1] & 0xff) == 0xD9)) {
        i--;
      }
      if (i < Math.max(2, b.length - 66)) {
        throw new ImageCodec.BadImageException("truncated JPEG (no end-of-image marker)");
      }
      size = jpegSize(b);
    } else if ((b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      int n = b.length;
      if (n < 33 || b[n - 8] != 'I' || b[n - 7] != 'E' || b[n - 6] != 'N' || b[n - 5] != 'D') {
        throw new ImageCodec.BadImageException("truncated PNG (no IEND chunk)");
      }
      if (b[12] != 'I' || b[13] != 'H' || b[14] != 'D' || b[15] != 'R') {
        throw new ImageCodec.BadImageException("PNG without an IHDR chunk first");
      }
      size = new long[] {u32be(b, 16), u32be(b, 20)};
    } else if (b[0] == 'B' && b[1] == 'M') {
      if (b.length < 26) {
        throw new ImageCodec.BadImageException("truncated BMP header (" + b.length + " bytes)");
      }
      long header = u32le(b, 14);
      size = header == 12
          ? new long[] {(b[18] & 0xff) | (b[19] & 0xff) << 8, (b[20] & 0xff) | (b[21] & 0xff) << 8}
          : new long[] {Math.abs((long) (int) u32le(b, 18)), Math.abs((long) (int) u32le(b, 22))};
    } else {
      throw new ImageCodec.BadImageException("not a JPEG, PNG or BMP image");
    }
    if (size[0] < 1 || size[1] < 1 || size[0] * size[1] > MAX_PIXELS) {
      throw new ImageCodec.BadImageException("declares " + size[0] + " x " + size[1] + " pixels, "
          + (size[0] < 1 || size[1] < 1 ? "an empty image" : "over the budget of " + MAX_PIXELS));
    }
  }

  /** (width, height) from a JPEG's frame header (SOF0-15 but DHT, JPG and DAC), walking the segments before it. */
  private static long[] jpegSize(byte[] b) {
    int i = 2;
    while (true) {
      while (i < b.length && (b[i] & 0xff) != 0xFF) {
        i++; // bytes between segments: tolerated, as libjpeg does with a warning
      }
      while (i < b.length && (b[i] & 0xff) == 0xFF) {
        i++; // fill bytes
      }
      if (i + 2 >= b.length) {
        throw new ImageCodec.BadImageException("JPEG without a frame header");
      }
      int marker = b[i] & 0xff;
      if (marker == 0xD9 || marker == 0xDA) {
        throw new ImageCodec.BadImageException("JPEG without a frame header before its scan");
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
        i++; // stand-alone markers have no length
        continue;
      }
      int length = (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff);
      boolean frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (frame) {
        if (i + 8 >= b.length || length < 8) {
          throw new ImageCodec.BadImageException("truncated JPEG frame header");
        }
        long height = (b[i + 4] & 0xff) << 8 | (b[i + 5] & 0xff);
        long width = (b[i + 6] & 0xff) << 8 | (b[i + 7] & 0xff);
        return new long[] {width, height};
      }
      if (length < 2) {
        throw new ImageCodec.BadImageException("JPEG segment of length " + length + " at byte " + i);
      }
      i += 1 + length;
    }
  }

  private static long u32be(byte[] b, int at) {
    return (b[at] & 0xffL) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
  }

  private static long u32le(byte[] b, int at) {
    return (b[at + 3] & 0xffL) << 24 | (b[at + 2] & 0xff) << 16 | (b[at + 1] & 0xff) << 8 | (b[at] & 0xff);
  }

  /** Grey from RGB as OpenCV 4's cvtColor computes it: {@code (9798 R + 19235 G + 3735 B + 2^14) >> 15}. */
  static int grey(int r, int g, int b) {
    return (r * 9798 + g * 19235 + b * 3735 + (1 << 14)) >> 15;
  }
}
