package dev.fovea.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.Images;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The native and the pure-Java codec on real images. Stated tolerance: PNG and BMP decode to
 * identical pixels; a baseline JPEG decodes to samples at most 3 apart with a mean absolute
 * difference under 0.5 (libjpeg-turbo and ImageIO's libjpeg 6b share the integer IDCT but round
 * the chroma upsampling differently); a CMYK or YCCK JPEG decodes to samples at most 1 apart with
 * a mean under 0.1 (identical on the files tested).
 */
class ImageCodecTest {
  static final ImageCodec NATIVE = Codecs.nativeOrNull();
  static final ImageCodec JAVA = new ImageIoCodec();

  @Test
  void nativeCodecLoadsHere() {
    assertNotNull(NATIVE, "OpenCV's native libraries must load on linux-x86_64");
    assertEquals("opencv-libjpeg-turbo", Codecs.best().name());
  }

  @Test
  void pngAndBmpDecodeIdenticallyInBothCodecs() {
    for (int i = 0; i < 20; i++) {
      for (Image img : new Image[] {Images.grey(i), Images.rgb(i, 40, 30, 10)}) {
        for (String fmt : new String[] {"png", "bmp"}) {
          byte[] f = Images.file(img, fmt);
          int c = img.channels();
          assertArrayEquals(img.pixels(), NATIVE.decode(f, c).toInterleaved().pixels(), fmt + " native " + i);
          assertArrayEquals(img.pixels(), JAVA.decode(f, c).pixels(), fmt + " imageio " + i);
        }
      }
    }
  }

  @Test
  void jpegDecodesWithinTheStatedTolerance() {
    PixelDifference diff = new PixelDifference();
    for (int i = 0; i < 20; i++) {
      for (Image img : new Image[] {Images.grey(i), Images.rgb(i, 300, 256, 8)}) {
        for (byte[] f : new byte[][] {Images.file(img, "jpg"), NATIVE.encodeJpeg(img, 90)}) {
          diff.add(NATIVE.decode(f, img.channels()).toInterleaved().pixels(), JAVA.decode(f, img.channels()).pixels());
        }
      }
    }
    assertTrue(diff.max <= 3 && diff.mean() < 0.5, diff.toString());
  }

  @Test
  void conversionsToTheModelsChannels() {
    Image rgb = Images.rgb(3, 32, 24, 0);
    byte[] png = Images.file(rgb, "png");
    // colour to grey: OpenCV's fixed-point weights in both codecs
    assertArrayEquals(NATIVE.decode(png, 1).toInterleaved().pixels(), JAVA.decode(png, 1).pixels());
    byte[] p = rgb.pixels();
    assertEquals(Codecs.grey(p[0] & 0xff, p[1] & 0xff, p[2] & 0xff), JAVA.decode(png, 1).pixels()[0] & 0xff);
    // grey to RGB: replicated
    Image g = Images.grey(5);
    Image g3 = NATIVE.decode(Images.file(g, "png"), 3).toInterleaved();
    for (int k = 0; k < 784; k++) {
      assertEquals(g.pixels()[k], g3.pixels()[3 * k + 2]);
    }
    assertArrayEquals(g3.pixels(), JAVA.decode(Images.file(g, "png"), 3).pixels());
    // RGBA: alpha dropped, not composited
    BufferedImage rgba = new BufferedImage(32, 24, BufferedImage.TYPE_4BYTE_ABGR);
    WritableRaster r = rgba.getRaster();
    for (int y = 0; y < 24; y++) {
      for (int x = 0; x < 32; x++) {
        int o = (y * 32 + x) * 3;
        r.setPixel(x, y, new int[] {p[o] & 0xff, p[o + 1] & 0xff, p[o + 2] & 0xff, (x * 8) & 0xff});
      }
    }
    byte[] rgbaPng = Images.file(rgba, "png");
    assertArrayEquals(p, NATIVE.decode(rgbaPng, 3).toInterleaved().pixels());
    assertArrayEquals(p, JAVA.decode(rgbaPng, 3).pixels());
    // 16-bit grey: the high byte
    BufferedImage g16 = new BufferedImage(28, 28, BufferedImage.TYPE_USHORT_GRAY);
    for (int k = 0; k < 784; k++) {
      int v = g.pixels()[k] & 0xff;
      g16.getRaster().setSample(k % 28, k / 28, 0, v * 256 + 77);
    }
    byte[] png16 = Images.file(g16, "png");
    assertArrayEquals(g.pixels(), NATIVE.decode(png16, 1).toInterleaved().pixels());
    assertArrayEquals(g.pixels(), JAVA.decode(png16, 1).pixels());
  }

