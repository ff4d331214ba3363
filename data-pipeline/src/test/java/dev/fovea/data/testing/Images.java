package dev.fovea.data.testing;

import dev.fovea.data.idx.IdxReader;
import dev.fovea.data.image.Image;
import dev.fovea.data.image.ImageIoCodec;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * Real images for tests, made from Fashion-MNIST: its 28×28 grey samples as they are, and RGB
 * images of any size whose channels are three different samples, bilinearly upscaled, with a little
 * seeded noise so that JPEG files have the size and entropy of photographs rather than of flat
 * drawings.
 */
public final class Images {
  private static byte[] pixels;
  private static byte[] labels;

  private Images() {}

  private static synchronized void load() {
    if (pixels != null) {
      return;
    }
    try (InputStream in = Files.newInputStream(FashionMnist.dir().resolve("t10k-images-idx3-ubyte.gz"));
        InputStream l = Files.newInputStream(FashionMnist.dir().resolve("t10k-labels-idx1-ubyte.gz"))) {
      pixels = IdxReader.readImages(in, "t10k").pixels();
      labels = IdxReader.readLabels(l, "t10k");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Test sample i's class. */
  public static int label(int i) {
    load();
    return labels[i];
  }

  /** Test sample i as a 28×28 grey image. */
  public static Image grey(int i) {
    load();
    byte[] p = new byte[784];
    System.arraycopy(pixels, i * 784, p, 0, 784);
    return new Image(28, 28, 1, p, false);
  }

  /** A w×h RGB image from samples i, i+1, i+2, upscaled bilinearly, plus noise of ±{@code noise}. */
  public static Image rgb(int i, int w, int h, int noise) {
    load();
    byte[] out = new byte[w * h * 3];
    SplittableRandom rng = new SplittableRandom(i);
    for (int y = 0; y < h; y++) {
      double sy = Math.min(Math.max((y + 0.5) * 28.0 / h - 0.5, 0), 27);
      int y0 = (int) sy;
      int y1 = Math.min(y0 + 1, 27);
      double fy = sy - y0;
      for (int x = 0; x < w; x++) {
        double sx = Math.min(Math.max((x + 0.5) * 28.0 / w - 0.5, 0), 27);
        int x0 = (int) sx;
        int x1 = Math.min(x0 + 1, 27);
        double fx = sx - x0;
        for (int c = 0; c < 3; c++) {
          int b = ((i + c) % 10000) * 784;
          double v = (1 - fy) * ((1 - fx) * (pixels[b + y0 * 28 + x0] & 0xff) + fx * (pixels[b + y0 * 28 + x1] & 0xff))
              + fy * ((1 - fx) * (pixels[b + y1 * 28 + x0] & 0xff) + fx * (pixels[b + y1 * 28 + x1] & 0xff));
          v += noise == 0 ? 0 : rng.nextInt(2 * noise + 1) - noise;
          out[(y * w + x) * 3 + c] = (byte) Math.min(255, Math.max(0, Math.round(v)));
        }
      }
    }
    return new Image(w, h, 3, out, false);
  }

  /** The image as a file of {@code format} ("png", "bmp" or "jpg" at ImageIO's default quality 75). */
  public static byte[] file(Image img, String format) {
    return file(ImageIoCodec.toBuffered(img), format);
  }

  public static byte[] file(BufferedImage bi, String format) {
    try (ByteArrayOutputStream bos = new ByteArrayOutputStream()) {
      if (!ImageIO.write(bi, format, bos)) {
        throw new IllegalStateException("no ImageIO writer for " + format);
      }
      return bos.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code file} (a small PNG, JPEG or BMP) with its header changed to declare {@code width × height}
   * pixels, everything else as it was: PNG's IHDR (and its CRC), JPEG's frame header, BMP's info
   * header. A few hundred bytes that a decoder without a pixel budget would expand to gigabytes.
   */
  public static byte[] declaring(byte[] file, int width, int height) {
    byte[] b = file.clone();
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
    if ((b[0] & 0xff) == 0x89) {
      bb.putInt(16, width).putInt(20, height);
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      crc.update(b, 12, 17);
      bb.putInt(29, (int) crc.getValue());
    } else if ((b[0] & 0xff) == 0xFF) {
      int i = 2;
      while ((b[i + 1] & 0xff) < 0xC0 || (b[i + 1] & 0xff) > 0xC3) {
        i += 2 + ((b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff));
      }
      bb.putShort(i + 5, (short) height).putShort(i + 7, (short) width);
    } else {
      bb.order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(18, width).putInt(22, height);
    }
    return b;
  }
}
