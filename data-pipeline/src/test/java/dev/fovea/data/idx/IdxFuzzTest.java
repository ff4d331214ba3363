package dev.fovea.data.idx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fovea.data.DataException;
import java.io.ByteArrayInputStream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Any bytes read as an IDX image or label file, with the file's length known (a plain file) or not
 * (as inside gzip), either load or fail with a {@link DataException} whose message is one line
 * naming the file: never another exception, an {@code OutOfMemoryError} (the fuzzing JVM has a
 * 512 MB heap, so a header declaring gigabytes must be refused before allocating) or a hang (10 s
 * per input). Seeds and findings: {@code src/test/resources/dev/fovea/data/idx/IdxFuzzTestInputs/idx}
 * (seeds written by {@link IdxFuzzSeeds}).
 */
class IdxFuzzTest {

  @FuzzTest(maxDuration = "30s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void idx(byte[] data) {
    for (long length : new long[] {data.length, -1}) {
      try {
        IdxReader.Images im = IdxReader.readImages(new ByteArrayInputStream(data), length, "fuzz-idx3");
        assertEquals((long) im.count() * im.rows() * im.cols(), im.pixels().length);
      } catch (DataException e) {
        oneLine(e, "fuzz-idx3");
      }
      try {
        IdxReader.readLabels(new ByteArrayInputStream(data), length, "fuzz-idx1");
      } catch (DataException e) {
        oneLine(e, "fuzz-idx1");
      }
    }
  }

  private static void oneLine(DataException e, String name) {
    assertTrue(e.getMessage().startsWith(name + ": "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }
}
