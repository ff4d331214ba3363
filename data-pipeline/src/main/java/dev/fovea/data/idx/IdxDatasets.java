package dev.fovea.data.idx;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import dev.fovea.kernels.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Finds and loads an MNIST-layout directory: {@code train-images-idx3-ubyte}, {@code
 * train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, each
 * optionally with {@code .gz}. Any Hadoop file system path works.
 */
public final class IdxDatasets {
  /** Fashion-MNIST's class names, in label order. */
  public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
      "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  private IdxDatasets() {}

  /** The split of an MNIST-layout directory. */
  public enum Split {
    TRAIN("train"),
    TEST("t10k");

    private final String prefix;

    Split(String prefix) {
      this.prefix = prefix;
    }
  }

  /** Between the images file and the labels file in the {@code source} of a loaded dataset. */
  private static final String SOURCE_SEPARATOR = " + ";

  /**
   * The folder a dataset loaded by {@link #load} was read from, given its {@code source} (as a
   * shard manifest records it); null when {@code source} is not one of this class's.
   */
  public static Path folderOf(String source) {
    if (source == null) {
      return null;
    }
    int at = source.indexOf(SOURCE_SEPARATOR);
    if (at < 0) {
      return null;
    }
    try {
      return new Path(source.substring(0, at)).getParent();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Loads one split from {@code dir}.
   *
   * @throws DataException when the directory or a file is missing, or a file is malformed, or the
   *     image and label counts differ
   */
  public static ImageDataset load(String dir, Split split, Configuration conf) {
    try {
      Path d = new Path(dir);
      FileSystem fs = d.getFileSystem(conf);
      if (!fs.exists(d)) {
        throw new DataException(dir + ": data directory does not exist");
      }
      if (!fs.getFileStatus(d).isDirectory()) {
        throw new DataException(dir + ": is not a directory");
      }
      Path images = find(fs, d, split.prefix + "-images-idx3-ubyte");
      Path labels = find(fs, d, split.prefix + "-labels-idx1-ubyte");
      IdxReader.Images img;
      try (InputStream in = fs.open(images)) {
        img = IdxReader.readImages(in, fs.getFileStatus(images).getLen(), images.toString());
      }
      byte[] lab;
      try (InputStream in = fs.open(labels)) {
        lab = IdxReader.readLabels(in, fs.getFileStatus(labels).getLen(), labels.toString());
      }
      if (lab.length != img.count()) {
        throw new DataException(labels + ": holds " + lab.length + " labels but " + images + " holds "
            + img.count() + " images");
      }
      int[] l = new int[lab.length];
      for (int i = 0; i < l.length; i++) {
        l[i] = lab[i] & 0xff;
      }
      List<String> classes = classNames(dir, checkLabels(labels.toString(), l, isFashion(dir)));
      String name = d.getName() + "/" + split.name().toLowerCase(java.util.Locale.ROOT);
      return new ImageDataset(name, Shape.of(1, img.rows(), img.cols()), classes, img.pixels(), l,
          images + SOURCE_SEPARATOR + labels);
    } catch (IOException e) {
      throw new DataException(dir + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static Path find(FileSystem fs, Path dir, String base) throws IOException {
    for (String candidate : new String[] {base, base + ".gz"}) {
      Path p = new Path(dir, candidate);
      if (fs.exists(p)) {
        return p;
      }
    }
    throw new DataException(dir + ": missing " + base + " (or " + base + ".gz)");
  }

  private static boolean isFashion(String dir) {
    return dir.toLowerCase(java.util.Locale.ROOT).contains("fashion");
  }

  /** Bytes before the first label of an IDX labels file: magic number and count. */
  private static final int LABELS_HEADER = 8;

  /**
   * Checks an IDX file's labels and returns the number of classes they span (at least 10). Classes
   * 0 to 9 may be absent (a small split, or a set counting from 1); from 10 up every label value up
   * to the largest must occur, so one damaged byte cannot add classes no sample has: {@code 200}
   * among labels 0 to 9 would make 201 classes. A Fashion-MNIST folder has exactly 10.
   *
   * @throws DataException naming the file, the first offending row (and its byte offset) and value
   */
  static int checkLabels(String file, int[] labels, boolean fashion) {
    boolean[] seen = new boolean[256];
    int max = 0;
    for (int v : labels) {
      seen[v] = true;
      max = Math.max(max, v);
    }
    int limit = 10; // the first value that is out of range
    if (!fashion) {
      limit = Math.max(10, max + 1);
      for (int v = 10; v < max; v++) {
        if (!seen[v]) {
          limit = v;
          break;
        }
      }
    }
    for (int row = 0; row < labels.length; row++) {
      if (labels[row] >= limit) {
        throw new DataException(file + ": row " + row + " (byte " + (LABELS_HEADER + row) + "): label "
            + labels[row] + " is out of range: " + (fashion ? "Fashion-MNIST has classes 0 to 9"
                : "no row has label " + limit + ", so the classes end at " + (limit - 1)));
      }
    }
    return limit;
  }

  private static List<String> classNames(String dir, int count) {
    if (isFashion(dir) && count == FASHION_MNIST_CLASSES.size()) {
      return FASHION_MNIST_CLASSES;
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      names.add(Integer.toString(i));
    }
    return names;
  }
}
