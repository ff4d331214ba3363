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
   * Rejects truncated JPEG and PNG files, which decoders otherwise fill with grey and accept with a
   * warning: a JPEG must end with its EOI marker ({@code FF D9}, allowing up to 64 trailing bytes),
   * a PNG with its {@code IEND} chunk.
   */
  static void checkComplete(byte[] b) {
    if (b.length < 8) {
      throw new ImageCodec.BadImageException("only " + b.length + " bytes");
    }
    if ((b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8) {
      for (int i = b.length - 2; i >= Math.max(2, b.length - 66); i--) {
        if ((b[i] & 0xff) == 0xFF && (b[i + 1] & 0xff) == 0xD9) {
          return;
        }
      }
      throw new ImageCodec.BadImageException("truncated JPEG (no end-of-image marker)");
    }
    if ((b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      int n = b.length;
      if (n < 12 || b[n - 8] != 'I' || b[n - 7] != 'E' || b[n - 6] != 'N' || b[n - 5] != 'D') {
        throw new ImageCodec.BadImageException("truncated PNG (no IEND chunk)");
      }
    }
  }

  /** Grey from RGB as OpenCV 4's cvtColor computes it: {@code (9798 R + 19235 G + 3735 B + 2^14) >> 15}. */
  static int grey(int r, int g, int b) {
    return (r * 9798 + g * 19235 + b * 3735 + (1 << 14)) >> 15;
  }
}
