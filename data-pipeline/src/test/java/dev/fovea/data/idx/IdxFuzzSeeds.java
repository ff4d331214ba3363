package dev.fovea.data.idx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * The generator of {@link IdxFuzzTest}'s seeds: two 3×3 images and their labels, plain and gzipped,
 * and crafted headers (a billion images of 28×28 in 16 bytes, a negative label count, a row count of
 * 2^31 - 1, a file cut short). Run from the module folder: {@code java -cp <test classpath>
 * dev.fovea.data.idx.IdxFuzzSeeds src/test/resources}.
 */
public final class IdxFuzzSeeds {
  private IdxFuzzSeeds() {}

  /** An IDX file: magic, the dimensions, then {@code data}. */
  static byte[] idx(int magic, int[] dims, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
    b.putInt(magic);
    for (int d : dims) {
      b.putInt(d);
    }
    return b.put(data).array();
  }

  static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(b);
    }
    return out.toByteArray();
  }

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0], "dev/fovea/data/idx/IdxFuzzTestInputs/idx");
    Files.createDirectories(dir);
    byte[] pixels = new byte[18];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 14);
    }
    byte[] images = idx(IdxReader.IMAGES_MAGIC, new int[] {2, 3, 3}, pixels);
    byte[] labels = idx(IdxReader.LABELS_MAGIC, new int[] {2}, new byte[] {1, 7});
    Files.write(dir.resolve("images"), images);
    Files.write(dir.resolve("labels"), labels);
    Files.write(dir.resolve("images.gz"), gzip(images));
    Files.write(dir.resolve("labels.gz"), gzip(labels));
    Files.write(dir.resolve("billion-images"), idx(IdxReader.IMAGES_MAGIC, new int[] {1_000_000_000, 28, 28},
        new byte[0]));
    Files.write(dir.resolve("negative-labels"), idx(IdxReader.LABELS_MAGIC, new int[] {-5}, new byte[0]));
    Files.write(dir.resolve("huge-rows"), idx(IdxReader.IMAGES_MAGIC, new int[] {1, Integer.MAX_VALUE, 1},
        new byte[4]));
    Files.write(dir.resolve("truncated"), java.util.Arrays.copyOf(images, 20));
  }
}
