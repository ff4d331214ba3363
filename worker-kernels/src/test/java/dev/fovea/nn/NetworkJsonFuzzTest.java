package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Any text given to {@link NetworkJson#parse} (and {@link NetworkJson#parseYaml}) either builds a
 * network or fails with a {@link NetworkJson.NetworkJsonException} whose message is one line naming
 * the source: never another exception, an {@code OutOfMemoryError} or a hang (10 s per input). Seeds
 * and findings: {@code src/test/resources/dev/fovea/nn/NetworkJsonFuzzTestInputs/networkJson}
 * (seeds written by {@link FuzzSeeds}).
 */
class NetworkJsonFuzzTest {

  @FuzzTest(maxDuration = "30s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void networkJson(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    try {
      Network net = NetworkJson.parse(text, "fuzz.json");
      assertTrue(net.layout().size() >= 0);
    } catch (NetworkJson.NetworkJsonException e) {
      assertTrue(e.getMessage().startsWith("fuzz.json"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }
}
