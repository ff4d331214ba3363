package dev.fovea.data.shard;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Targets read from files beside a data set whose samples are numbered (IDX, CIFAR: sample i of a
 * split is its i-th image, from 0), for {@code fovea shard --target multi_hot|float_vector|mask}.
 * Every sample needs exactly one target; anything else is a {@link DataException} naming the file
 * and line (or the missing file), thrown before a shard is written.
 *
 * <ul>
 *   <li>{@code multi_hot}: a CSV, one row per sample, {@code index,labels}: the labels set for
 *       sample {@code index}, separated by {@code ;}, each a class index in [0, K) or a class name
 *       of the data set (K its classes), e.g. {@code 17,0;9} or {@code 17,T-shirt/top;Ankle boot}.
 *       An empty list is allowed ({@code 17,}).
 *   <li>{@code float_vector}: a CSV, one row per sample, {@code index,v1,...,vD}, D the same on
 *       every row, every value a finite number.
 *   <li>{@code mask}: a folder of PNG files named by the sample they pair with ({@code 17.png}), of
 *       the images' height and width, whose first channel holds the class of each pixel.
 * </ul>
 *
 * <p>Lines that are empty or start with {@code #} are skipped, as is a first line starting with
 * {@code index}.
 *
 * <p>For a folder source ({@code dev.fovea.data.source.ImageFolders}) the same targets pair with
 * each image by its path relative to the split, {@code <class>/<file>} ({@code paths}): CSV rows
 * {@code path,labels} or {@code path,v1,...,vD} (a first line starting with {@code path} skipped),
 * and masks {@code dir/<class>/<file base name>.png}; a mask that pairs with no image is refused too.
 */
public final class TargetFiles {
  private TargetFiles() {}

  /** Multi-hot targets {@code (K)} of {@code data} from the CSV {@code csv}; K = the data's classes. */
  public static ShardWriter.Targets multiHot(String csv, ImageDataset data, Configuration conf) {
    return multiHot(csv, data, null, conf);
  }

  /** Multi-hot targets of {@code data}, rows keyed by {@code paths} (by index when null). */
  public static ShardWriter.Targets multiHot(String csv, ImageDataset data, List<String> paths, Configuration conf) {
    List<String> names = data.classNames();
    int k = names.size();
    byte[] values = new byte[data.count() * k];
    rows(csv, data.count(), paths, conf, (line, index, fields) -> {
      if (fields.length != 2) {
        throw new DataException(csv + ":" + line + ": expected " + key(paths) + ",labels (labels separated by ;), got "
            + fields.length + " fields");
      }
      if (fields[1].isBlank()) {
        return;
      }
      for (String label : fields[1].split(";", -1)) {
        String l = label.trim();
        int c = names.indexOf(l);
        if (c < 0 && l.matches("\\d{1,9}")) {
          c = Integer.parseInt(l);
        }
        if (c < 0 || c >= k) {
          throw new DataException(csv + ":" + line + ": label '" + l + "' is neither a class index in [0, " + k
              + ") nor a class name of " + data.name());
        }
        values[index * k + c] = 1;
      }
    });
    return new ShardWriter.Targets(new TargetSpec(TargetSpec.MULTI_HOT, List.of(k)), values);
  }

  /** Float-vector targets {@code (D)} of {@code data} from the CSV {@code csv}; D from its first row. */
  public static ShardWriter.Targets floatVector(String csv, ImageDataset data, Configuration conf) {
    return floatVector(csv, data, null, conf);
  }

  /** Float-vector targets of {@code data}, rows keyed by {@code paths} (by index when null). */
  public static ShardWriter.Targets floatVector(String csv, ImageDataset data, List<String> paths,
      Configuration conf) {
    int[] d = {0};
    ByteBuffer[] values = {null};
    rows(csv, data.count(), paths, conf, (line, index, fields) -> {
      if (d[0] == 0) {
        d[0] = fields.length - 1;
        if (d[0] < 1) {
          throw new DataException(csv + ":" + line + ": expected " + key(paths) + ",v1,...,vD, got no value");
        }
        values[0] = ByteBuffer.allocate(data.count() * 4 * d[0]).order(ByteOrder.LITTLE_ENDIAN);
      }
      if (fields.length - 1 != d[0]) {
        throw new DataException(csv + ":" + line + ": " + (fields.length - 1) + " values, the first row has "
            + d[0]);
      }
      for (int j = 0; j < d[0]; j++) {
        float v;
        try {
          v = Float.parseFloat(fields[j + 1].trim());
        } catch (NumberFormatException e) {
          throw new DataException(csv + ":" + line + ": value " + (j + 1) + " '" + fields[j + 1].trim()
              + "' is not a number");
        }
        if (!Float.isFinite(v)) {
          throw new DataException(csv + ":" + line + ": value " + (j + 1) + " is " + v + ", not finite");
        }
        values[0].putFloat((index * d[0] + j) * 4, v);
      }
    });
    return new ShardWriter.Targets(new TargetSpec(TargetSpec.FLOAT_VECTOR, List.of(d[0])), values[0].array());
  }

  /** Mask targets {@code (H, W)} of {@code data} from {@code dir/<index>.png}, one per sample. */
  public static ShardWriter.Targets masks(String dir, ImageDataset data, Configuration conf) {
    return masks(dir, data, null, conf);
  }

  /**
   * Mask targets of {@code data} from {@code dir/<path with the extension .png>} for each of
   * {@code paths} ({@code dir/<index>.png} when null); with paths, a file in {@code dir} that pairs
   * with no image is refused too.
   */
  public static ShardWriter.Targets masks(String dir, ImageDataset data, List<String> paths, Configuration conf) {
    int h = data.sampleShape().dim(1);
    int w = data.sampleShape().dim(2);
    byte[] values = new byte[data.count() * h * w];
    try {
      FileSystem fs = new Path(dir).getFileSystem(conf);
      if (paths != null) {
        extraMasks(fs, new Path(dir), paths, data);
      }
      for (int i = 0; i < data.count(); i++) {
        Path p = new Path(dir, paths == null ? i + ".png" : maskName(paths.get(i)));
        if (!fs.exists(p)) {
          throw new DataException(p + ": missing: image " + (paths == null ? i : paths.get(i)) + " of " + data.name()
              + " has no mask (masks pair with images by name, " + (paths == null ? "<index>.png)"
              : "<class>/<file base name>.png)"));
        }
        BufferedImage img;
        try (InputStream in = fs.open(p)) {
          img = javax.imageio.ImageIO.read(new ByteArrayInputStream(in.readAllBytes()));
        }
        if (img == null) {
          throw new DataException(p + ": not a PNG image");
        }
        if (img.getHeight() != h || img.getWidth() != w) {
          throw new DataException(p + ": a " + img.getHeight() + "x" + img.getWidth() + " mask for a " + h + "x" + w
              + " image");
        }
        Raster r = img.getRaster();
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            values[(i * h + y) * w + x] = (byte) r.getSample(x, y, 0);
          }
        }
      }
    } catch (IOException e) {
      throw new DataException(dir + ": " + e.getMessage(), e);
    }
    return new ShardWriter.Targets(new TargetSpec(TargetSpec.MASK, List.of(h, w)), values);
  }

  /** The mask file of the image at relative path {@code path}: its extension replaced by {@code .png}. */
  static String maskName(String path) {
    int dot = path.lastIndexOf('.');
    return (dot > path.lastIndexOf('/') ? path.substring(0, dot) : path) + ".png";
  }

  /** Refuses a file under {@code dir} that pairs with none of {@code paths}, or two images sharing a mask. */
  private static void extraMasks(FileSystem fs, Path dir, List<String> paths, ImageDataset data) throws IOException {
    java.util.Map<String, String> expected = new java.util.HashMap<>();
    for (String p : paths) {
      String other = expected.put(maskName(p), p);
      if (other != null) {
        throw new DataException(new Path(dir, maskName(p)) + ": images " + other + " and " + p + " of " + data.name()
            + " would share this mask (masks pair with images by file base name)");
      }
    }
    if (!fs.exists(dir)) {
      throw new DataException(dir + ": no such mask folder");
    }
    String root = fs.getFileStatus(dir).getPath().toUri().getPath();
    org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> it = fs.listFiles(dir, true);
    while (it.hasNext()) {
      Path f = it.next().getPath();
      String rel = f.toUri().getPath().substring(root.length() + 1);
      if (!expected.containsKey(rel) && !f.getName().startsWith(".")) {
        throw new DataException(new Path(dir, rel) + ": extra mask: no image of " + data.name() + " pairs with it "
            + "(masks pair with images by name, <class>/<file base name>.png)");
      }
    }
  }

  private static String key(List<String> paths) {
    return paths == null ? "index" : "path";
  }

  private interface Row {
    void accept(int line, int index, String[] fields);
  }

  /**
   * Reads {@code csv}'s rows, checking each index is in [0, n) (or each path one of {@code paths})
   * and seen once, and all n seen.
   */
  private static void rows(String csv, int n, List<String> paths, Configuration conf, Row row) {
    java.util.Map<String, Integer> byPath = new java.util.HashMap<>();
    if (paths != null) {
      for (int i = 0; i < paths.size(); i++) {
        byPath.put(paths.get(i), i);
      }
    }
    boolean[] seen = new boolean[n];
    int count = 0;
    Path p = new Path(csv);
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getFileSystem(conf).open(p),
        StandardCharsets.UTF_8))) {
      int line = 0;
      for (String s = r.readLine(); s != null; s = r.readLine()) {
        line++;
        String t = s.strip();
        if (t.isEmpty() || t.startsWith("#") || line == 1 && t.startsWith(key(paths))) {
          continue;
        }
        String[] fields = t.split(",", -1);
        int index;
        if (paths != null) {
          Integer i = byPath.get(fields[0].trim());
          if (i == null) {
            throw new DataException(csv + ":" + line + ": '" + fields[0].trim() + "' is not an image of the split "
                + "(the first field is an image's path in it, <class>/<file>)");
          }
          if (seen[i]) {
            throw new DataException(csv + ":" + line + ": image " + paths.get(i) + " has a second row");
          }
          seen[i] = true;
          count++;
          row.accept(line, i, fields);
          continue;
        }
        try {
          index = Integer.parseInt(fields[0].trim());
        } catch (NumberFormatException e) {
          throw new DataException(csv + ":" + line + ": the first field '" + fields[0].trim()
              + "' is not a sample index");
        }
        if (index < 0 || index >= n) {
          throw new DataException(csv + ":" + line + ": sample index " + index + " is not in [0, " + n + ")");
        }
        if (seen[index]) {
          throw new DataException(csv + ":" + line + ": sample " + index + " has a second row");
        }
        seen[index] = true;
        count++;
        row.accept(line, index, fields);
      }
    } catch (java.io.FileNotFoundException e) {
      throw new DataException(csv + ": no such file");
    } catch (IOException e) {
      throw new DataException(csv + ": " + e.getMessage(), e);
    }
    if (count < n) {
      int missing = 0;
      while (seen[missing]) {
        missing++;
      }
      throw new DataException(paths == null ? csv + ": no row for sample " + missing + " (" + (n - count) + " of " + n
          + " samples have none)" : csv + ": no row for image " + paths.get(missing) + " (" + (n - count) + " of " + n
          + " images have none)");
    }
  }
}
