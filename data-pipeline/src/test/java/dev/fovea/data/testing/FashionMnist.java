package dev.fovea.data.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.fovea.data.idx.IdxReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Real Fashion-MNIST for tests: the files of Debian's {@code dataset-fashion-mnist} package, and
 * subsets of them written as IDX files, so tests train on real data at a size that runs quickly.
 */
public final class FashionMnist {
  public static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");

  private FashionMnist() {}

  /** The installed data folder; fails the test (not skips) when the package is missing. */
  public static Path dir() {
    if (!Files.isRegularFile(DIR.resolve("train-images-idx3-ubyte.gz"))) {
      fail("Fashion-MNIST is not installed in " + DIR + ": apt-get install -y dataset-fashion-mnist");
    }
    return DIR;
  }

  /**
   * Writes the first {@code train} training and {@code test} test samples of Fashion-MNIST into a
   * folder whose name contains "fashion", as gzip-compressed IDX files; returns the folder.
   */
  public static Path subset(Path parent, int train, int test) throws IOException {
    Path out = parent.resolve("fashion-mnist-" + train + "-" + test);
    Files.createDirectories(out);
    copy("train", train, out);
    copy("t10k", test, out);
    return out;
  }

  private static void copy(String split, int n, Path out) throws IOException {
    IdxReader.Images img;
    try (InputStream in = Files.newInputStream(dir().resolve(split + "-images-idx3-ubyte.gz"))) {
      img = IdxReader.readImages(in, split);
    }
    byte[] labels;
    try (InputStream in = Files.newInputStream(dir().resolve(split + "-labels-idx1-ubyte.gz"))) {
      labels = IdxReader.readLabels(in, split);
    }
    int per = img.rows() * img.cols();
    writeImages(out.resolve(split + "-images-idx3-ubyte.gz"), n, img.rows(), img.cols(),
        java.util.Arrays.copyOf(img.pixels(), n * per));
    writeLabels(out.resolve(split + "-labels-idx1-ubyte.gz"), java.util.Arrays.copyOf(labels, n));
  }

  /**
   * Writes a tiny MNIST-layout set into {@code dir}: one black 2x2 image per training label, and
   * a test split of as many images, labelled 0; returns the folder.
   */
  public static Path tinySet(Path dir, byte[] trainLabels, int testImages) throws IOException {
    Files.createDirectories(dir);
    int n = trainLabels.length;
    writeImages(dir.resolve("train-images-idx3-ubyte.gz"), n, 2, 2, new byte[n * 4]);
    writeLabels(dir.resolve("train-labels-idx1-ubyte.gz"), trainLabels);
    writeImages(dir.resolve("t10k-images-idx3-ubyte.gz"), testImages, 2, 2, new byte[testImages * 4]);
    writeLabels(dir.resolve("t10k-labels-idx1-ubyte.gz"), new byte[testImages]);
    return dir;
  }

  public static void writeImages(Path file, int n, int rows, int cols, byte[] pixels) throws IOException {
    try (OutputStream f = Files.newOutputStream(file);
        DataOutputStream d = new DataOutputStream(new GZIPOutputStream(f))) {
      d.writeInt(IdxReader.IMAGES_MAGIC);
      d.writeInt(n);
      d.writeInt(rows);
      d.writeInt(cols);
      d.write(pixels);
    }
  }

  public static void writeLabels(Path file, byte[] labels) throws IOException {
    try (OutputStream f = Files.newOutputStream(file);
        DataOutputStream d = new DataOutputStream(new GZIPOutputStream(f))) {
      d.writeInt(IdxReader.LABELS_MAGIC);
      d.writeInt(labels.length);
      d.write(labels);
    }
  }
}
