package dev.fovea.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.data.testing.Images;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The Java decoder of plain PNG files against OpenCV's: identical pixels (and channel order) on
 * Fashion-MNIST images and noisy RGB images of several sizes, as ImageIO writes them (row filter 0
 * only) and as written here with the rows' filters cycling through all five; null for every file it
 * does not read itself, and the same refusal for a file the shared checks refuse.
 */
class PlainPngTest {
  private static final ImageCodec NATIVE = Codecs.nativeOrNull();

  @Test
  void decodesAsOpenCvDoes() {
    assertNotNull(NATIVE, "OpenCV's native libraries must load on linux-x86_64");
    int[] filters = new int[5];
    for (int i = 0; i < 300; i++) {
      Image img = i % 3 == 0 ? Images.rgb(i, 17 + i % 40, 9 + i % 23, i % 20) : Images.grey(i);
      for (byte[] f : new byte[][] {Images.file(img, "png"), filtered(img)}) {
        countFilters(f, filters);
        for (int c : new int[] {1, 3}) {
        Image mine = PlainPng.decode(f, c);
        assertNotNull(mine, "image " + i + " is a plain PNG");
        Image cv = NATIVE.decode(f, c);
        assertEquals(cv.bgr(), mine.bgr(), "image " + i + " channel order");
        assertEquals(cv.width(), mine.width());
        assertEquals(cv.height(), mine.height());
        assertArrayEquals(cv.pixels(), mine.pixels(), "image " + i + " as " + c + " channels");
        }
      }
    }
    for (int k = 0; k < 5; k++) {
      assertEquals(true, filters[k] > 0, "rows with filter " + k + ": " + Arrays.toString(filters));
    }
  }

  @Test
  void leavesEveryOtherFileToTheCodec() throws Exception {
    Image rgb = Images.rgb(1, 20, 10, 5);
    byte[] png = Images.file(rgb, "png");
    // alpha, 16 bits, a palette: not plain
    assertNull(PlainPng.decode(Images.file(new BufferedImage(8, 8, BufferedImage.TYPE_4BYTE_ABGR), "png"), 3));
    assertNull(PlainPng.decode(Images.file(new BufferedImage(8, 8, BufferedImage.TYPE_USHORT_GRAY), "png"), 1));
    assertNull(PlainPng.decode(Images.file(new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_BINARY), "png"), 1));
    // interlaced (Adam7)
    assertNull(PlainPng.decode(interlaced(ImageIoCodec.toBuffered(rgb)), 3));
    // a gamma chunk before the data (libpng could apply it)
    assertNull(PlainPng.decode(withChunk(png, "gAMA", new byte[] {0, 0, (byte) 0xb1, (byte) 0x8f}), 3));
    // a text chunk changes nothing: still read here, the same pixels
    byte[] text = withChunk(png, "tEXt", "Comment\0fovea".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertArrayEquals(NATIVE.decode(png, 3).pixels(), PlainPng.decode(text, 3).pixels());
    // a wrong CRC in the data: the codec decides
    byte[] crc = png.clone();
    int idat = indexOf(crc, "IDAT");
    crc[idat + 6] ^= 1;
    assertNull(PlainPng.decode(crc, 3));
    // JPEG, BMP
    assertNull(PlainPng.decode(Images.file(rgb, "jpg"), 3));
    assertNull(PlainPng.decode(Images.file(rgb, "bmp"), 3));
  }

  @Test
  void refusesWhatTheSharedChecksRefuse() {
    byte[] png = Images.file(Images.grey(3), "png");
    byte[] truncated = Arrays.copyOf(png, png.length - 12);
    ImageCodec.BadImageException mine = assertThrows(ImageCodec.BadImageException.class,
        () -> PlainPng.decode(truncated, 1));
    ImageCodec.BadImageException cv = assertThrows(ImageCodec.BadImageException.class,
        () -> NATIVE.decode(truncated, 1));
    assertEquals(cv.getMessage(), mine.getMessage());
    byte[] huge = Images.declaring(png, 20_000, 20_000);
    assertEquals(assertThrows(ImageCodec.BadImageException.class, () -> NATIVE.decode(huge, 1)).getMessage(),
        assertThrows(ImageCodec.BadImageException.class, () -> PlainPng.decode(huge, 1)).getMessage());
  }

