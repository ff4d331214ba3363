package dev.fovea.data.source;

import dev.fovea.data.DataException;
import dev.fovea.data.image.Codecs;
import dev.fovea.data.shard.HadoopConf;
import dev.fovea.data.shard.ImageShardWriter.Candidate;
import dev.fovea.data.shard.ImageShardWriter.Source;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

/**
 * Image sources for {@link dev.fovea.data.shard.ImageShardWriter}. Only the top-level listing of
 * class folders (one call) and a validation labels file run on the driver; the files of each class
 * are listed, read and decoded in executor tasks.
 */
public final class ImageSources {
  private ImageSources() {}

  /** What one listing task found in one class folder. */
  static final class Listing implements Serializable {
    private static final long serialVersionUID = 1L;
    String className;
    List<String> images = new ArrayList<>();
    long nonImages;
  }

  /**
   * One folder per class: {@code root/<class>/<file>}, classes sorted by name. Files that are not
   * JPEG, PNG or BMP are counted per class and never used; class folders without images are
   * reported and left out of the classes.
   *
   * @param classes the class names by index (for a validation split that must match training), or
   *     null for the sorted non-empty folders
   * @throws DataException when the root is missing or a given class has no folder
   */
  public static Source folder(SparkSession spark, String root, String name, List<String> classes) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    HadoopConf hc = new HadoopConf(jsc.hadoopConfiguration());
    List<String> dirs = new ArrayList<>();
    Map<String, Long> nonImage = new TreeMap<>();
    try {
      Path r = new Path(root);
      FileSystem fs = r.getFileSystem(hc.get());
      if (!fs.exists(r)) {
        throw new DataException(root + ": image folder does not exist");
      }
      for (FileStatus st : fs.listStatus(r)) {
        String n = st.getPath().getName();
        if (st.isDirectory() && !n.startsWith(".") && !n.startsWith("_")) {
          dirs.add(st.getPath().toString());
        } else if (st.isFile()) {
          nonImage.merge("(top level)", 1L, Long::sum);
        }
      }
    } catch (IOException e) {
      throw new DataException(root + ": cannot list: " + e.getMessage(), e);
    }
    dirs.sort(null);
    if (dirs.isEmpty()) {
      throw new DataException(root + ": no class folders");
    }
    JavaRDD<Listing> listed = jsc.parallelize(dirs, Math.min(dirs.size(), 4 * jsc.defaultParallelism()))
        .map(d -> list(hc, d))
        .persist(StorageLevel.MEMORY_AND_DISK_SER());
    // Only counts travel to the driver.
    List<scala.Tuple3<String, Integer, Long>> counts = listed
        .map(l -> new scala.Tuple3<>(l.className, l.images.size(), l.nonImages)).collect();
    List<String> empty = new ArrayList<>();
    List<String> found = new ArrayList<>();
    for (scala.Tuple3<String, Integer, Long> t : counts) {
      if (t._3() > 0) {
        nonImage.put(t._1(), t._3());
      }
      if (t._2() == 0) {
        empty.add(t._1());
      } else {
        found.add(t._1());
      }
    }
    List<String> cls = classes != null ? classes : found;
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < cls.size(); i++) {
      index.put(cls.get(i), i);
    }
    for (String f : found) {
      if (!index.containsKey(f)) {
        throw new DataException(root + ": folder " + f + " is not one of the " + cls.size() + " classes given");
      }
    }
    Broadcast<Map<String, Integer>> idx = jsc.broadcast(index);
    JavaRDD<Candidate> cands = listed.flatMap(l -> {
      int label = idx.value().get(l.className) == null ? -1 : idx.value().get(l.className);
      List<Candidate> out = new ArrayList<>(l.images.size());
      for (String p : l.images) {
        out.add(new Candidate(l.className + "/" + new Path(p).getName(), label, p, null));
      }
      return out.iterator();
    });
    return new Source(cands, List.copyOf(cls), name, root, nonImage, empty);
  }

  private static Listing list(HadoopConf hc, String dir) throws IOException {
    Path d = new Path(dir);
    FileSystem fs = d.getFileSystem(hc.get());
    Listing l = new Listing();
    l.className = d.getName();
    for (FileStatus st : fs.listStatus(d)) {
      if (st.isFile() && Codecs.isImageName(st.getPath().getName())) {
        l.images.add(st.getPath().toString());
      } else {
        l.nonImages++;
      }
    }
    l.images.sort(null);
    return l;
  }

  /**
   * An ImageNet-layout split: {@code root/<split>/<wnid>/*.JPEG}, or (for validation) a flat folder
   * {@code root/<split>/} with a labels file of lines {@code <file> <wnid>} (space, tab or comma
   * separated; a file named without extension matches any extension; lines whose second field is
   * not a class, such as a CSV header, are skipped).
   *
   * @param labelsFile the labels file for a flat split, or null for a split with class folders
   * @param classes class names by index (pass training's for validation), or null
   */
  public static Source imageNet(SparkSession spark, String root, String split, String labelsFile,
      List<String> classes) {
    String dir = new Path(root, split).toString();
    String name = new Path(root).getName() + "/" + split;
    if (labelsFile == null) {
      return folder(spark, dir, name, classes);
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    HadoopConf hc = new HadoopConf(jsc.hadoopConfiguration());
    Map<String, String> labelOf = new HashMap<>();
    try {
      Path lf = new Path(labelsFile);
      try (InputStream in = lf.getFileSystem(hc.get()).open(lf)) {
        for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
          String[] f = line.trim().split("[\\s,]+");
          if (f.length >= 2 && f[1].matches("n\\d+|[A-Za-z0-9_\\-]+")) {
            String file = f[0];
            int dot = file.lastIndexOf('.');
            labelOf.put(dot > 0 ? file.substring(0, dot) : file, f[1]);
          }
        }
      }
    } catch (IOException e) {
      throw new DataException(labelsFile + ": cannot read labels: " + e.getMessage(), e);
    }
    List<String> cls = classes != null ? classes : new ArrayList<>(new TreeSet<>(labelOf.values()));
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < cls.size(); i++) {
      index.put(cls.get(i), i);
    }
    labelOf.values().removeIf(v -> !index.containsKey(v));
    Broadcast<Map<String, String>> labels = jsc.broadcast(labelOf);
    Broadcast<Map<String, Integer>> idx = jsc.broadcast(index);
    JavaRDD<Listing> listed = jsc.parallelize(List.of(dir), 1).map(d -> list(hc, d))
        .persist(StorageLevel.MEMORY_AND_DISK_SER());
    long[] counts = listed.map(l -> {
      long unlabelled = 0;
      for (String p : l.images) {
        String n = new Path(p).getName();
        int dot = n.lastIndexOf('.');
        if (!labels.value().containsKey(n.substring(0, dot))) {
          unlabelled++;
        }
      }
      return new long[] {l.nonImages, unlabelled};
    }).collect().get(0);
    Map<String, Long> nonImage = new TreeMap<>();
    if (counts[0] > 0) {
      nonImage.put(split, counts[0]);
    }
    if (counts[1] > 0) {
      nonImage.put(split + " (images without a label)", counts[1]);
    }
    JavaRDD<Candidate> cands = listed.flatMap(l -> {
      List<Candidate> out = new ArrayList<>();
      for (String p : l.images) {
        String n = new Path(p).getName();
        String wnid = labels.value().get(n.substring(0, n.lastIndexOf('.')));
        if (wnid != null) {
          out.add(new Candidate(n, idx.value().get(wnid), p, null));
        }
      }
      return out.iterator();
    });
    return new Source(cands, List.copyOf(cls), name, dir + " + " + labelsFile, nonImage, List.of());
  }

  /**
   * A table with an image-bytes column (any format the codecs read) and a label column: an
   * integer class index (classes given, or named "0".."K−1" by the largest index) or a string
   * class name (classes given, or the sorted distinct names). Rows are keyed by their position in
   * the table, so the shuffle is stable for a table read in a stable order.
   */
  public static Source dataFrame(Dataset<Row> df, String imageColumn, String labelColumn, List<String> classes,
      String name) {
    DataType lt = df.schema().apply(labelColumn).dataType();
    boolean named = lt.equals(DataTypes.StringType);
    List<String> cls = classes;
    if (cls == null) {
      if (named) {
        cls = df.select(labelColumn).distinct().collectAsList().stream().map(r -> r.getString(0)).sorted().toList();
      } else {
        long max = df.selectExpr("max(cast(" + labelColumn + " as long))").first().getLong(0);
        cls = new ArrayList<>();
        for (long i = 0; i <= max; i++) {
          cls.add(Long.toString(i));
        }
      }
    }
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < cls.size(); i++) {
      index.put(cls.get(i), i);
    }
    int k = cls.size();
    JavaRDD<Candidate> cands = df.select(imageColumn, labelColumn).javaRDD().zipWithIndex().map(t -> {
      Row r = t._1();
      int label;
      if (named) {
        Integer i = index.get(r.getString(1));
        if (i == null) {
          throw new DataException(name + ": row " + t._2() + " has label " + r.getString(1) + ", not a class");
        }
        label = i;
      } else {
        label = (int) ((Number) r.get(1)).longValue();
        if (label < 0 || label >= k) {
          throw new DataException(name + ": row " + t._2() + " has label " + label + " outside [0, " + k + ")");
        }
      }
      return new Candidate("row-" + t._2(), label, null, (byte[]) r.get(0));
    });
    return new Source(cands, List.copyOf(cls), name, "table " + name + " (" + imageColumn + ", " + labelColumn + ")",
        Map.of(), List.of());
  }
}
