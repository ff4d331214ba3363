package dev.fovea.driver;

import dev.fovea.data.ImageDataset;
import dev.fovea.data.idx.IdxDatasets;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.ShardReader;
import dev.fovea.data.shard.ShardWriter;
import java.io.IOException;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Makes sure the train and test shard sets of a run exist: a complete set (one with a manifest)
 * made from the same source with the same seed is reused; otherwise the source is read and
 * sharded. With no data folder, the shard sets must already exist and are used as they are. The source is read and checked completely before anything is written, so bad input
 * leaves no manifest behind.
 */
public final class DatasetPreparer {
  private DatasetPreparer() {}

  /** The manifests of the train and test shard sets. */
  public record Prepared(String trainDir, Manifest train, String testDir, Manifest test) {}

  public static Prepared prepare(SparkSession spark, TrainConfig c, Consumer<String> log) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String trainDir = c.shardRoot() + "/train";
    String testDir = c.shardRoot() + "/test";
    Manifest train = existing(conf, trainDir, c);
    Manifest test = existing(conf, testDir, c);
    if (c.data() == null && (train == null || test == null)) {
      throw new IllegalArgumentException("no --data given and " + c.shardRoot() + " holds no complete train and test"
          + " shard sets");
    }
    if (train != null && test != null) {
      log.accept("using shards in " + c.shardRoot() + " (" + train.count() + " train, " + test.count() + " test)");
      return new Prepared(trainDir, train, testDir, test);
    }
    ImageDataset trainData = IdxDatasets.load(c.data(), IdxDatasets.Split.TRAIN, conf);
    ImageDataset testData = IdxDatasets.load(c.data(), IdxDatasets.Split.TEST, conf);
    int shards = c.shardCount() > 0 ? c.shardCount() : Math.max(8, 4 * c.workers());
    long t0 = System.nanoTime();
    train = ShardWriter.write(spark, trainData, trainDir, new ShardWriter.Options(shards, c.seed(), 4 << 20));
    test = ShardWriter.write(spark, testData, testDir,
        new ShardWriter.Options(Math.max(1, shards / 4), c.seed(), 4 << 20));
    log.accept(String.format("sharded %s into %s: %d train and %d test samples in %.1f s", c.data(), c.shardRoot(),
        train.count(), test.count(), (System.nanoTime() - t0) / 1e9));
    return new Prepared(trainDir, train, testDir, test);
  }

  private static Manifest existing(Configuration conf, String dir, TrainConfig c) {
    if (!ShardReader.hasManifest(conf, dir)) {
      return null;
    }
    Manifest m = ShardReader.readManifest(conf, dir);
    if (c.data() == null) {
      return m;
    }
    return sameSource(conf, m.source(), c.data()) && m.seed() == c.seed() ? m : null;
  }

  /**
   * Whether shards whose manifest names {@code source} ({@link IdxDatasets#folderOf} reads the
   * folder out of it) were made from the IDX files in folder {@code data}:
   * the images file's folder is {@code data} itself, both fully qualified (so {@code /d},
   * {@code /d/} and {@code file:/d} are one folder, while a subfolder {@code /d/sub}, a sibling
   * {@code /d2} and the same path on another file system are not).
   */
  static boolean sameSource(Configuration conf, String source, String data) {
    Path folder = IdxDatasets.folderOf(source);
    if (folder == null || data == null) {
      return false;
    }
    try {
      return qualified(conf, folder).equals(qualified(conf, new Path(data)));
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }

  private static Path qualified(Configuration conf, Path p) throws IOException {
    java.net.URI u = p.toUri();
    if (u.getScheme() != null && (u.getAuthority() != null || u.getScheme().equals("file"))) {
      return p;
    }
    return p.getFileSystem(conf).makeQualified(p);
  }
}
