package dev.fovea.data.image;

import java.awt.Graphics2D;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;

/**
 * The pure-Java codec ({@code javax.imageio}): the fallback where OpenCV's native libraries do not
 * load, and the comparison in benchmarks. It decodes the same files to the same pixels as {@link
 * OpenCvCodec} within the tolerance stated in {@code ImageCodecTest} (PNG and BMP exactly; baseline
 * JPEG within 3 levels per sample, mean difference below 0.5; CMYK and YCCK JPEGs within 1 level,
 * mean below 0.1, identical on the test's files). Four-component JPEGs are read as raw samples and
 * converted to RGB as OpenCV converts them (see {@link #decodeCmyk}).
 */
public final class ImageIoCodec implements ImageCodec {
  static {
    ImageIO.setUseCache(false);
  }

  @Override
  public String name() {
    return "javax.imageio";
  }

  @Override
  public Image decode(byte[] bytes, int channels) {
    Codecs.checkComplete(bytes);
    int adobe = fourComponentJpeg(bytes);
    if (adobe != NOT_FOUR_COMPONENT) {
      return decodeCmyk(bytes, adobe == 1 || adobe == 2, channels);
    }
    BufferedImage bi;
    try {
      bi = ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException | RuntimeException e) {
      throw new BadImageException("not a readable image: " + e.getMessage(), e);
    }
    if (bi == null) {
      throw new BadImageException("not a JPEG, PNG or BMP image");
    }
    return convert(bi, channels);
  }

  private static Image convert(BufferedImage bi, int channels) {
    int w = bi.getWidth();
    int h = bi.getHeight();
    byte[] out = new byte[w * h * channels];
    ColorModel cm = bi.getColorModel();
    Raster r = bi.getRaster();
    int colour = cm.getNumColorComponents();
    if (cm instanceof ComponentColorModel && (colour == 1 || colour == 3)
        && (cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY || cm.getColorSpace().getType() == ColorSpace.TYPE_RGB)) {
      // Raw samples, as OpenCV reads them: no colour-space conversion, 16 bits keep the high byte.
      int shift = Math.max(0, cm.getComponentSize(0) - 8);
      int bands = r.getNumBands();
      int[] row = new int[w * bands];
      for (int y = 0; y < h; y++) {
        r.getPixels(0, y, w, 1, row);
        for (int x = 0; x < w; x++) {
          int b0 = row[x * bands] >> shift;
          int o = (y * w + x) * channels;
          if (colour == 1) {
            for (int c = 0; c < channels; c++) {
              out[o + c] = (byte) b0;
            }
          } else {
            int g = row[x * bands + 1] >> shift;
            int b = row[x * bands + 2] >> shift;
            put(out, o, channels, b0, g, b);
          }
        }
      }
    } else if (colour == 3 || cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
      // Indexed and packed models (palette PNG, BMP): sRGB through getRGB.
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        bi.getRGB(0, y, w, 1, row, 0, w);
        for (int x = 0; x < w; x++) {
          int p = row[x];
          put(out, (y * w + x) * channels, channels, (p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff);
        }
      }
    } else {
      throw new BadImageException("colour space with " + colour + " components (CMYK?) needs the native codec");
    }
    return new Image(w, h, channels, out, false);
  }

  /** What {@link #fourComponentJpeg} returns for files that are not four-component JPEGs. */
  private static final int NOT_FOUR_COMPONENT = -2;

