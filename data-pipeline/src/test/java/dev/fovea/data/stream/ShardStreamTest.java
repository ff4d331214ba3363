package dev.fovea.data.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.batch.Batch;
import dev.fovea.data.image.Transform;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.SampleBlock;
import dev.fovea.data.shard.ShardReader;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/**
 * The stream over the version-1 fixture (written by the first release's writer): old sets still
 * read, and a stream stopped anywhere resumes into exactly the uninterrupted sequence.
 */
class ShardStreamTest {
  static String fixture() {
    try {
      return Path.of(ShardStreamTest.class.getResource("/fixtures/fashion-mnist-v1/manifest.json").toURI())
          .getParent().toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static final Configuration CONF = new Configuration();

  @Test
  void versionOneSetsStillReadWithTheSameHash() {
    Manifest m = ShardReader.readManifest(CONF, fixture());
    assertEquals(1, m.version());
    assertEquals("42a4f60a32359fe78a6fef2dd368d6c9b0f2ebe283b69a74a7ed5bb497483d99", m.sha256());
    SampleBlock all = ShardReader.readRange(CONF, fixture(), m, 0, 40);
    assertEquals(40, all.count());
    long[] counts = new long[10];
    for (int l : all.labels) {
      counts[l]++;
    }
    assertEquals(m.classCounts(), Arrays.stream(counts).boxed().toList());
  }

  /** Every sample of a stream opened at {@code from}, as (label, floats) flattened in order. */
  static List<float[]> drain(Manifest m, StreamPlan p, Transform t, int epoch, int worker, long from,
      ShardStream.Options o) {
    List<float[]> out = new ArrayList<>();
    try (ShardStream s = ShardStream.open(CONF, fixture(), m, p, t, epoch, worker, from, o)) {
      while (s.hasNext()) {
        Batch b = s.next();
        float[] x = b.images().toFloatArray();
        int per = t.sampleSize();
        for (int i = 0; i < b.size(); i++) {
          float[] row = Arrays.copyOfRange(x, i * per, (i + 1) * per + 1);
          row[per] = b.labels()[i];
          out.add(row);
        }
      }
      assertEquals(p.samplesPerEpoch(worker), s.position());
    }
    return out;
  }

  @Test
  void aStreamStoppedAnywhereResumesIntoTheSameSequence() {
    Manifest m = ShardReader.readManifest(CONF, fixture());
    StreamPlan p = StreamPlan.of(m.shards().stream().map(Manifest.ShardEntry::rows).toList(), 11, 2, 4, 7, true);
    Transform t = Transform.padRandomCrop(28, 28, 4, m.mean(), m.std());
    for (int worker = 0; worker < 2; worker++) {
      List<float[]> whole = drain(m, p, t, 3, worker, 0, new ShardStream.Options(3, 2, 2, null));
      assertEquals(p.samplesPerEpoch(worker), whole.size());
      for (long stop : new long[] {1, 5, 8, 13}) {
        List<float[]> rest = drain(m, p, t, 3, worker, stop, new ShardStream.Options(1, 1, 2, null));
        assertEquals(whole.size() - stop, rest.size());
        for (int i = 0; i < rest.size(); i++) {
          assertArrayEquals(whole.get((int) stop + i), rest.get(i), "worker " + worker + " stop " + stop + " @" + i);
        }
      }
    }
  }

  @Test
  void aRangeStreamYieldsExactlyItsPartOfTheEpochThroughTheSharedCacheAndRecycledArrays() {
    Manifest m = ShardReader.readManifest(CONF, fixture());
    StreamPlan p = StreamPlan.of(m.shards().stream().map(Manifest.ShardEntry::rows).toList(), 11, 2, 4, 7, true);
    Transform t = Transform.padRandomCrop(28, 28, 4, m.mean(), m.std());
    List<float[]> whole = drain(m, p, t, 1, 1, 0, ShardStream.Options.DEFAULT);
    // one batch ahead, so the third batch of a range is decoded into the recycled array of the first
    ShardStream.Options shared = new ShardStream.Options(1, 1, 2, null, true);
    for (long[] range : new long[][] {{0, 12}, {12, 24}}) {
      long from = range[0];
      long until = Math.min(range[1], p.samplesPerEpoch(1));
      int k = 0;
      java.util.Set<float[]> arrays = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      try (ShardStream s = ShardStream.open(CONF, fixture(), m, p, t, 1, 1, from, range[1], shared)) {
        assertEquals(until, s.end());
        while (s.hasNext()) {
          Batch b = s.next();
          arrays.add(b.images().floatArray());
          float[] x = b.images().toFloatArray();
          for (int i = 0; i < b.size(); i++, k++) {
            assertArrayEquals(Arrays.copyOf(whole.get((int) from + k), 784), Arrays.copyOfRange(x, i * 784,
                (i + 1) * 784), "range " + from + " sample " + k);
          }
          s.recycle(b);
        }
        assertEquals(until, s.position());
      }
      assertEquals(until - from, k);
      if (from == 0) {
        assertTrue(arrays.size() < 3, "three batches in " + arrays.size() + " arrays: a recycled one was reused");
      }
    }
    assertEquals(true, ShardCache.shared().heldBytes() > 0, "the shards stayed in the JVM's cache");
  }

  @Test
  void evaluationStreamsEverySampleOnce() {
    Manifest m = ShardReader.readManifest(CONF, fixture());
    StreamPlan p = StreamPlan.of(m.shards().stream().map(Manifest.ShardEntry::rows).toList(), 11, 3, 6, 7, false);
    Transform t = Transform.resize(28, 28, List.of(0.0), List.of(1 / 255.0));
    SampleBlock all = ShardReader.readRange(CONF, fixture(), m, 0, 40);
    int k = 0;
    for (int w = 0; w < 3; w++) {
      for (float[] row : drain(m, p, t, 0, w, 0, ShardStream.Options.DEFAULT)) {
        assertEquals(all.labels[k], (int) row[784]);
        for (int j = 0; j < 784; j++) {
          assertEquals(all.pixels[k * 784 + j] & 0xff, row[j], 1e-3);
        }
        k++;
      }
    }
    assertEquals(40, k);
  }
}
