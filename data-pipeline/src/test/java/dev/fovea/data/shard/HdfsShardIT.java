package dev.fovea.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import dev.fovea.data.batch.Batch;
import dev.fovea.data.idx.IdxDatasets;
import dev.fovea.data.image.Transform;
import dev.fovea.data.source.ImageSources;
import dev.fovea.data.stream.ShardStream;
import dev.fovea.data.stream.StreamPlan;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.data.testing.Images;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards written and read through a real HDFS: a MiniDFSCluster (one NameNode, one DataNode,
 * replication 1) from hadoop-client-minicluster, with Spark in local mode writing to it.
 */
class HdfsShardIT {
  @TempDir
  static Path base;
  static MiniDFSCluster cluster;
  static SparkSession spark;
  static String hdfs;
  static Configuration conf;

  @BeforeAll
  static void start() throws IOException {
    Configuration c = new Configuration();
    c.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.resolve("dfs").toString());
    c.set("dfs.replication", "1");
    // Closing a file polls the NameNode from 400 ms on; a one-DataNode cluster answers at once.
    c.set("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "10");
    cluster = new MiniDFSCluster.Builder(c).numDataNodes(1).build();
    cluster.waitActive();
    hdfs = cluster.getURI().toString();
    spark = SparkSession.builder().master("local[2]").appName("HdfsShardIT")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.hadoop.dfs.replication", "1")
        .config("spark.hadoop.dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "10").getOrCreate();
    conf = spark.sparkContext().hadoopConfiguration();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  @Test
  void idxShardsRoundTripThroughHdfs() throws IOException {
    ImageDataset data = IdxDatasets.load(FashionMnist.dir().toString(), IdxDatasets.Split.TEST, new Configuration())
        .subset(0, 1000);
    String dir = hdfs + "/sets/fmnist";
    Manifest m = ShardWriter.write(spark, data, dir, new ShardWriter.Options(3, 4, 1 << 20));
    assertTrue(ShardReader.hasManifest(conf, dir));
    assertEquals(m, ShardReader.readManifest(conf, dir));
    SampleBlock all = ShardReader.readRange(conf, dir, m, 0, 1000);
    int[] perm = ShardWriter.permutation(1000, 4);
    for (int i = 0; i < 1000; i += 37) {
      assertEquals(data.labels()[perm[i]], all.labels[i]);
      assertArrayEquals(Arrays.copyOfRange(data.pixels(), perm[i] * 784, (perm[i] + 1) * 784),
          Arrays.copyOfRange(all.pixels, i * 784, (i + 1) * 784));
    }
    FileSystem fs = FileSystem.get(cluster.getURI(), conf);
    for (FileStatus st : fs.listStatus(new org.apache.hadoop.fs.Path(dir, m.shards().get(0).file()).getParent())) {
      assertEquals(1, st.getReplication());
    }
    // a shard replaced behind the manifest's back is named
    org.apache.hadoop.fs.Path shard = new org.apache.hadoop.fs.Path(dir, m.shards().get(2).file());
    try (OutputStream out = fs.create(shard, true)) {
      out.write(new byte[(int) m.shards().get(2).bytes()]);
    }
    DataException e = assertThrows(DataException.class, () -> ShardReader.readRange(conf, dir, m, 0, 1000));
    assertTrue(e.getMessage().contains(m.shards().get(2).file()) && e.getMessage().contains("checksum mismatch"),
        e.getMessage());
  }

  @Test
  void pngFolderOnHdfsShardedAsJpegAndStreamed() throws IOException {
    FileSystem fs = FileSystem.get(cluster.getURI(), conf);
    String root = hdfs + "/images/fmnist-png";
    for (int i = 0; i < 150; i++) {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(root + "/class-" + Images.label(i)
          + String.format("/%04d.png", i));
      try (OutputStream out = fs.create(p)) {
        out.write(Images.file(Images.grey(i), "png"));
      }
    }
    String dir = hdfs + "/sets/fmnist-jpeg";
    Manifest m = ImageShardWriter.write(spark, ImageSources.folder(spark, root, "fmnist-png", null), dir,
        ImageShardWriter.Options.jpeg(1, 56, 2).withShards(64 << 10, 2));
    assertEquals(150, m.count());
    assertEquals(10, m.classes().size());
    assertTrue(m.shards().size() >= 2);
    StreamPlan plan = StreamPlan.of(m.shards().stream().map(Manifest.ShardEntry::rows).toList(), 9, 2, 10, 40, true);
    assertEquals(7, plan.batchesPerEpoch(1));
    Transform t = Transform.randomResizedCrop(48, m.mean(), m.std());
    int batches = 0;
    try (ShardStream s = ShardStream.open(conf, dir, m, plan, t, 0, 1, 0, ShardStream.Options.DEFAULT)) {
      while (s.hasNext()) {
        Batch b = s.next();
        assertEquals(List.of(10, 1, 48, 48), Arrays.stream(b.images().shape().dims()).boxed().toList());
        batches++;
      }
    }
    assertEquals(7, batches);
  }
}
