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
 * the chroma upsampling differently).
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
    long sum = 0;
    long n = 0;
    int max = 0;
    for (int i = 0; i < 20; i++) {
      for (Image img : new Image[] {Images.grey(i), Images.rgb(i, 300, 256, 8)}) {
        for (byte[] f : new byte[][] {Images.file(img, "jpg"), NATIVE.encodeJpeg(img, 90)}) {
          byte[] a = NATIVE.decode(f, img.channels()).toInterleaved().pixels();
          byte[] b = JAVA.decode(f, img.channels()).pixels();
          for (int k = 0; k < a.length; k++) {
            int d = Math.abs((a[k] & 0xff) - (b[k] & 0xff));
            max = Math.max(max, d);
            sum += d;
            n++;
          }
        }
      }
    }
    double mean = (double) sum / n;
    assertTrue(max <= 3 && mean < 0.5, "max difference " + max + ", mean " + mean);
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

  /**
   * A four-component (CMYK) JPEG, as written by ImageIO from a 4-band raster: the native codec
   * converts it to RGB; the fallback reports it as a bad image (a stated limitation).
   */
  @Test
  void cmykJpegNeedsTheNativeCodec() throws java.io.IOException {
    java.awt.image.WritableRaster r = java.awt.image.Raster.createInterleavedRaster(
        java.awt.image.DataBuffer.TYPE_BYTE, 40, 30, 4, null);
    Image g = Images.grey(2);
    for (int y = 0; y < 30; y++) {
      for (int x = 0; x < 40; x++) {
        r.setPixel(x, y, new int[] {g.get(0, y % 28, x % 28), 255 - g.get(0, y % 28, x % 28), 60, 200});
      }
    }
    javax.imageio.ImageWriter w = javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
    java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
    try (javax.imageio.stream.ImageOutputStream ios = javax.imageio.ImageIO.createImageOutputStream(bos)) {
      w.setOutput(ios);
      w.write(null, new javax.imageio.IIOImage(r, null, null), null);
    }
    byte[] cmyk = bos.toByteArray();
    Image rgb = NATIVE.decode(cmyk, 3);
    assertEquals(40, rgb.width());
    assertEquals(30, rgb.height());
    assertEquals(1, NATIVE.decode(cmyk, 1).channels());
    assertThrows(ImageCodec.BadImageException.class, () -> JAVA.decode(cmyk, 3));
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
}
