package dev.fovea.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Any bytes given to {@link PlainPng#decode}, for one and three channels, either give null (the
 * caller's codec decides), a one-line {@link ImageCodec.BadImageException}, or an image whose
 * pixels are exactly what the native codec ({@link Codecs#best()}) decodes from the same bytes:
 * never another exception, an {@code OutOfMemoryError} (the fuzzing JVM has a 512 MB heap, so a
 * header declaring more pixels than the data can inflate to must be refused before allocating) or
 * a hang (10 s per input). Seeds: {@code src/test/resources/dev/fovea/data/image/PlainPngFuzzTestInputs/png}
 * (a grey and an RGB file with every row filter, written by Python's zlib).
 */
class PlainPngFuzzTest {

  @FuzzTest(maxDuration = "30s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void png(byte[] data) {
    for (int channels : new int[] {1, 3}) {
      Image plain;
      try {
        plain = PlainPng.decode(data, channels);
      } catch (ImageCodec.BadImageException e) {
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        continue;
      }
      if (plain != null) {
        Image reference = Codecs.best().decode(data, channels);
        assertEquals(reference.width(), plain.width());
        assertEquals(reference.height(), plain.height());
        assertEquals(reference.channels(), plain.channels());
        assertArrayEquals(reference.pixels(), plain.pixels());
      }
    }
  }
}
