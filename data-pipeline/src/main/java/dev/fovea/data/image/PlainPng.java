package dev.fovea.data.image;

import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A decoder for the plainest PNG files only: 8-bit grey or RGB, not interlaced, no transparency
 * chunk, no colour-space chunk (gamma, sRGB, ICC profile, chromaticities), every chunk's CRC right
 * and exactly the image's data in the zlib stream. That is what most small files are (Fashion-MNIST
 * as PNG: a file of some 300 bytes), and what the native codec spends more on calling than on
 * decoding. Any other file, or anything unexpected in one, gives null: the caller decodes it with
 * {@link Codecs#best()}, which also decides whether it is bad. Where this gives an image it is the
 * one {@link OpenCvCodec} gives: the stored samples, BGR order for three channels, grey from RGB as
 * {@link Codecs#grey}.
 */
public final class PlainPng {
  /** One inflater per thread, reset for every file (creating one allocates native zlib state). */
  private static final ThreadLocal<Inflater> INFLATER = ThreadLocal.withInitial(Inflater::new);

  private PlainPng() {}

  /**
   * {@code bytes} decoded to {@code channels} (1 or 3) as {@link ImageCodec#decode} does, or null
   * when the file is not a plain PNG as described above.
   *
   * @throws ImageCodec.BadImageException as {@link Codecs#checkComplete} does, before anything else
   */
  public static Image decode(byte[] bytes, int channels) {
    Codecs.checkComplete(bytes);
    if ((bytes[0] & 0xff) != 0x89 || bytes[1] != 'P' || bytes[2] != 'N' || bytes[3] != 'G' || bytes[4] != '\r'
        || bytes[5] != '\n' || bytes[6] != 0x1a || bytes[7] != '\n' || channels != 1 && channels != 3) {
      return null;
    }
    // IHDR (checkComplete saw it first): width, height, depth 8, grey (0) or RGB (2), deflate, filter 0, no interlace
    if (u32(bytes, 8) != 13) {
      return null;
    }
    long width = u32(bytes, 16);
    long height = u32(bytes, 20);
    int type = bytes[25];
    if (bytes[24] != 8 || type != 0 && type != 2 || bytes[26] != 0 || bytes[27] != 0 || bytes[28] != 0) {
      return null;
    }
    int w = (int) width;
    int h = (int) height;
    int stored = type == 0 ? 1 : 3;
    long rowBytes = 1 + (long) w * stored;
    if (rowBytes * h > Integer.MAX_VALUE - 8) {
      return null;
    }
    // deflate expands at most 1,032-fold: a header declaring more pixels than its data can hold is
    // not plain (and must not make this allocate gigabytes for a file of a hundred bytes)
    long compressed = 0;
    for (int at = 8; at + 12 <= bytes.length; ) {
      long length = u32(bytes, at);
      if (length > bytes.length - at - 12) {
        break;
      }
      if (u32(bytes, at + 4) == IDAT) {
        compressed += length;
      }
      at += 12 + (int) length;
    }
    if (rowBytes * h > compressed * 1032 + 1024) {
      return null;
    }
    byte[] raw = new byte[(int) (rowBytes * h)];
    Inflater inflater = INFLATER.get();
    inflater.reset();
    CRC32 crc = new CRC32();
    int produced = 0;
    boolean end = false;
    try {
      for (int at = 8; !end; ) {
        if (at + 12 > bytes.length) {
          return null;
        }
        long length = u32(bytes, at);
        if (length > bytes.length - at - 12) {
          return null;
        }
        int n = (int) length;
        int kind = (int) u32(bytes, at + 4);
        crc.reset();
        crc.update(bytes, at + 4, 4 + n);
        if (crc.getValue() != u32(bytes, at + 8 + n)) {
          return null;
        }
        if (kind == IHDR) {
          if (at != 8) {
            return null;
          }
        } else if (kind == IDAT) {
          if (inflater.finished()) {
            return null; // data after the stream's end
          }
          inflater.setInput(bytes, at + 8, n);
          while (!inflater.needsInput() && !inflater.finished()) {
            int got = inflater.inflate(raw, produced, raw.length - produced);
            produced += got;
            if (got == 0 && produced == raw.length && !inflater.finished()) {
              return null; // more data than the image holds
            }
            if (got == 0 && inflater.needsDictionary()) {
              return null;
            }
          }
        } else if (kind == IEND) {
          end = true;
        } else if ((bytes[at + 4] & 0x20) == 0 || !PLAIN_ANCILLARY.contains(chunkName(bytes, at + 4))) {
          return null; // a critical chunk (PLTE) or an ancillary one that may change the pixels
        }
        at += 12 + n;
      }
      if (!inflater.finished() || produced != raw.length || inflater.getRemaining() != 0) {
        return null;
      }
    } catch (DataFormatException e) {
      return null;
    }
    return image(raw, w, h, stored, channels);
  }

  private static final int IHDR = 0x49484452;
  private static final int IDAT = 0x49444154;
  private static final int IEND = 0x49454e44;

  /** Ancillary chunks that do not change the decoded samples: text, time, physical size. */
  private static final java.util.Set<String> PLAIN_ANCILLARY = java.util.Set.of("tEXt", "zTXt", "iTXt", "tIME",
      "pHYs");

  /** The samples of the unfiltered rows, as {@code channels}: BGR for three, grey as {@link Codecs#grey}. */
  private static Image image(byte[] raw, int w, int h, int stored, int channels) {
    int stride = w * stored;
    byte[] cur = new byte[stride];
    byte[] prev = new byte[stride];
    byte[] out = new byte[w * h * channels];
    for (int y = 0; y < h; y++) {
      int at = y * (stride + 1);
      int filter = raw[at];
      if (!unfilter(filter, raw, at + 1, cur, prev, stride, stored)) {
        return null;
      }
      int o = y * w * channels;
      if (stored == channels) {
        if (channels == 1) {
          System.arraycopy(cur, 0, out, o, stride);
        } else {
          for (int x = 0; x < stride; x += 3, o += 3) {
            out[o] = cur[x + 2];
            out[o + 1] = cur[x + 1];
            out[o + 2] = cur[x];
          }
        }
      } else if (channels == 1) {
        for (int x = 0; x < stride; x += 3) {
          out[o++] = (byte) Codecs.grey(cur[x] & 0xff, cur[x + 1] & 0xff, cur[x + 2] & 0xff);
        }
      } else {
        for (int x = 0; x < stride; x++, o += 3) {
          out[o] = cur[x];
          out[o + 1] = cur[x];
          out[o + 2] = cur[x];
        }
      }
      byte[] t = prev;
      prev = cur;
      cur = t;
    }
    return new Image(w, h, channels, out, false, channels == 3);
  }

  /** Row {@code src[at, at + stride)} unfiltered into {@code cur} against the row before; false for an unknown filter. */
  private static boolean unfilter(int filter, byte[] src, int at, byte[] cur, byte[] prev, int stride, int bpp) {
    switch (filter) {
      case 0 -> System.arraycopy(src, at, cur, 0, stride);
      case 1 -> {
        for (int i = 0; i < stride; i++) {
          cur[i] = (byte) (src[at + i] + (i >= bpp ? cur[i - bpp] : 0));
        }
      }
      case 2 -> {
        for (int i = 0; i < stride; i++) {
          cur[i] = (byte) (src[at + i] + prev[i]);
        }
      }
      case 3 -> {
        for (int i = 0; i < stride; i++) {
          int left = i >= bpp ? cur[i - bpp] & 0xff : 0;
          cur[i] = (byte) (src[at + i] + ((left + (prev[i] & 0xff)) >>> 1));
        }
      }
      case 4 -> {
        for (int i = 0; i < stride; i++) {
          int a = i >= bpp ? cur[i - bpp] & 0xff : 0;
          int b = prev[i] & 0xff;
          int c = i >= bpp ? prev[i - bpp] & 0xff : 0;
          int p = a + b - c;
          int pa = Math.abs(p - a);
          int pb = Math.abs(p - b);
          int pc = Math.abs(p - c);
          int pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          cur[i] = (byte) (src[at + i] + pred);
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private static String chunkName(byte[] b, int at) {
    return new String(b, at, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static long u32(byte[] b, int at) {
    return (b[at] & 0xffL) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
  }
}