  @Test
  void corruptAndTruncatedFilesAreBadImages() {
    byte[] jpg = NATIVE.encodeJpeg(Images.rgb(1, 64, 64, 8), 90);
    byte[] png = Images.file(Images.grey(1), "png");
    byte[][] bad = {
      Arrays.copyOf(jpg, jpg.length / 2), Arrays.copyOf(png, png.length - 20), "not an image at all".getBytes(),
      new byte[3]
    };
    for (byte[] b : bad) {
      assertThrows(ImageCodec.BadImageException.class, () -> NATIVE.decode(b, 3));
      assertThrows(ImageCodec.BadImageException.class, () -> JAVA.decode(b, 3));
    }
  }

  @Test
  void imagesDeclaringMoreThanThePixelBudgetAreRefusedBeforeDecoding() {
    Image small = Images.rgb(1, 8, 8, 0);
    byte[][] files = {
      Images.declaring(Images.file(small, "png"), 20000, 20000),
      Images.declaring(NATIVE.encodeJpeg(small, 90), 20000, 20000),
      Images.declaring(Images.file(small, "bmp"), 20000, 20000)
    };
    for (byte[] f : files) {
      assertTrue(f.length < 1000, f.length + " bytes");
      for (ImageCodec codec : new ImageCodec[] {NATIVE, JAVA}) {
        ImageCodec.BadImageException e = assertThrows(ImageCodec.BadImageException.class, () -> codec.decode(f, 3));
        assertEquals("declares 20000 x 20000 pixels, over the budget of 100000000", e.getMessage());
      }
    }
    // Within the budget the same header change is what the decoder then sees (and refuses as corrupt).
    assertThrows(ImageCodec.BadImageException.class,
        () -> NATIVE.decode(Images.declaring(Images.file(small, "png"), 9, 8), 3));
  }

  @Test
  void aTruncatedJpegIsAnErrorNotAGreyImage() {
    byte[] jpg = NATIVE.encodeJpeg(Images.rgb(2, 64, 64, 8), 90);
    for (ImageCodec codec : new ImageCodec[] {NATIVE, JAVA}) {
      ImageCodec.BadImageException e = assertThrows(ImageCodec.BadImageException.class,
          () -> codec.decode(Arrays.copyOf(jpg, jpg.length * 2 / 3), 3));
      assertEquals("truncated JPEG (no end-of-image marker)", e.getMessage());
    }
  }

