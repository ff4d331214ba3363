package dev.fovea.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import dev.fovea.data.idx.IdxDatasets;
import dev.fovea.data.testing.FashionMnist;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sharding job on Spark in local mode, on real Fashion-MNIST samples. */
class ShardWriterIT {
  static SparkSession spark;
  static ImageDataset data;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("ShardWriterIT")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
    data = IdxDatasets.load(FashionMnist.dir().toString(), IdxDatasets.Split.TEST, new Configuration()).subset(0, 3000);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void writesShardsAManifestAndReadsBackTheShuffledSamples(@TempDir Path tmp) {
    String dir = tmp.resolve("set").toString();
    Manifest m = ShardWriter.write(spark, data, dir, new ShardWriter.Options(4, 9, 1 << 20));
    assertEquals(3000, m.count());
    assertEquals(4, m.shards().size());
    assertEquals(3000, m.shards().stream().mapToLong(Manifest.ShardEntry::rows).sum());
    assertEquals(3000, m.classCounts().stream().mapToLong(Long::longValue).sum());
    assertTrue(m.mean().get(0) > 0.2 && m.mean().get(0) < 0.4, "mean " + m.mean());
    assertTrue(m.std().get(0) > 0.25 && m.std().get(0) < 0.45, "std " + m.std());

    // Spark opens the shards as a table
    long rows = spark.read().parquet(dir + "/" + m.shards().get(0).file().split("/")[0]).count();
    assertEquals(3000, rows);

    // sample i of the shard order is source sample perm[i]
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    SampleBlock all = ShardReader.readRange(conf, dir, ShardReader.readManifest(conf, dir), 0, 3000);
    int[] perm = ShardWriter.permutation(3000, 9);
    int per = 784;
    for (int i = 0; i < 3000; i += 97) {
      assertEquals(data.labels()[perm[i]], all.labels[i]);
      assertArrayEquals(Arrays.copyOfRange(data.pixels(), perm[i] * per, (perm[i] + 1) * per),
          Arrays.copyOfRange(all.pixels, i * per, (i + 1) * per));
    }
    SampleBlock middle = ShardReader.readRange(conf, dir, m, 700, 1600);
    assertArrayEquals(Arrays.copyOfRange(all.labels, 700, 1600), middle.labels);
  }

  @Test
  void corruptShardIsNamedByOurChecksum(@TempDir Path tmp) throws IOException {
    corruptShardIsNamed(tmp, true);
  }

  @Test
  void corruptShardIsNamedByTheFileSystemChecksum(@TempDir Path tmp) throws IOException {
    corruptShardIsNamed(tmp, false);
  }

