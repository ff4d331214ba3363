package dev.fovea.driver.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Version 4 checkpoints: the {@code --exchange bf16} residuals round-trip bitwise, with and without
 * per-worker velocities; a checkpoint without residuals is written as before (versions 1 to 3).
 */
class CheckpointResidualsTest {
  private static final float[] P = {1f, -2f, 3.5f};
  private static final float[] V = {0.25f, -0f, Float.MIN_VALUE};
  private static final float[] B = {7f};

  private static int version(byte[] b) {
    return ByteBuffer.wrap(b).getInt(8);
  }

  @Test
  void residualsRoundTripBitwise() throws IOException {
    float[][] residuals = {{1e-9f, -0f, 3f, 4f, 5f, 6f}, {Float.MIN_VALUE, 2f, -3f, 4f, 5f}};
    for (float[][] velocities : new float[][][] {null, {{1f, 2f, 3f}, {4f, 5f, 6f}}}) {
      Checkpoint c = new Checkpoint(5, 1, 2, "cfg exchange=bf16", "h", "e", P, V, B, velocities, residuals);
      byte[] bytes = c.encode();
      assertEquals(4, version(bytes));
      Checkpoint back = Checkpoint.decode(bytes, "r.ckpt");
      assertEquals(2, back.exchangeResiduals().length);
      for (int w = 0; w < 2; w++) {
        assertArrayEquals(residuals[w], back.exchangeResiduals()[w], "worker " + w + "'s residuals");
      }
      assertArrayEquals(P, back.params());
      assertArrayEquals(V, back.velocity());
      assertArrayEquals(B, back.buffers());
      assertEquals(velocities == null ? 0 : 2, back.workerVelocities() == null ? 0 : back.workerVelocities().length);
      assertEquals("cfg exchange=bf16", back.config());
    }
  }

  @Test
  void withoutResidualsTheFormatIsUnchanged() throws IOException {
    Checkpoint c = new Checkpoint(5, 1, 2, "cfg", "h", "e", P, V, B);
    byte[] bytes = c.encode();
    assertEquals(1, version(bytes));
    assertNull(Checkpoint.decode(bytes, "r.ckpt").exchangeResiduals());
    assertEquals(2, version(new Checkpoint(5, 1, 2, "cfg", "h", "e", P, V, B, new float[][] {V}).encode()));
  }

  @Test
  void aDamagedResidualSectionIsOneLine() throws IOException {
    byte[] good = new Checkpoint(5, 1, 2, "cfg", "h", "e", P, V, B, null, new float[][] {{1f, 2f}}).encode();
    // the last residual length (int32 2 before 8 bytes of floats and the 8-byte checksum) claims more values
    int at = good.length - 8 - 8 - 4;
    byte[] bad = Arrays.copyOf(good, good.length);
    ByteBuffer.wrap(bad).putInt(at, 1000);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(bad, 0, bad.length - 8);
    ByteBuffer.wrap(bad).putLong(bad.length - 8, crc.getValue());
    String m = assertThrows(Checkpoint.DamagedCheckpointException.class, () -> Checkpoint.decode(bad, "r.ckpt"))
        .getMessage();
    assertTrue(m.startsWith("r.ckpt: offset " + at + ": bf16 residual length 1000 needs 4000 bytes") && !m.contains(
        "\n"), m);
  }
}