  /**
   * Whether a file is a four-component (CMYK or YCCK) JPEG, from its markers: {@link
   * #NOT_FOUR_COMPONENT} if not (or not a JPEG), else the Adobe APP14 colour transform (0, 1 or 2),
   * or -1 when there is no Adobe marker.
   */
  static int fourComponentJpeg(byte[] b) {
    if ((b[0] & 0xff) != 0xFF || (b[1] & 0xff) != 0xD8) {
      return NOT_FOUR_COMPONENT;
    }
    int transform = -1;
    int i = 2;
    while (i + 4 <= b.length) {
      if ((b[i] & 0xff) != 0xFF) {
        return NOT_FOUR_COMPONENT;
      }
      int marker = b[i + 1] & 0xff;
      if (marker == 0xFF) { // fill byte
        i++;
        continue;
      }
      int len = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
      int data = i + 4;
      if (marker == 0xEE && len >= 14 && data + 12 <= b.length && b[data] == 'A' && b[data + 1] == 'd'
          && b[data + 2] == 'o' && b[data + 3] == 'b' && b[data + 4] == 'e') {
        transform = b[data + 11] & 0xff;
      }
      boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        // precision (1), height (2), width (2), component count (1)
        return data + 5 < b.length && (b[data + 5] & 0xff) == 4 ? transform : NOT_FOUR_COMPONENT;
      }
      if (marker == 0xDA || len < 2) {
        return NOT_FOUR_COMPONENT;
      }
      i += 2 + len;
    }
    return NOT_FOUR_COMPONENT;
  }

  /**
   * A four-component JPEG converted as OpenCV converts it: libjpeg decodes YCCK to CMYK (Adobe
   * transform 1 or 2), and the stored samples are then read as Adobe (inverted) CMYK, whatever the
   * marker says, with {@code R = K - ((255 - C) K >> 8)} and likewise G from M and B from Y. ImageIO's
   * {@code readRaster} gives the stored samples; the YCC to RGB step here is libjpeg's (JFIF
   * full-range, rounded).
   */
  private static Image decodeCmyk(byte[] bytes, boolean ycck, int channels) {
    Raster r;
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> it = ImageIO.getImageReaders(in);
      if (!it.hasNext()) {
        throw new BadImageException("no JPEG reader in this JVM");
      }
      ImageReader reader = it.next();
      try {
        reader.setInput(in, true, true);
        r = reader.readRaster(0, null);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      throw new BadImageException("not a readable CMYK JPEG: " + e.getMessage(), e);
    }
    if (r.getNumBands() != 4) {
      throw new BadImageException("a four-component JPEG read as " + r.getNumBands() + " bands");
    }
    int w = r.getWidth();
    int h = r.getHeight();
    byte[] out = new byte[w * h * channels];
    int[] row = new int[w * 4];
    for (int y = 0; y < h; y++) {
      r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, row);
      for (int x = 0; x < w; x++) {
        int c = row[4 * x];
        int m = row[4 * x + 1];
        int yl = row[4 * x + 2];
        int k = row[4 * x + 3];
        if (ycck) {
          // libjpeg's ycck_cmyk_convert: C, M, Y = 255 - R, G, B of the YCC triple; K unchanged.
          int cb = m - 128;
          int cr = yl - 128;
          int red = clamp(c + (int) Math.round(1.402 * cr));
          int green = clamp(c + (int) Math.round(-0.344136 * cb - 0.714136 * cr));
          int blue = clamp(c + (int) Math.round(1.772 * cb));
          c = 255 - red;
          m = 255 - green;
          yl = 255 - blue;
        }
        put(out, (y * w + x) * channels, channels, k - ((255 - c) * k >> 8), k - ((255 - m) * k >> 8),
            k - ((255 - yl) * k >> 8));
      }
    }
    return new Image(w, h, channels, out, false);
  }

  private static int clamp(int v) {
    return v < 0 ? 0 : v > 255 ? 255 : v;
  }

  private static void put(byte[] out, int o, int channels, int r, int g, int b) {
    if (channels == 1) {
      out[o] = (byte) Codecs.grey(r, g, b);
    } else {
      out[o] = (byte) r;
      out[o + 1] = (byte) g;
      out[o + 2] = (byte) b;
    }
  }

  @Override
  public byte[] encodeJpeg(Image image, int quality) {
    BufferedImage bi = toBuffered(image);
    Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("jpeg");
    ImageWriter writer = it.next();
    try (ByteArrayOutputStream bos = new ByteArrayOutputStream();
        ImageOutputStream ios = ImageIO.createImageOutputStream(bos)) {
      ImageWriteParam p = writer.getDefaultWriteParam();
      p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality(quality / 100f);
      writer.setOutput(ios);
      writer.write(null, new IIOImage(bi, null, null), p);
      ios.flush();
      return bos.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("javax.imageio could not encode a JPEG", e);
    } finally {
      writer.dispose();
    }
  }

  @Override
  public Image resize(Image image, int width, int height) {
    BufferedImage src = toBuffered(image);
    java.awt.Image scaled = src.getScaledInstance(width, height,
        width < image.width() || height < image.height() ? java.awt.Image.SCALE_AREA_AVERAGING
            : java.awt.Image.SCALE_SMOOTH);
    BufferedImage dst = new BufferedImage(width, height,
        image.channels() == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = dst.createGraphics();
    g.drawImage(scaled, 0, 0, null);
    g.dispose();
    return convert(dst, image.channels());
  }

  /** An image as a BufferedImage (grey, or 3-byte BGR as the JPEG writer wants). */
  public static BufferedImage toBuffered(Image image) {
    Image im = image.toInterleaved();
    int w = im.width();
    int h = im.height();
    BufferedImage bi = new BufferedImage(w, h,
        im.channels() == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
    byte[] dst = ((DataBufferByte) bi.getRaster().getDataBuffer()).getData();
    byte[] p = im.pixels();
    if (im.channels() == 1) {
      System.arraycopy(p, 0, dst, 0, p.length);
    } else {
      for (int i = 0; i < w * h; i++) {
        dst[3 * i] = p[3 * i + 2];
        dst[3 * i + 1] = p[3 * i + 1];
        dst[3 * i + 2] = p[3 * i];
      }
    }
    return bi;
  }
}