  /** Flips one byte of a shard; without the local file system's .crc file only the manifest's CRC-32 can tell. */
  private void corruptShardIsNamed(Path tmp, boolean dropFileSystemChecksum) throws IOException {
    String dir = tmp.resolve("set").toString();
    Manifest m = ShardWriter.write(spark, data, dir, new ShardWriter.Options(2, 9, 1 << 20));
    Path shard = tmp.resolve("set").resolve(m.shards().get(1).file());
    byte[] bytes = Files.readAllBytes(shard);
    bytes[bytes.length / 2] ^= 0x20;
    Files.write(shard, bytes);
    Path sidecar = shard.resolveSibling("." + shard.getFileName() + ".crc");
    assertTrue(Files.exists(sidecar));
    if (dropFileSystemChecksum) {
      Files.delete(sidecar);
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    DataException e = assertThrows(DataException.class, () -> ShardReader.readRange(conf, dir, m, 0, 3000));
    assertTrue(e.getMessage().startsWith("shard ") && e.getMessage().contains(m.shards().get(1).file())
        && e.getMessage().contains("checksum mismatch"), e.getMessage());
  }

  @Test
  void rerunReplacesTheSetAndLeavesNoUnlistedFiles(@TempDir Path tmp) throws IOException {
    Path set = tmp.resolve("set");
    // what an interrupted run leaves: a staging folder with a partial shard
    Files.createDirectories(set.resolve("_staging-dead"));
    Files.write(set.resolve("_staging-dead/part-00000.parquet"), new byte[] {1, 2, 3});
    Manifest first = ShardWriter.write(spark, data, set.toString(), new ShardWriter.Options(3, 1, 1 << 20));
    Manifest second = ShardWriter.write(spark, data, set.toString(), new ShardWriter.Options(2, 2, 1 << 20));
    try (Stream<Path> s = Files.list(set)) {
      assertEquals(Arrays.asList("manifest.json", second.shards().get(0).file().split("/")[0]),
          s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList());
    }
    assertFalse(first.shards().get(0).file().equals(second.shards().get(0).file()));
    assertEquals(2, ShardReader.readManifest(new Configuration(), set.toString()).shards().size());
  }

  @Test
  void noManifestMeansNoShardSet(@TempDir Path tmp) {
    DataException e = assertThrows(DataException.class,
        () -> ShardReader.readManifest(new Configuration(), tmp.toString()));
    assertTrue(e.getMessage().contains("no manifest.json"), e.getMessage());
  }

  /**
   * A set with image targets ("the input itself, resized"): the manifest records them, every row's
   * target is its own original image, and a stream hands out each batch's targets in [0, 1] beside
   * the reduced inputs.
   */
  @Test
  void selfTargetsTravelWithTheirSamples(@TempDir Path tmp) {
    String dir = tmp.resolve("sr").toString();
    ImageDataset small = data.subset(0, 600);
    SelfTargets.Made made = SelfTargets.resized(small, 14, 14);
    Manifest m = ShardWriter.write(spark, made.inputs(), made.targets(), dir, new ShardWriter.Options(3, 5, 1 << 20));
    assertEquals(TargetSpec.image(1, 28, 28), m.targetSpec());
    assertEquals(java.util.List.of(1, 14, 14), m.sampleShape());
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Manifest read = ShardReader.readManifest(conf, dir);
    assertEquals(m.targetSpec(), read.targetSpec());
    int[] perm = ShardWriter.permutation(600, 5);
    ShardReader.Rows rows = ShardReader.readRows(conf, dir, read, read.shards().get(0));
    for (int i = 0; i < rows.count(); i += 37) {
      assertArrayEquals(Arrays.copyOfRange(small.pixels(), perm[i] * 784, (perm[i] + 1) * 784), rows.targets()[i]);
      assertArrayEquals(Arrays.copyOfRange(made.inputs().pixels(), perm[i] * 196, (perm[i] + 1) * 196),
          rows.images()[i]);
    }
    dev.fovea.data.stream.StreamPlan plan = dev.fovea.data.stream.StreamPlan.of(
        read.shards().stream().map(Manifest.ShardEntry::rows).toList(), 0, 1, 50, 1, false);
    try (dev.fovea.data.stream.ShardStream st = dev.fovea.data.stream.ShardStream.open(conf, dir, read, plan,
        dev.fovea.data.image.Transform.resize(14, 14, read.mean(), read.std()), 0, 0, 0,
        dev.fovea.data.stream.ShardStream.Options.DEFAULT)) {
      dev.fovea.data.batch.Batch b = st.next();
      assertEquals(dev.fovea.kernels.Shape.of(50, 1, 28, 28), b.targets().shape());
      assertEquals(dev.fovea.kernels.Shape.of(50, 1, 14, 14), b.images().shape());
      for (int k = 0; k < 784; k++) { // sample 0 of an unshuffled plan is row 0 of shard 0
        assertEquals((rows.targets()[0][k] & 0xff) / 255f, b.targets().get(k), 0);
      }
    }
    // an old set (no target) streams batches without targets
    String old = tmp.resolve("old").toString();
    Manifest o = ShardWriter.write(spark, small, old, new ShardWriter.Options(2, 5, 1 << 20));
    assertTrue(o.targetSpec().isClass());
    assertEquals(null, ShardReader.readRows(conf, old, o, o.shards().get(0)).targets());
  }
}
