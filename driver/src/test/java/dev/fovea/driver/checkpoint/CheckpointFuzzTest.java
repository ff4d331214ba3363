package dev.fovea.driver.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Timeout;

/**
 * Any bytes given to {@link Checkpoint#decode} either decode or fail with a {@link
 * Checkpoint.DamagedCheckpointException} whose message is one line naming the file: never another
 * exception, an {@code OutOfMemoryError} (the fuzzing JVM has a 512 MB heap, so header lengths and
 * per-worker state counts must be checked before allocating) or a hang (10 s per input). Each input
 * is decoded as it is and with its last 8 bytes set to the CRC-32 of the rest, so that mutations
 * reach the fields behind the checksum. Seeds and findings: {@code
 * src/test/resources/dev/fovea/driver/checkpoint/CheckpointFuzzTestInputs/checkpoint} (written by
 * {@link CheckpointFuzzSeeds}).
 */
class CheckpointFuzzTest {

  @FuzzTest(maxDuration = "30s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void checkpoint(byte[] data) throws IOException {
    decode(data);
    decode(withCrc(data));
  }

  private static void decode(byte[] data) throws IOException {
    try {
      Checkpoint c = Checkpoint.decode(data, "fuzz.ckpt");
      assertEquals(c.params().length, c.velocity().length);
      if (c.workerVelocities() != null) {
        for (float[] w : c.workerVelocities()) {
          assertEquals(c.params().length, w.length);
        }
      }
    } catch (Checkpoint.DamagedCheckpointException e) {
      assertTrue(e.getMessage().startsWith("fuzz.ckpt: "), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }

  /** {@code data} with its trailing int64 set to the CRC-32 of the bytes before it. */
  static byte[] withCrc(byte[] data) {
    if (data.length < 8) {
      return data;
    }
    byte[] b = Arrays.copyOf(data, data.length);
    CRC32 crc = new CRC32();
    crc.update(b, 0, b.length - 8);
    ByteBuffer.wrap(b).putLong(b.length - 8, crc.getValue());
    return b;
  }
}
