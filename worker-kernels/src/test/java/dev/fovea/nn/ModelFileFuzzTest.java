package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Timeout;

/**
 * Any bytes given to {@link ModelFile#read} either load or fail with a {@link
 * ModelFile.ModelFileException} whose message is one line naming the file: never another exception,
 * an {@code OutOfMemoryError} (the fuzzing JVM has a 512 MB heap) or a hang (10 s per input). Each
 * input is read twice: as it is, and with its last 8 bytes replaced by the CRC-32 of the rest, so
 * that mutations reach the parser behind the checksum. Seeds and findings: {@code
 * src/test/resources/dev/fovea/nn/ModelFileFuzzTestInputs/modelFile} (seeds written by {@link
 * FuzzSeeds}).
 */
class ModelFileFuzzTest {

  @FuzzTest(maxDuration = "30s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void modelFile(byte[] data) throws IOException {
    read(data);
    read(withCrc(data));
  }

  private static void read(byte[] data) throws IOException {
    try {
      ModelFile.Model m = ModelFile.read(new ByteArrayInputStream(data), "fuzz.fovea");
      assertTrue(m.params().length == m.network().layout().size());
    } catch (ModelFile.ModelFileException e) {
      assertTrue(e.getMessage().startsWith("fuzz.fovea: "), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }

  /** {@code data} with its trailing int64 set to the CRC-32 of the bytes before it, as the format ends. */
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
