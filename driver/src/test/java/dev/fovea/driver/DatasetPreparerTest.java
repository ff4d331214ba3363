package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/** Which existing shard sets a run may reuse: only those made from the very folder it names. */
class DatasetPreparerTest {
  private final Configuration conf = new Configuration();

  private static String source(String folder) {
    return folder + "/train-images-idx3-ubyte.gz + " + folder + "/train-labels-idx1-ubyte.gz";
  }

  @Test
  void theSameFolderHoweverWrittenIsTheSameSource() {
    assertTrue(DatasetPreparer.sameSource(conf, source("/data/fm"), "/data/fm"));
    assertTrue(DatasetPreparer.sameSource(conf, source("/data/fm"), "/data/fm/"));
    assertTrue(DatasetPreparer.sameSource(conf, source("/data/fm"), "file:/data/fm"));
    assertTrue(DatasetPreparer.sameSource(conf, source("file:/data/fm"), "/data/fm"));
    assertTrue(DatasetPreparer.sameSource(conf, source("hdfs://nn:8020/data/fm"), "hdfs://nn:8020/data/fm/"));
  }

  @Test
  void aParentASiblingOrAnotherFileSystemIsNot() {
    // shards made from /data/fm/sub must not be reused for /data/fm (the old prefix match did)
    assertFalse(DatasetPreparer.sameSource(conf, source("/data/fm/sub"), "/data/fm"));
    assertFalse(DatasetPreparer.sameSource(conf, source("/data/fm"), "/data/fm/sub"));
    assertFalse(DatasetPreparer.sameSource(conf, source("/data/fm2"), "/data/fm"));
    assertFalse(DatasetPreparer.sameSource(conf, source("hdfs://nn:8020/data/fm"), "/data/fm"));
    assertFalse(DatasetPreparer.sameSource(conf, source("hdfs://nn:8020/data/fm"), "hdfs://other:8020/data/fm"));
    assertFalse(DatasetPreparer.sameSource(conf, null, "/data/fm"));
    assertFalse(DatasetPreparer.sameSource(conf, "an image folder made elsewhere", "/data/fm"));
  }
}
