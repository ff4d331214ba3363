package dev.fovea.driver.ml;

import dev.fovea.data.DataException;
import dev.fovea.data.shard.ImageShardWriter;
import dev.fovea.data.shard.ImageShardWriter.Candidate;
import dev.fovea.data.shard.ImageShardWriter.Options;
import dev.fovea.driver.InputTransforms;
import dev.fovea.driver.Progress;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The DataFrame of a fit made into the train and test shard sets {@link
 * dev.fovea.driver.TrainingRun} reads: the label column's classes found (ML attribute metadata,
 * {@code numClasses}, or the largest label + 1), or a typed target column's kind and size ({@link
 * TargetColumn}: written as the shard format's {@code multi_hot}, {@code float_vector} or {@code
 * mask} target), every row checked in one pass before anything is written (a null image, a wrongly
 * sized array, a label that is null, not a whole number or out of range, a target of the wrong
 * length, size or values: one line naming the column, the row and the problem), a seeded {@code
 * validationFraction} of the rows held out, and both parts sharded by {@link ImageShardWriter}
 * (raw 8-bit at the images' own size, or JPEG with the shorter side at {@code imageSize / 0.875}).
 */
final class FitInput {
  /** Most classes a label column may imply without metadata. */
  static final int MAX_CLASSES = 100_000;

  private final String dir;
  private final List<String> classes;

  private FitInput(String dir, List<String> classes) {
    this.dir = dir;
    this.classes = classes;
  }

  /** The class names, by index. */
  List<String> classes() {
    return classes;
  }

  /**
   * What a fit's rows are trained towards: the class indices of a label column ({@code target}
   * null), or a typed target column.
   *
   * @param column the label or target column
   * @param numClasses labels: K, or 0 to take it from the metadata or the labels
   * @param target the target column; null for labels
   */
  record Answer(String column, int numClasses, TargetColumn target) implements Serializable {
    private static final long serialVersionUID = 1L;

    static Answer labels(String column, int numClasses) {
      return new Answer(column, numClasses, null);
    }

    static Answer target(TargetColumn t) {
      return new Answer(t.column(), 0, t);
    }
  }

  /** The manifest of the training shards the fit wrote. */
  dev.fovea.data.shard.Manifest trainManifest(Configuration conf) {
    return dev.fovea.data.shard.ShardReader.readManifest(conf, dir + "/shards/train");
  }

  /** Removes the shard sets of the fit (the run's model, summary and checkpoints stay). */
  void deleteShards(Configuration conf) {
    Path p = new Path(dir, "shards");
    try {
      p.getFileSystem(conf).delete(p, true);
    } catch (IOException e) {
      // a leftover in the fit's own folder, named in the log
      org.slf4j.LoggerFactory.getLogger(FitInput.class).warn("cannot delete {}: {}", p, e.getMessage());
    }
  }

  /** The label column of {@code schema}: present and numeric, or one line saying what is wrong. */
  static StructField labelField(String stage, StructType schema, String column) {
    StructField f = Features.field(stage, schema, column);
    if (!(f.dataType() instanceof NumericType)) {
      throw new IllegalArgumentException(stage + ": column '" + column + "' is " + f.dataType().simpleString()
          + "; the label must be a class index 0..K-1 (double, as StringIndexer gives: index a string label with "
          + "StringIndexer first)");
    }
    return f;
  }

  /** Checks, splits and shards {@code df} under {@code dir}/shards as {@code stage}'s settings say. */
  static FitInput prepare(String stage, SparkSession spark, Dataset<Row> df, AbstractFoveaEstimator<?, ?> p,
      Answer answer, String dir, Progress report) {
    StructType schema = df.schema();
    Features f = Features.of(stage, schema, p.getFeaturesCol(), p.getFeaturesShape());
    TargetColumn target = answer.target();
    // a target set has one class, named after its column: the label column of its shards is unused
    List<String> names = target != null ? List.of(answer.column())
        : classNames(labelField(stage, schema, answer.column()), answer.numClasses());
    String id = Arrays.asList(schema.fieldNames()).contains("path") ? "path" : null;
    Check check = new Check(stage, f, answer.column(), names == null ? -1 : names.size(), target);
    List<String> bad = df.select(check.columns(df, id)).javaRDD().zipWithIndex().map(check::problem)
        .filter(s -> s != null).take(1);
    if (!bad.isEmpty()) {
      throw new IllegalArgumentException(bad.get(0));
    }
    if (names == null) {
      Row max = df.agg(functions.max(functions.col(answer.column()))).first();
      long k = max.isNullAt(0) ? 0 : (long) ((Number) max.get(0)).doubleValue() + 1;
      if (k < 1 || k > MAX_CLASSES) {
        throw new IllegalArgumentException(stage + ": column '" + answer.column() + "': " + (k < 1 ? "no rows"
            : "labels up to " + (k - 1) + " imply more than " + MAX_CLASSES + " classes") + "; set numClasses or "
            + "index the labels with StringIndexer");
      }
      names = new ArrayList<>();
      for (long i = 0; i < k; i++) {
        names.add(Long.toString(i));
      }
    }
    int channels = f.shape() != null ? f.shape().dim(0) : p.getChannels();
    Convert convert = new Convert(f, channels, p.getSeed(), p.getValidationFraction(), p.getStrict(), stage,
        answer.column(), target);
    JavaRDD<Candidate> all = df.select(check.columns(df, id)).javaRDD().zipWithIndex().map(convert::candidate)
        .persist(StorageLevel.MEMORY_AND_DISK_SER());
    try {
      JavaRDD<Candidate> train = all.filter(c -> !convert.heldOut(c));
      JavaRDD<Candidate> test = all.filter(convert::heldOut);
      if (p.getValidationFraction() == 0 || test.take(1).isEmpty()) {
        report.message("validation: " + (p.getValidationFraction() == 0 ? "validationFraction is 0" : "no row held "
            + "out") + "; each epoch is evaluated on the training rows");
        test = all;
      }
      int workers = p.getWorkers();
      Options o = (p.getImageSize() == 0 ? Options.raw(channels, 0, 0, p.getSeed())
          : Options.jpeg(channels, (int) Math.round(p.getImageSize() / InputTransforms.CROP_FRACTION), p.getSeed())
              .withQuality(95))
          .withMaxBadFraction(p.getStrict() ? 0 : Options.DEFAULT_MAX_BAD_FRACTION);
      String name = "dataframe " + f.column();
      dev.fovea.data.shard.TargetSpec spec = target == null ? null : target.spec();
      shard(spark, train, names, spec, name + " (train)", dir + "/shards/train",
          o.withShards(Options.DEFAULT_MAX_SHARD_BYTES, Math.max(8, 4 * workers)), stage, f);
      shard(spark, test, names, spec, name + " (validation)", dir + "/shards/test",
          o.withShards(Options.DEFAULT_MAX_SHARD_BYTES, Math.max(2, workers)), stage, f);
    } finally {
      all.unpersist(false);
    }
    return new FitInput(dir, List.copyOf(names));
  }

  private static void shard(SparkSession spark, JavaRDD<Candidate> rows, List<String> names,
      dev.fovea.data.shard.TargetSpec target, String name, String dir, Options o, String stage, Features f) {
    try {
      ImageShardWriter.write(spark, new ImageShardWriter.Source(rows, names, name, name, Map.of(), List.of(), target),
          dir, o);
    } catch (DataException e) {
      throw new IllegalArgumentException(stage + ": column '" + f.column() + "': " + e.getMessage()
          + (Options.DEFAULT_MAX_BAD_FRACTION == o.maxBadFraction() ? "" : " (strict mode)")
          + (o.rawHeight() == 0 && e.getMessage().contains("one image size") ? "; set imageSize to train on "
              + "images of varying size" : ""), e);
    }
  }

  /**
   * The class names of a label column: the values of its nominal ML attribute (as StringIndexer
   * writes), else "0".."K-1" for {@code numClasses} = K; null when neither says.
   */
  static List<String> classNames(StructField label, int numClasses) {
    Attribute a = Attribute.fromStructField(label);
    if (a instanceof NominalAttribute n) {
      if (n.values().isDefined()) {
        return List.of(n.values().get());
      }
      if (n.numValues().isDefined()) {
        numClasses = (Integer) n.numValues().get();
      }
    }
    if (numClasses <= 0) {
      return null;
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < numClasses; i++) {
      names.add(Integer.toString(i));
    }
    return names;
  }

  /** The per-row check of the fit's one pass over the labels and features. */
  static final class Check implements Serializable {
    private static final long serialVersionUID = 1L;
    final String stage;
    final Features features;
    final String labelColumn;
    final int classes;
    final TargetColumn target;

    /** @param target the target column, whose values are checked instead of labels; null for labels */
    Check(String stage, Features features, String labelColumn, int classes, TargetColumn target) {
      this.stage = stage;
      this.features = features;
      this.labelColumn = labelColumn;
      this.classes = classes;
      this.target = target;
    }

    /** (features, label, path when there is one). */
    Column[] columns(Dataset<Row> df, String id) {
      List<Column> c = new ArrayList<>(List.of(df.col(features.column()), df.col(labelColumn)));
      if (id != null) {
        c.add(df.col(id));
      }
      return c.toArray(new Column[0]);
    }

    /** The one-line problem of row {@code t}, or null. */
    String problem(Tuple2<Row, Long> t) {
      Row r = t._1();
      String where = "row " + t._2() + (r.size() > 2 ? " (" + r.get(2) + ")" : "");
      Object label = r.get(1);
      String bad = null;
      if (target != null) {
        bad = target.problem(label);
      } else if (label == null) {
        bad = "null label";
      } else {
        double v = ((Number) label).doubleValue();
        if (v != Math.rint(v) || v < 0 || classes > 0 && v >= classes) {
          bad = "label " + label + " outside the class indices 0.." + (classes > 0 ? classes - 1 + "" : "")
              + (v != Math.rint(v) && Double.isFinite(v) ? " (not a whole number)" : "");
        }
      }
      if (bad != null) {
        return stage + ": column '" + labelColumn + "', " + where + ": " + bad;
      }
      Object value = r.get(0);
      if (value == null) {
        return stage + ": column '" + features.column() + "', " + where + ": null image";
      }
      if (features.kind() == Features.Kind.ARRAY || features.kind() == Features.Kind.VECTOR) {
        int n = value instanceof org.apache.spark.ml.linalg.Vector v ? v.size()
            : ((scala.collection.Seq<?>) value).length();
        if (n != features.shape().size()) {
          return stage + ": column '" + features.column() + "', " + where + ": " + n + " values, but featuresShape "
              + features.shape() + " needs " + features.shape().size();
        }
      }
      return null;
    }
  }

  /** A checked row as a candidate for the shard writer, and which part of the split it is in. */
  static final class Convert implements Serializable {
    private static final long serialVersionUID = 1L;
    final Features features;
    final int channels;
    final long seed;
    final double heldOut;
    final boolean strict;
    final String stage;
    final String labelColumn;
    final TargetColumn target;

    Convert(Features features, int channels, long seed, double heldOut, boolean strict, String stage,
        String labelColumn, TargetColumn target) {
      this.features = features;
      this.channels = channels;
      this.seed = seed;
      this.heldOut = heldOut;
      this.strict = strict;
      this.stage = stage;
      this.labelColumn = labelColumn;
      this.target = target;
    }

    Candidate candidate(Tuple2<Row, Long> t) {
      Row r = t._1();
      String key = r.size() > 2 ? String.valueOf(r.get(2)) : "row-" + t._2();
      byte[] bytes;
      try {
        bytes = features.imageFile(r.get(0), channels);
      } catch (Features.BadValue e) {
        if (strict) {
          throw new IllegalArgumentException(stage + ": column '" + features.column() + "', row " + t._2()
              + (r.size() > 2 ? " (" + r.get(2) + ")" : "") + ": " + e.getMessage());
        }
        bytes = new byte[0]; // the shard writer counts it as a bad image
      }
      return target != null ? new Candidate(key, 0, null, bytes, target.encode(r.get(1)))
          : new Candidate(key, (int) ((Number) r.get(1)).doubleValue(), null, bytes);
    }

    /** Whether the row of {@code c} is held out: a seeded hash of its key below the fraction. */
    boolean heldOut(Candidate c) {
      if (heldOut == 0) {
        return false;
      }
      long h = seed * 0x9E3779B97F4A7C15L + c.key.hashCode();
      h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
      h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
      h ^= h >>> 31;
      return (h >>> 11) * 0x1.0p-53 < heldOut;
    }
  }
}