  /** Adds each row's filter type of a plain PNG to {@code counts}. */
  private static void countFilters(byte[] png, int[] counts) {
    try {
      int w = ByteBuffer.wrap(png).getInt(16);
      int stored = png[25] == 2 ? 3 : 1;
      java.util.zip.Inflater inf = new java.util.zip.Inflater();
      ByteArrayOutputStream z = new ByteArrayOutputStream();
      for (int at = 8; at < png.length; ) {
        int n = ByteBuffer.wrap(png).getInt(at);
        if (new String(png, at + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("IDAT")) {
          z.write(png, at + 8, n);
        }
        at += 12 + n;
      }
      inf.setInput(z.toByteArray());
      byte[] raw = new byte[1 << 20];
      int len = inf.inflate(raw);
      for (int at = 0; at < len; at += 1 + w * stored) {
        counts[raw[at]]++;
      }
    } catch (java.util.zip.DataFormatException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code img} (interleaved RGB or grey) as a PNG whose row y is filtered with type y % 5. */
  private static byte[] filtered(Image img) {
    int w = img.width();
    int bpp = img.channels();
    int stride = w * bpp;
    byte[] px = img.pixels();
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    for (int y = 0; y < img.height(); y++) {
      int type = y % 5;
      raw.write(type);
      for (int i = 0; i < stride; i++) {
        int x = px[y * stride + i] & 0xff;
        int a = i >= bpp ? px[y * stride + i - bpp] & 0xff : 0;
        int b = y > 0 ? px[(y - 1) * stride + i] & 0xff : 0;
        int c = i >= bpp && y > 0 ? px[(y - 1) * stride + i - bpp] & 0xff : 0;
        int pa = Math.abs(b - c);
        int pb = Math.abs(a - c);
        int pc = Math.abs(a + b - 2 * c);
        int paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        int pred = switch (type) {
          case 0 -> 0;
          case 1 -> a;
          case 2 -> b;
          case 3 -> (a + b) / 2;
          default -> paeth;
        };
        raw.write((x - pred) & 0xff);
      }
    }
    java.util.zip.Deflater d = new java.util.zip.Deflater();
    d.setInput(raw.toByteArray());
    d.finish();
    byte[] z = new byte[raw.size() * 2 + 64];
    int zn = d.deflate(z);
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(img.height()).put((byte) 8)
        .put((byte) (bpp == 3 ? 2 : 0)).put((byte) 0).put((byte) 0).put((byte) 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    chunk(out, "IHDR", ihdr.array());
    chunk(out, "IDAT", Arrays.copyOf(z, zn));
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] t = type.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(t);
    out.writeBytes(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  private static byte[] interlaced(BufferedImage img) throws Exception {
    ImageWriter w = ImageIO.getImageWritersByFormatName("png").next();
    ImageWriteParam p = w.getDefaultWriteParam();
    p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream s = new MemoryCacheImageOutputStream(out)) {
      w.setOutput(s);
      w.write(null, new IIOImage(img, null, null), p);
    }
    byte[] b = out.toByteArray();
    assertEquals(1, b[28], "the writer interlaced the file");
    return b;
  }

  /** {@code png} with a chunk inserted right after IHDR. */
  private static byte[] withChunk(byte[] png, String type, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(png.length + 12 + data.length);
    b.put(png, 0, 33);
    b.putInt(data.length);
    byte[] t = type.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    b.put(t).put(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    b.putInt((int) crc.getValue());
    b.put(png, 33, png.length - 33);
    return b.array();
  }

  private static int indexOf(byte[] b, String s) {
    byte[] t = s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    for (int i = 0; i + t.length <= b.length; i++) {
      if (Arrays.equals(b, i, i + t.length, t, 0, t.length)) {
        return i;
      }
    }
    throw new IllegalStateException(s + " not found");
  }
}
