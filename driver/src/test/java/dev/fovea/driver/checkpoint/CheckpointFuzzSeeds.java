package dev.fovea.driver.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The generator of {@link CheckpointFuzzTest}'s seeds and of the crafted files of {@link
 * CheckpointDecodeTest}: small version-1 and version-2 checkpoints, and copies with a 2 GB header
 * length, a 3 GB parameter count and a billion workers (each with a valid checksum), and one cut
 * short. Run from the module folder: {@code java -cp <test classpath>
 * dev.fovea.driver.checkpoint.CheckpointFuzzSeeds src/test/resources}.
 */
public final class CheckpointFuzzSeeds {
  private CheckpointFuzzSeeds() {}

  static Checkpoint small(boolean perWorker) {
    float[] p = {1, 2, 3};
    float[] v = {0.5f, 0, -1};
    float[] b = {4, 5};
    float[][] w = perWorker ? new float[][] {{1, 1, 1}, {0, 0, 0}} : null;
    return new Checkpoint(12, 1, 2, "config-hash", "{\"round\":1}\n", "", p, v, b, w);
  }

  /** Offset of the int32 after the JSON header (the parameter count). */
  static int afterHeader(byte[] b) {
    return 16 + ByteBuffer.wrap(b).getInt(12);
  }

  /** {@code b} with the int32 at {@code at} replaced and the checksum made valid again. */
  static byte[] withInt(byte[] b, int at, int value) {
    byte[] c = b.clone();
    ByteBuffer.wrap(c).putInt(at, value);
    return CheckpointFuzzTest.withCrc(c);
  }

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0], "dev/fovea/driver/checkpoint/CheckpointFuzzTestInputs/checkpoint");
    Files.createDirectories(dir);
    byte[] v1 = small(false).encode();
    byte[] v2 = small(true).encode();
    Files.write(dir.resolve("valid-v1"), v1);
    Files.write(dir.resolve("valid-v2"), v2);
    Files.write(dir.resolve("huge-header-length"), withInt(v1, 12, Integer.MAX_VALUE));
    Files.write(dir.resolve("huge-parameter-count"), withInt(v1, afterHeader(v1), 375_000_000));
    // Version 2, no parameters: W × 0 bytes matches any W, so only the limit stops a billion arrays.
    byte[] none = new Checkpoint(1, 0, 1, "c", "", "", new float[0], new float[0], new float[0],
        new float[][] {{}}).encode();
    Files.write(dir.resolve("billion-workers"), withInt(none, none.length - 12, 1_000_000_000));
    Files.write(dir.resolve("truncated"), Arrays.copyOf(v2, v2.length - 9));
  }
}
