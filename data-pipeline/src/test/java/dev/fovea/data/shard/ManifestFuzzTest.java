package dev.fovea.data.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fovea.data.DataException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Any bytes read as a {@code manifest.json} either give a manifest whose counts agree and whose shard
 * paths stay inside the shard set, or fail with a {@link DataException} whose message is one line
 * naming the file: never another exception, an {@code OutOfMemoryError} or a hang (10 s per input).
 * Seeds and findings: {@code src/test/resources/dev/fovea/data/shard/ManifestFuzzTestInputs/manifest}
 * (a valid version-1 and version-2 manifest and damaged copies, written by hand from the fixture).
 */
class ManifestFuzzTest {

  @FuzzTest(maxDuration = "30s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void manifest(byte[] data) {
    try {
      Manifest m = Manifest.parse(data, "fuzz/manifest.json");
      long rows = 0;
      for (Manifest.ShardEntry e : m.shards()) {
        assertFalse(e.file().startsWith("/") || ("/" + e.file() + "/").contains("/../"), e.file());
        rows += e.rows();
      }
      assertEquals(m.count(), rows);
      if (Manifest.RAW.equals(m.encoding())) {
        assertTrue(m.shape().size() > 0);
      }
    } catch (DataException e) {
      assertTrue(e.getMessage().startsWith("fuzz/manifest.json: "), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }
}
