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
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * The pure-Java codec ({@code javax.imageio}): the fallback where OpenCV's native libraries do not
 * load, and the comparison in benchmarks. It decodes the same files to the same pixels as {@link
 * OpenCvCodec} within the tolerance stated in {@code ImageCodecTest} (PNG and BMP exactly; baseline
 * JPEG within 3 levels per sample, mean difference below 0.5), except CMYK JPEGs, which it reports
 * as bad images.
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
