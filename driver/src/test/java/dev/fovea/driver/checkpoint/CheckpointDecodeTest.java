package dev.fovea.driver.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Checkpoints whose header fields are crafted (each with a valid checksum, so that only the checks
 * behind it can refuse them): one line naming the file, the field's offset and the problem, before
 * anything is allocated for it.
 */
class CheckpointDecodeTest {

  private static String refusal(byte[] b) {
    String m = assertThrows(Checkpoint.DamagedCheckpointException.class, () -> Checkpoint.decode(b, "r.ckpt"))
        .getMessage();
    assertTrue(m.startsWith("r.ckpt: ") && !m.contains("\n"), m);
    return m;
  }

  @Test
  void bothVersionsRoundTrip() throws IOException {
    for (boolean perWorker : new boolean[] {false, true}) {
      Checkpoint c = CheckpointFuzzSeeds.small(perWorker);
      Checkpoint back = Checkpoint.decode(c.encode(), "r.ckpt");
      assertArrayEquals(c.params(), back.params());
      assertArrayEquals(c.buffers(), back.buffers());
      assertEquals(c.round(), back.round());
      assertEquals(perWorker ? 2 : 0, back.workerVelocities() == null ? 0 : back.workerVelocities().length);
    }
  }

  @Test
  void craftedSizesAreRefusedBeforeAllocating() {
    byte[] v1 = CheckpointFuzzSeeds.small(false).encode();
    // A 2 GB header length once allocated 2 GB (Arrays.copyOfRange pads); a negative one threw.
    assertEquals("r.ckpt: offset 12: header length 2147483647 exceeds the limit of 268435456",
        refusal(CheckpointFuzzSeeds.withInt(v1, 12, Integer.MAX_VALUE)));
    assertEquals("r.ckpt: offset 12: header length -1 is negative", refusal(CheckpointFuzzSeeds.withInt(v1, 12, -1)));
    assertTrue(refusal(CheckpointFuzzSeeds.withInt(v1, 12, 100_000)).startsWith(
        "r.ckpt: offset 12: header length 100000 needs 100000 bytes but the file holds only "));
    // 3 GB of parameters and velocity declared.
    int at = CheckpointFuzzSeeds.afterHeader(v1);
    assertTrue(refusal(CheckpointFuzzSeeds.withInt(v1, at, 375_000_000)).startsWith("r.ckpt: offset " + at
        + ": parameter count 375000000 needs 3000000000 bytes but the file holds only "));
    // Version 2 without parameters: W x 0 bytes matches any W; a billion workers once meant a billion arrays.
    byte[] none = new Checkpoint(1, 0, 1, "c", "", "", new float[0], new float[0], new float[0], new float[][] {{}})
        .encode();
    String m = refusal(CheckpointFuzzSeeds.withInt(none, none.length - 12, 1_000_000_000));
    assertTrue(m.startsWith("r.ckpt: offset " + (none.length - 12) + ": worker velocity count 1000000000 does not "
        + "match the file size"), m);
    assertTrue(refusal(Arrays.copyOf(v1, v1.length - 9)).contains("checksum mismatch"));
  }

  @Test
  void headerFieldsAreExactIntegers() {
    Checkpoint c = new Checkpoint(3, 1, 2, "c", "", "", new float[1], new float[1], new float[0]);
    byte[] b = c.encode();
    String json = new String(b, 16, java.nio.ByteBuffer.wrap(b).getInt(12), java.nio.charset.StandardCharsets.UTF_8);
    byte[] h = json.replace("\"epoch\":1", "\"epoch\":4294967297").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(b.length - json.length() + h.length);
    out.put(b, 0, 12).putInt(h.length).put(h).put(b, 16 + json.length(), b.length - 16 - json.length());
    assertEquals("r.ckpt: header: epoch: 4294967297 is outside the range of a 32-bit integer",
        refusal(CheckpointFuzzTest.withCrc(out.array())));
  }

  @Test
  void versionThreeHoldsEveryStateBlockOfEveryWorker() throws IOException {
    float[] p = {1, 2, 3};
    float[] adam = {0.1f, 0.2f, 0.3f, 1e-3f, 2e-3f, 3e-3f}; // first moments, then second moments
    for (float[][] workers : new float[][][] {null, {adam, adam.clone()}}) {
      byte[] b = new Checkpoint(5, 0, 5, "c", "", "", p, adam, new float[] {7}, workers).encode();
      assertEquals(3, java.nio.ByteBuffer.wrap(b).getInt(8), "two state blocks are version 3");
      Checkpoint back = Checkpoint.decode(b, "r.ckpt");
      assertEquals(2, back.stateBlocks());
      assertArrayEquals(adam, back.velocity());
      assertArrayEquals(p, back.params());
      assertArrayEquals(new float[] {7}, back.buffers());
      assertEquals(workers == null ? 0 : 2, back.workerVelocities() == null ? 0 : back.workerVelocities().length);
      if (workers != null) {
        assertArrayEquals(adam, back.workerVelocities()[1]);
      }
    }
    assertEquals(1, java.nio.ByteBuffer.wrap(CheckpointFuzzSeeds.small(false).encode()).getInt(8),
        "one state block stays version 1, readable by earlier code");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Checkpoint(5, 0, 5, "c", "", "", p, new float[4], new float[0]).encode());
    assertTrue(e.getMessage().contains("4 optimizer state values are not 1 to 8 blocks of 3 parameters"),
        e.getMessage());
  }

  @Test
  void aCraftedStateBlockCountIsRefused() throws IOException {
    byte[] b = new Checkpoint(5, 0, 5, "c", "", "", new float[] {1}, new float[] {1, 2}, new float[0]).encode();
    String json = new String(b, 16, java.nio.ByteBuffer.wrap(b).getInt(12), java.nio.charset.StandardCharsets.UTF_8);
    byte[] h = json.replace("\"state_blocks\":2", "\"state_blocks\":9")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(b.length - json.length() + h.length);
    out.put(b, 0, 12).putInt(h.length).put(h).put(b, 16 + json.length(), b.length - 16 - json.length());
    assertTrue(refusal(CheckpointFuzzTest.withCrc(out.array())).endsWith(": header: state_blocks 9 is not in [1, 8]"));
  }

  /**
   * A version 1 file laid out by hand as the code before optimizer state blocks wrote it (header,
   * P, P parameters, P velocity, B, B buffers, CRC), independent of today's encoder: it still loads,
   * as one block of SGD velocity.
   */
  @Test
  void aVersionOneFileOfEarlierCodeStillLoads() throws IOException {
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    java.io.DataOutputStream d = new java.io.DataOutputStream(buf);
    byte[] header = ("{\"round\":4,\"epoch\":0,\"round_in_epoch\":4,\"config\":\"c\",\"history\":\"\","
        + "\"epochs\":\"\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    d.write("FOVEACKP".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    d.writeInt(1);
    d.writeInt(header.length);
    d.write(header);
    d.writeInt(2);
    for (float f : new float[] {1, 2, 0.5f, -0.5f}) {
      d.writeFloat(f);
    }
    d.writeInt(1);
    d.writeFloat(9);
    d.flush();
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(buf.toByteArray());
    d.writeLong(crc.getValue());
    Checkpoint c = Checkpoint.decode(buf.toByteArray(), "old.ckpt");
    assertArrayEquals(new float[] {1, 2}, c.params());
    assertArrayEquals(new float[] {0.5f, -0.5f}, c.velocity());
    assertEquals(1, c.stateBlocks());
    assertEquals(4, c.round());
  }
}
