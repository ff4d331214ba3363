package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which existing shard sets a run may reuse: only those made from the very folder it names. */
class DatasetPreparerTest {
  private final Configuration conf = new Configuration();

  @ParameterizedTest(name = "shards of {0}, --data {1}: reused {2}")
  @CsvSource({
    // the same folder, however written
    "/data/fm, /data/fm, true",
    "/data/fm, /data/fm/, true",
    "/data/fm, file:/data/fm, true",
    "file:/data/fm, /data/fm, true",
    "hdfs://nn:8020/data/fm, hdfs://nn:8020/data/fm/, true",
    // a subfolder (the old prefix match reused these), a parent, a sibling, another file system
    "/data/fm/sub, /data/fm, false",
    "/data/fm, /data/fm/sub, false",
    "/data/fm2, /data/fm, false",
    "hdfs://nn:8020/data/fm, /data/fm, false",
    "hdfs://nn:8020/data/fm, hdfs://other:8020/data/fm, false",
  })
  void reusesOnlyShardsOfTheSameFolder(String shardsOf, String data, boolean reused) {
    String source = shardsOf + "/train-images-idx3-ubyte.gz + " + shardsOf + "/train-labels-idx1-ubyte.gz";
    assertEquals(reused, DatasetPreparer.sameSource(conf, source, data));
  }

  @Test
  void aManifestWithoutAnIdxSourceIsNeverReused() {
    assertFalse(DatasetPreparer.sameSource(conf, null, "/data/fm"));
    assertFalse(DatasetPreparer.sameSource(conf, "an image folder made elsewhere", "/data/fm"));
  }
}
