package dev.fovea.dl4j;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** The first images and labels of Fashion-MNIST's training set (Debian's dataset-fashion-mnist), as floats in [0, 1]. */
final class FashionMnist {
  static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");

  private FashionMnist() {}

  static boolean present() {
    return Files.isRegularFile(DIR.resolve("train-images-idx3-ubyte.gz"));
  }

  /** {@code n} images (N, 1, 28, 28), row-major, pixels / 255, from image {@code from} on. */
  static float[] images(int from, int n) throws IOException {
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(
        DIR.resolve("train-images-idx3-ubyte.gz"))))) {
      if (in.readInt() != 2051) {
        throw new IOException("not an IDX image file");
      }
      in.readInt();
      in.readInt();
      in.readInt();
      in.skipNBytes((long) from * 784);
      byte[] b = new byte[n * 784];
      in.readFully(b);
      float[] x = new float[b.length];
      for (int i = 0; i < b.length; i++) {
        x[i] = (b[i] & 0xff) / 255f;
      }
      return x;
    }
  }

  /** {@code n} labels from label {@code from} on. */
  static int[] labels(int from, int n) throws IOException {
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(
        DIR.resolve("train-labels-idx1-ubyte.gz"))))) {
      if (in.readInt() != 2049) {
        throw new IOException("not an IDX label file");
      }
      in.readInt();
      in.skipNBytes(from);
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = in.readUnsignedByte();
      }
      return y;
    }
  }
}
