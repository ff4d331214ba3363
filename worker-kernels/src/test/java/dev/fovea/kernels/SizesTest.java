package dev.fovea.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The checked sizes every reader of an untrusted file uses, and the exact shape arithmetic of the ops. */
class SizesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static final class Bad extends Exception {
    private static final long serialVersionUID = 1L;

    Bad(String message) {
      super(message);
    }
  }

  @Test
  void countsAreCheckedForSignLimitAndTheBytesLeft() throws Bad {
    assertEquals(5, Sizes.count("f", "n", 5, 4, 20, 10, Bad::new));
    assertEquals("f: offset 4: label count -1 is negative",
        assertThrows(Bad.class, () -> Sizes.count("f: offset 4", "label count", -1, 1, 10, 10, Bad::new)).getMessage());
    assertEquals("f: n 11 exceeds the limit of 10",
        assertThrows(Bad.class, () -> Sizes.count("f", "n", 11, 1, 100, 10, Bad::new)).getMessage());
    assertEquals("f: n 6 needs 24 bytes but the file holds only 20 more",
        assertThrows(Bad.class, () -> Sizes.count("f", "n", 6, 4, 20, 10, Bad::new)).getMessage());
    // 3 GB of float32s declared in a file of 100 bytes: refused from the count alone.
    assertTrue(assertThrows(Bad.class, () -> Sizes.count("m", "parameter count", 750_000_000, 4, 100,
        Sizes.MAX_ARRAY, Bad::new)).getMessage().contains("needs 3000000000 bytes but the file holds only 100 more"));
  }

  @Test
  void productsAreExact() throws Bad {
    assertEquals(6, Sizes.arrayLength("f", "shape", 10, Bad::new, 1, 2, 3));
    assertTrue(assertThrows(Bad.class, () -> Sizes.multiply("f", "shape", Bad::new, Long.MAX_VALUE, 2))
        .getMessage().startsWith("f: shape overflows ("));
    assertTrue(assertThrows(Bad.class, () -> Sizes.arrayLength("f", "sample_shape", Sizes.MAX_ARRAY, Bad::new,
        65536, 65536, 65536)).getMessage().contains("exceeds the limit"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Sizes.multiply(65536, 65536, "deconvolution: output channels"));
    assertEquals("deconvolution: output channels is 4294967296, beyond the 32-bit range of a size", e.getMessage());
  }

  @Test
  void jsonIntegersAreExact() throws Exception {
    assertEquals(500, Sizes.jsonInt(JSON.readTree("500"), "f", Bad::new));
    assertEquals("f: filters: 4294967796 is outside the range of a 32-bit integer", assertThrows(Bad.class,
        () -> Sizes.jsonInt(JSON.readTree("4294967796"), "f: filters", Bad::new)).getMessage());
    assertEquals("f: units: expects an integer, got 500.9", assertThrows(Bad.class,
        () -> Sizes.jsonInt(JSON.readTree("500.9"), "f: units", Bad::new)).getMessage());
    assertTrue(assertThrows(Bad.class, () -> Sizes.jsonLong(JSON.readTree("123456789012345678901234567890"), "f",
        Bad::new)).getMessage().contains("outside the range of a 64-bit integer"));
    assertEquals("f: missing (an integer is required)",
        assertThrows(Bad.class, () -> Sizes.jsonInt(JSON.readTree("{}").path("x"), "f", Bad::new)).getMessage());
  }

  @Test
  void readsAllocateAsBytesArriveNotAsDeclared() throws IOException {
    assertArrayEquals(new byte[] {1, 2, 3}, Sizes.readAtMost(new ByteArrayInputStream(new byte[] {1, 2, 3}),
        Sizes.MAX_ARRAY - 1));
    assertEquals(5, Sizes.readAtMost(new ByteArrayInputStream(new byte[10]), 4).length, "max + 1: more than max");
    InputStream cut = new InputStream() {
      int left = 2;

      @Override
      public int read() throws IOException {
        if (left-- > 0) {
          return 7;
        }
        throw new java.io.EOFException("Unexpected end of ZLIB input stream");
      }
    };
    assertArrayEquals(new byte[] {7, 7}, Sizes.readAtMost(cut, 100));
  }

  @Test
  void shapeSizeAndConvolutionArithmeticAreExact() {
    assertEquals(24, Shape.of(2, 3, 4).size());
    // (2^31 - 1)^3 x 4 is past 2^63: the old long product wrapped before its one check at the end.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Shape.of(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 4).size());
    assertTrue(e.getMessage().startsWith("shape (2147483647, 2147483647, 2147483647, 4) has more elements than a "
        + "Java array holds"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Shape.of(1, 65536, 65536).sampleSize());
    ConvParams wide = new ConvParams(new int[] {1, 1}, new int[] {Integer.MAX_VALUE, 0},
        new int[] {Integer.MAX_VALUE, 0}, new int[] {1, 1}, 1);
    e = assertThrows(IllegalArgumentException.class, () -> wide.outputShape(Shape.of(1, 1, 4, 4), Shape.of(1, 1, 1, 1)));
    assertTrue(e.getMessage().startsWith("convolution: output size on spatial axis 0 is 4294967298"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConvParams.same(new int[] {3, 3},
        new int[] {Integer.MAX_VALUE, 1}, new int[] {Integer.MAX_VALUE, 1}, new int[] {4, 4}, 1));
    assertTrue(e.getMessage().startsWith("convolution: 'same' padding on spatial axis 0"), e.getMessage());
  }
}
