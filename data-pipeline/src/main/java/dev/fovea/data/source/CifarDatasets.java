package dev.fovea.data.source;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Sizes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Loads CIFAR-10 and CIFAR-100 from their binary distributions into memory (60,000 32×32 RGB
 * images, 184 MB): CIFAR-10's {@code data_batch_1..5.bin} and {@code test_batch.bin} (records of 1
 * label byte + 3,072 pixel bytes in (C, H, W) order, class names in {@code batches.meta.txt}), or
 * CIFAR-100's {@code train.bin} and {@code test.bin} (coarse label, fine label, 3,072 pixels; the
 * fine labels are used, names in {@code fine_label_names.txt}). Any Hadoop file system path works.
 */
public final class CifarDatasets {
  /** CIFAR-10's class names, used when {@code batches.meta.txt} is absent. */
  public static final List<String> CIFAR10_CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer",
      "dog", "frog", "horse", "ship", "truck");

  private static final int PIXELS = 3 * 32 * 32;

  private CifarDatasets() {}

  /**
   * Loads the training ({@code train = true}) or test split from {@code dir}, detecting CIFAR-10 or
   * CIFAR-100 by its files.
   *
   * @throws DataException when neither layout is there, or a file's size is not whole records
   */
  public static ImageDataset load(String dir, boolean train, Configuration conf) {
    try {
      Path d = new Path(dir);
      FileSystem fs = d.getFileSystem(conf);
      boolean c100 = fs.exists(new Path(d, "train.bin")) || fs.exists(new Path(d, "test.bin"));
      List<String> files = new ArrayList<>();
      if (c100) {
        files.add(train ? "train.bin" : "test.bin");
      } else if (train) {
        for (int i = 1; i <= 5; i++) {
          files.add("data_batch_" + i + ".bin");
        }
      } else {
        files.add("test_batch.bin");
      }
      int header = c100 ? 2 : 1;
      int record = header + PIXELS;
      ByteArrayOutputStream px = new ByteArrayOutputStream();
      List<Integer> labels = new ArrayList<>();
      List<String> used = new ArrayList<>();
      long total = 0;
      for (String f : files) {
        Path p = new Path(d, f);
        if (fs.exists(p)) {
          // Every file's size against the record size and the limits before any is read.
          long len = fs.getFileStatus(p).getLen();
          if (len == 0 || len % record != 0) {
            throw new DataException(p + ": " + len + " bytes is not a whole number of " + record + "-byte records");
          }
          total += Sizes.count(p.toString(), "record count", len / record, record, len,
              Sizes.MAX_ARRAY / record - total, DataException::new);
        }
      }
      for (String f : files) {
        Path p = new Path(d, f);
        if (!fs.exists(p)) {
          throw new DataException(p + ": missing; expected CIFAR-10 (data_batch_N.bin, test_batch.bin) or "
              + "CIFAR-100 (train.bin, test.bin) in " + dir);
        }
        long len = fs.getFileStatus(p).getLen();
        byte[] b;
        try (InputStream in = fs.open(p)) {
          b = Sizes.readAtMost(in, (int) len);
        }
        if (b.length != len) {
          throw new DataException(p + ": changed while read (" + len + " bytes listed, " + b.length + " read)");
        }
        if (b.length == 0 || b.length % record != 0) {
          throw new DataException(p + ": " + b.length + " bytes is not a whole number of " + record + "-byte records");
        }
        for (int o = 0; o < b.length; o += record) {
          labels.add(b[o + header - 1] & 0xff);
          px.write(b, o + header, PIXELS);
        }
        used.add(p.toString());
      }
      List<String> names = names(fs, d, c100);
      int[] l = labels.stream().mapToInt(Integer::intValue).toArray();
      String name = (c100 ? "cifar-100/" : "cifar-10/") + (train ? "train" : "test");
      return new ImageDataset(name, Shape.of(3, 32, 32), names, px.toByteArray(), l, String.join(" + ", used));
    } catch (IOException e) {
      throw new DataException(dir + ": cannot read CIFAR: " + e.getMessage(), e);
    }
  }

  private static List<String> names(FileSystem fs, Path d, boolean c100) throws IOException {
    Path p = new Path(d, c100 ? "fine_label_names.txt" : "batches.meta.txt");
    if (!fs.exists(p)) {
      if (c100) {
        List<String> n = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          n.add(Integer.toString(i));
        }
        return n;
      }
      return CIFAR10_CLASSES;
    }
    try (InputStream in = fs.open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::trim)
          .filter(s -> !s.isEmpty()).toList();
    }
  }
}