  @Test
  void otherFormatsAreNotHandedToTheDecoder() {
    // OpenCV would decode TIFF, WebP, PNM and more, each with its own header: only JPEG, PNG and BMP pass.
    byte[] pnm = "P5\n20000 20000\n255\n\0\0\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertEquals("not a JPEG, PNG or BMP image",
        assertThrows(ImageCodec.BadImageException.class, () -> NATIVE.decode(pnm, 1)).getMessage());
  }

  /**
   * Four-component JPEGs: plain CMYK as ImageIO writes a 4-band raster (no Adobe marker), the same
   * with an Adobe APP14 marker (transform 0, as Photoshop writes inverted CMYK), and YCCK (transform
   * 2). Both codecs convert them to RGB and grey and agree within 1 level per sample, mean
   * difference below 0.1 (measured on these files: max 0, mean 0, identical pixels, since ImageIO
   * writes four-component JPEGs without chroma subsampling, where both libjpegs' integer IDCTs
   * agree); both are within 3 levels on average of the colour encoded.
   */
  @Test
  void cmykJpegsDecodeAlikeInBothCodecs() throws java.io.IOException {
    PixelDifference diff = new PixelDifference();
    for (int i = 0; i < 6; i++) {
      Image g = Images.rgb(i, 40, 30, 8);
      for (int kind = 0; kind < 3; kind++) {
        byte[] cmyk = cmykJpeg(g, i, kind);
        for (int channels : new int[] {3, 1}) {
          byte[] a = NATIVE.decode(cmyk, channels).toInterleaved().pixels();
          Image j = JAVA.decode(cmyk, channels);
          assertEquals(40, j.width());
          assertEquals(30, j.height());
          byte[] b = j.pixels();
          assertEquals(a.length, b.length);
          if (channels == 3) {
            // and both are near the colour encoded, R = C·K/255 (JPEG loss only)
            double err = 0;
            for (int y = 0; y < 30; y++) {
              for (int x = 0; x < 40; x++) {
                int k = cmykSample(g, i, 3, y, x);
                for (int c = 0; c < 3; c++) {
                  err += Math.abs(j.get(c, y, x) - cmykSample(g, i, c, y, x) * k / 255.0);
                }
              }
            }
            err /= 40 * 30 * 3;
            assertTrue(err < 3, "kind " + kind + ": mean error " + err + " from the encoded colour");
          }
          diff.add(a, b);
        }
      }
    }
    assertTrue(diff.max <= 1 && diff.mean() < 0.1, diff.toString());
    // Four-component headers without their scan, or cut short, are bad images in both codecs.
    byte[] cmyk = cmykJpeg(Images.rgb(1, 40, 30, 8), 1, 1);
    int sos = 2;
    while (!((cmyk[sos] & 0xff) == 0xFF && (cmyk[sos + 1] & 0xff) == 0xDA)) {
      sos += 2 + (((cmyk[sos + 2] & 0xff) << 8) | (cmyk[sos + 3] & 0xff));
    }
    byte[] noScan = Arrays.copyOf(cmyk, sos + 2);
    noScan[sos + 1] = (byte) 0xD9;
    for (byte[] bad : new byte[][] {noScan, Arrays.copyOf(cmyk, cmyk.length / 2)}) {
      assertThrows(ImageCodec.BadImageException.class, () -> NATIVE.decode(bad, 3));
      assertThrows(ImageCodec.BadImageException.class, () -> JAVA.decode(bad, 3));
    }
  }

  /**
   * A 40×30 four-component JPEG from an RGB image: kind 0 is plain CMYK as ImageIO writes a 4-band
   * raster (no Adobe marker), kind 1 the same samples under an Adobe marker with transform 0, kind
   * 2 YCCK under transform 2. The samples are Adobe (inverted) CMYK, decoded as R = C·K/255 and so
   * on: C is the image's red, M its inverted green, Y a gradient, K a ramp that varies with the
   * seed; {@link #cmykSample} gives them.
   */
  static byte[] cmykJpeg(Image rgb, int seed, int kind) throws java.io.IOException {
    WritableRaster r = java.awt.image.Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, 40, 30, 4,
        null);
    for (int y = 0; y < 30; y++) {
      for (int x = 0; x < 40; x++) {
        int k = cmykSample(rgb, seed, 3, y, x);
        int c = cmykSample(rgb, seed, 0, y, x);
        int m = cmykSample(rgb, seed, 1, y, x);
        int ye = cmykSample(rgb, seed, 2, y, x);
        if (kind == 2) {
          // libjpeg's CMYK to YCCK: YCbCr of (255 - C, 255 - M, 255 - Y).
          double rr = 255 - c;
          double gg = 255 - m;
          double bb = 255 - ye;
          c = clamp(Math.round(0.299 * rr + 0.587 * gg + 0.114 * bb));
          m = clamp(Math.round(128 - 0.168736 * rr - 0.331264 * gg + 0.5 * bb));
          ye = clamp(Math.round(128 + 0.5 * rr - 0.418688 * gg - 0.081312 * bb));
        }
        r.setPixel(x, y, new int[] {c, m, ye, k});
      }
    }
    javax.imageio.ImageWriter w = javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
    java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
    try (javax.imageio.stream.ImageOutputStream ios = javax.imageio.ImageIO.createImageOutputStream(bos)) {
      w.setOutput(ios);
      javax.imageio.ImageWriteParam p = w.getDefaultWriteParam();
      p.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality(0.95f);
      w.write(null, new javax.imageio.IIOImage(r, null, null), p);
    } finally {
      w.dispose();
    }
    byte[] f = bos.toByteArray();
    if (kind == 0) {
      return f;
    }
    // Splice an Adobe APP14 segment after SOI: "Adobe", version 100, flags 0 and 0, transform.
    byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0,
      (byte) (kind == 1 ? 0 : 2)};
    byte[] out = new byte[f.length + app14.length];
    System.arraycopy(f, 0, out, 0, 2);
    System.arraycopy(app14, 0, out, 2, app14.length);
    System.arraycopy(f, 2, out, 2 + app14.length, f.length - 2);
    return out;
  }

  /** Stored (inverted) CMYK sample {@code band} (0 to 3: C, M, Y, K) of {@link #cmykJpeg}. */
  static int cmykSample(Image rgb, int seed, int band, int y, int x) {
    switch (band) {
      case 0:
        return rgb.get(0, y, x);
      case 1:
        return 255 - rgb.get(1, y, x);
      case 2:
        return (x * 6 + y * 4) & 255;
      default:
        return 255 - ((x * 5 + y * 3 + seed * 20) % 120);
    }
  }

  private static int clamp(long v) {
    return (int) Math.max(0, Math.min(255, v));
  }

  @Test
  void bgrImagesReadAsRgb() {
    Image rgb = Images.rgb(8, 30, 20, 0);
    Image bgr = NATIVE.decode(Images.file(rgb, "png"), 3);
    assertTrue(bgr.bgr());
    for (int c = 0; c < 3; c++) {
      assertEquals(rgb.get(c, 5, 7), bgr.get(c, 5, 7));
    }
    assertArrayEquals(rgb.toPlanar().pixels(), bgr.toPlanar().pixels());
  }

  @Test
  void encodeAndResizeRoundTrip() {
    Image img = Images.rgb(7, 320, 240, 4);
    for (ImageCodec c : new ImageCodec[] {NATIVE, JAVA}) {
      Image back = c.decode(c.encodeJpeg(img, 95), 3);
      assertEquals(320, back.width());
      Image small = c.resize(img, 160, 120);
      assertEquals(160, small.width());
      assertEquals(120, small.height());
      // area averaging: a 2×2 block's mean, within rounding
      int expect = (img.get(0, 0, 0) + img.get(0, 0, 1) + img.get(0, 1, 0) + img.get(0, 1, 1) + 2) / 4;
      assertTrue(Math.abs(small.get(0, 0, 0) - expect) <= 1, c.name() + ": " + small.get(0, 0, 0) + " vs " + expect);
    }
  }

  /** Per-sample differences between two decodings of the same files: the largest and the mean. */
  private static final class PixelDifference {
    int max;
    long sum;
    long count;

    void add(byte[] a, byte[] b) {
      assertEquals(a.length, b.length, "decoded sizes");
      for (int k = 0; k < a.length; k++) {
        int d = Math.abs((a[k] & 0xff) - (b[k] & 0xff));
        max = Math.max(max, d);
        sum += d;
        count++;
      }
    }

    double mean() {
      return (double) sum / count;
    }

    @Override
    public String toString() {
      return "max difference " + max + ", mean " + mean();
    }
  }
}
