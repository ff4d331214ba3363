package dev.fovea.driver.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.image.Transform;
import dev.fovea.data.shard.HadoopConf;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.stream.StreamPlan;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/**
 * The shard set a task carries stays small for an ImageNet-sized set: 1,024 JPEG shards of 1,000
 * classes, whose manifest holds a million per-shard class counts the workers never read.
 */
class ShardInputTest {
  private static final int SHARDS = 1024;
  private static final int CLASSES = 1000;

  static Manifest imagenetLike() {
    List<String> classes = new ArrayList<>();
    for (int c = 0; c < CLASSES; c++) {
      classes.add(String.format("n%08d", c));
    }
    List<Manifest.ShardEntry> shards = new ArrayList<>();
    for (int s = 0; s < SHARDS; s++) {
      List<Long> counts = new ArrayList<>(Collections.nCopies(CLASSES, 1L + s % 3));
      shards.add(new Manifest.ShardEntry(String.format("part-%05d.shard", s), 1251, 150_000_000L + s, "0badc0de", counts));
    }
    List<Long> total = new ArrayList<>(Collections.nCopies(CLASSES, 1281L));
    Manifest.Report report = new Manifest.Report(1_281_167, 3, List.of("a.jpg: truncated"), java.util.Map.of(),
        List.of());
    return new Manifest(Manifest.VERSION, "imagenet/train", "2026-11-27T00:00:00Z", "hdfs://nn/imagenet/train", 7,
        Manifest.JPEG, List.of(3, 0, 0), classes, 1251L * SHARDS, total, List.of(0.485, 0.456, 0.406),
        List.of(0.229, 0.224, 0.225), shards, java.util.Map.of("quality", "90"), report);
  }

  static int serializedBytes(Object o) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(b)) {
      out.writeObject(o);
    }
    return b.size();
  }

  @Test
  void aTaskCarriesWhatReadersUseAndNotTheClassCountsOfEveryShard() throws IOException {
    Manifest full = imagenetLike();
    List<Long> rows = full.shards().stream().map(Manifest.ShardEntry::rows).toList();
    ShardInput in = new ShardInput(new HadoopConf(new Configuration(false)), "hdfs://nn/shards/train", full,
        StreamPlan.of(rows, 7, 256, 32, 1024, true),
        Transform.randomResizedCrop(224, full.mean(), full.std()), 4);

    int fullBytes = serializedBytes(full);
    int taskBytes = serializedBytes(in);
    assertTrue(fullBytes > 4_000_000, "the whole manifest: " + fullBytes + " bytes");
    assertTrue(taskBytes < 200_000, "the shard input a task carries: " + taskBytes + " bytes");

    Manifest m = in.manifest();
    assertEquals(full.encoding(), m.encoding());
    assertEquals(full.sampleShape(), m.sampleShape());
    assertEquals(full.classes(), m.classes());
    assertEquals(full.count(), m.count());
    assertEquals(full.classCounts(), m.classCounts());
    assertEquals(SHARDS, m.shards().size());
    for (int s = 0; s < SHARDS; s++) {
      Manifest.ShardEntry a = full.shards().get(s);
      Manifest.ShardEntry b = m.shards().get(s);
      assertEquals(List.of(a.file(), a.rows(), a.bytes(), a.crc32()), List.of(b.file(), b.rows(), b.bytes(), b.crc32()));
      assertTrue(b.classCounts().isEmpty());
    }
  }
}
