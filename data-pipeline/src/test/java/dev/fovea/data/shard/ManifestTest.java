package dev.fovea.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.data.DataException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Manifests are checked whole on the driver before any task starts: crafted paths, signs, counts
 * and shapes are one line naming the manifest and the field.
 */
class ManifestTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode fixture() throws IOException {
    try (InputStream in = ManifestTest.class.getResourceAsStream("/fixtures/fashion-mnist-v1/manifest.json")) {
      return (ObjectNode) JSON.readTree(in);
    }
  }

  /** The message parsing the fixture changed by {@code change} gives. */
  private static String refusal(Consumer<ObjectNode> change) throws IOException {
    ObjectNode m = fixture();
    change.accept(m);
    return refusal(JSON.writeValueAsString(m));
  }

  private static String refusal(String json) {
    String msg = assertThrows(DataException.class,
        () -> Manifest.parse(json.getBytes(StandardCharsets.UTF_8), "set/manifest.json")).getMessage();
    assertTrue(msg.startsWith("set/manifest.json: ") && !msg.contains("\n"), msg);
    return msg;
  }

  private static ObjectNode shard(ObjectNode m, int i) {
    return (ObjectNode) m.withArray("shards").get(i);
  }

  @Test
  void theFixtureParses() throws IOException {
    Manifest m = Manifest.parse(JSON.writeValueAsBytes(fixture()), "set/manifest.json");
    assertEquals(40, m.count());
  }

  @Test
  void shardPathsStayInsideTheShardSet() throws IOException {
    assertEquals("set/manifest.json: shards[0].file '../../etc/passwd' is not a path inside the shard set (relative,"
        + " without '..', '.', '//', ':' or '\\')", refusal(m -> shard(m, 0).put("file", "../../etc/passwd")));
    assertTrue(refusal(m -> shard(m, 1).put("file", "/etc/passwd")).startsWith(
        "set/manifest.json: shards[1].file '/etc/passwd' is not a path inside the shard set"));
    assertTrue(refusal(m -> shard(m, 1).put("file", "shards/../../x")).contains("shards[1].file"));
    assertTrue(refusal(m -> shard(m, 1).put("file", "hdfs://elsewhere/x")).contains("shards[1].file"));
    assertTrue(refusal(m -> shard(m, 1).put("file", "a\\..\\..\\x")).contains("shards[1].file"));
    assertTrue(refusal(m -> shard(m, 1).put("file", shard(m, 0).path("file").asText())).contains("listed twice"));
  }

  @Test
  void anOutsideFileIsNeverOpenedSoNothingOfItLeaks(@TempDir Path tmp) throws IOException {
    byte[] secret = new byte[987_653];
    secret[0] = 42;
    Files.write(tmp.resolve("secret"), secret);
    Files.createDirectories(tmp.resolve("set"));
    ObjectNode m = fixture();
    shard(m, 0).put("file", "../secret");
    Files.write(tmp.resolve("set/manifest.json"), JSON.writeValueAsBytes(m));
    DataException e = assertThrows(DataException.class,
        () -> ShardReader.readManifest(new Configuration(), tmp.resolve("set").toString()));
    assertTrue(e.getMessage().contains("shards[0].file '../secret' is not a path inside the shard set"),
        e.getMessage());
    assertFalse(e.getMessage().contains(Integer.toString(secret.length)), e.getMessage());
    assertFalse(e.getMessage().contains(ShardReader.crc32(secret, secret.length)), e.getMessage());
  }

  @Test
  void countsAreCheckedForSignAndAgainstEachOther() throws IOException {
    assertEquals("set/manifest.json: count -40 is negative", refusal(m -> m.put("count", -40)));
    assertEquals("set/manifest.json: shards[0].rows -20 is negative",
        refusal(m -> shard(m, 0).put("rows", -20)));
    assertEquals("set/manifest.json: shards[0..0].rows add up to more than count 40",
        refusal(m -> shard(m, 0).put("rows", 2_000_000_000L).putArray("class_counts")));
    assertEquals("set/manifest.json: shards[].rows add up to 39, count says 40",
        refusal(m -> {
          shard(m, 1).put("rows", 19);
          ((ArrayNode) shard(m, 1).get("class_counts")).set(0, 2);
        }));
    assertEquals("set/manifest.json: class_counts add up to 41, not 40",
        refusal(m -> ((ArrayNode) m.get("class_counts")).set(0, 4)));
    assertEquals("set/manifest.json: class_counts has 9 entries for 10 classes",
        refusal(m -> ((ArrayNode) m.get("class_counts")).remove(9)));
    assertEquals("set/manifest.json: shards[1].class_counts add up to 2000000000017, not 20",
        refusal(m -> ((ArrayNode) shard(m, 1).get("class_counts")).set(0, 2_000_000_000_000L)));
    assertEquals("set/manifest.json: shards[1].bytes -5 is negative", refusal(m -> shard(m, 1).put("bytes", -5)));
    assertEquals("set/manifest.json: shards[1].crc32 'zz' is not 8 hex digits",
        refusal(m -> shard(m, 1).put("crc32", "zz")));
    assertEquals("set/manifest.json: mean has 3 values for 1 channels",
        refusal(m -> m.putArray("mean").add(0.1).add(0.2).add(0.3)));
  }

  @Test
  void shapesAreCheckedForRankSignAndSize() throws IOException {
    assertEquals("set/manifest.json: sample_shape [1, 28] must be (C, H, W): three integers",
        refusal(m -> m.putArray("sample_shape").add(1).add(28)));
    assertEquals("set/manifest.json: sample_shape [1, -28, 28] has a negative or zero channel count",
        refusal(m -> m.putArray("sample_shape").add(1).add(-28).add(28)));
    assertTrue(refusal(m -> m.putArray("sample_shape").add(65536).add(65536).add(65536))
        .startsWith("set/manifest.json: sample_shape 65536 x 65536 x 65536 = 281474976710656 exceeds the limit"));
  }

  @Test
  void integersAreExact() throws IOException {
    String json = JSON.writeValueAsString(fixture());
    assertTrue(refusal(json.replace("\"version\":1", "\"version\":1.9")).contains("not a valid manifest"));
    String m = refusal(json.replace("\"sample_shape\":[1,28,28]", "\"sample_shape\":[4294967797,28,28]"));
    assertTrue(m.contains("not a valid manifest") && m.contains("4294967797"), m);
  }

  @Test
  void aSetWithoutTargetHasClassTargetsAndItsHashIsUnchanged() throws IOException {
    byte[] json = JSON.writeValueAsBytes(fixture());
    Manifest m = Manifest.parse(json, "set/manifest.json");
    assertTrue(m.targetSpec().isClass());
    assertTrue(m.target() == null);
    assertTrue(!new String(m.toJson(), StandardCharsets.UTF_8).contains("\"target\""));
  }

  @Test
  void imageTargetsRoundTripAndAreChecked() throws IOException {
    ObjectNode f = fixture();
    f.putObject("target").put("kind", "image").putArray("shape").add(1).add(28).add(28);
    Manifest m = Manifest.parse(JSON.writeValueAsBytes(f), "set/manifest.json");
    assertEquals(TargetSpec.image(1, 28, 28), m.targetSpec());
    assertEquals(784, m.targetSpec().bytesPerSample());
    assertEquals("image (1, 28, 28)", m.targetSpec().describe());
    assertEquals(m.targetSpec(), Manifest.parse(m.toJson(), "again").targetSpec());
    assertEquals(m.sha256(), Manifest.parse(m.toJson(), "again").sha256());

    assertEquals("set/manifest.json: target.kind picture is not one of [class, multi_hot, float_vector, image, mask]",
        refusal(x -> x.putObject("target").put("kind", "picture").putArray("shape").add(1)));
    assertEquals("set/manifest.json: target.shape [28, 28] of a image target needs 3 dimensions",
        refusal(x -> x.putObject("target").put("kind", "image").putArray("shape").add(28).add(28)));
    assertEquals("set/manifest.json: target.shape [0] has a dimension below 1",
        refusal(x -> x.putObject("target").put("kind", "float_vector").putArray("shape").add(0)));
    assertTrue(refusal(x -> x.putObject("target").put("kind", "mask").putArray("shape").add(1 << 20).add(1 << 20))
        .startsWith("set/manifest.json: target.shape"));
  }

  @Test
  void targetsDecodeAsTheirKindSays() {
    float[] out = new float[3];
    TargetSpec.image(1, 1, 3).decode(new byte[] {0, (byte) 255, 51}, out, 0);
    assertArrayEquals(new float[] {0, 1, 0.2f}, out, 0);
    new TargetSpec(TargetSpec.MASK, java.util.List.of(1, 3)).decode(new byte[] {0, 2, (byte) 200}, out, 0);
    assertArrayEquals(new float[] {0, 2, 200}, out, 0);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putFloat(-1.5f).putFloat(3e7f).putFloat(0.25f);
    new TargetSpec(TargetSpec.FLOAT_VECTOR, java.util.List.of(3)).decode(b.array(), out, 0);
    assertArrayEquals(new float[] {-1.5f, 3e7f, 0.25f}, out, 0);
    assertEquals(12, new TargetSpec(TargetSpec.FLOAT_VECTOR, java.util.List.of(3)).bytesPerSample());
  }
}
