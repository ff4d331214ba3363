package dev.fovea.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Checked arithmetic on sizes, the one place every reader of an untrusted file (IDX, CIFAR, images,
 * manifests, model files, checkpoints, network JSON) checks a count, a length or a product before
 * allocating. Each check either returns the exact value or throws the caller's own one-line error
 * type (built by a {@link Failure}), never an {@link ArithmeticException} or a wrapped value; the
 * message names the place ({@code where}: the file and, where it helps, the offset), the field and
 * the problem.
 *
 * <p>The shape arithmetic of the ops ({@link Shape#size()}, convolution and pooling output sizes)
 * uses the {@code IllegalArgumentException} forms ({@link #multiply}, {@link #add}, {@link
 * #toInt}), which the command line reports as one line.
 */
public final class Sizes {
  /** The longest Java array this reader allocates (HotSpot's limit is a few elements short of 2^31 - 1). */
  public static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  /** Builds a format's own exception from a one-line message. */
  @FunctionalInterface
  public interface Failure<E extends Exception> {
    E of(String message);
  }

  private Sizes() {}

  /**
   * A count read from a header, checked before anything is allocated for it: {@code 0 <= count <=
   * limit}, and {@code count * bytesEach <= available} (the bytes the file still holds after the
   * field; pass {@code Long.MAX_VALUE} when the length is not known, e.g. inside a gzip stream).
   *
   * @param where the file, and the offset where it helps
   * @param field the header field, e.g. {@code "label count"}
   * @param bytesEach bytes each counted element takes in the file (≥ 1 for the length check to bite)
   * @param limit the largest count accepted (at most {@link #MAX_ARRAY})
   * @return the count as an int
   */
  public static <E extends Exception> int count(String where, String field, long count, long bytesEach,
      long available, long limit, Failure<E> fail) throws E {
    if (count < 0) {
      throw fail.of(where + ": " + field + " " + count + " is negative");
    }
    if (count > limit) {
      throw fail.of(where + ": " + field + " " + count + " exceeds the limit of " + limit);
    }
    long bytes = multiply(where, field + " in bytes", fail, count, bytesEach);
    if (bytes > available) {
      throw fail.of(where + ": " + field + " " + count + " needs " + bytes + " bytes but the file holds only "
          + Math.max(available, 0) + " more");
    }
    return (int) count;
  }

  /**
   * The exact product of {@code factors} (each ≥ 0), or the caller's error naming {@code what} when it
   * does not fit in a long.
   */
  public static <E extends Exception> long multiply(String where, String what, Failure<E> fail, long... factors)
      throws E {
    long p = 1;
    for (long f : factors) {
      if (f < 0) {
        throw fail.of(where + ": " + what + ": negative factor " + f);
      }
      try {
        p = Math.multiplyExact(p, f);
      } catch (ArithmeticException e) {
        throw fail.of(where + ": " + what + " overflows (" + join(factors) + ")");
      }
    }
    return p;
  }

  /**
   * The product of {@code factors} as an array length: exact, and at most {@code limit} (≤ {@link
   * #MAX_ARRAY}); otherwise the caller's error.
   */
  public static <E extends Exception> int arrayLength(String where, String what, long limit, Failure<E> fail,
      long... factors) throws E {
    long p = multiply(where, what, fail, factors);
    if (p > Math.min(limit, MAX_ARRAY)) {
      throw fail.of(where + ": " + what + " " + join(factors) + " = " + p + " exceeds the limit of "
          + Math.min(limit, MAX_ARRAY));
    }
    return (int) p;
  }

  /**
   * A JSON (or YAML) integer field, exactly: fractions ({@code 500.9}), values outside an int
   * ({@code 2^32 + 500}), strings and missing values are the caller's error, never truncated.
   */
  public static <E extends Exception> int jsonInt(JsonNode v, String where, Failure<E> fail) throws E {
    long x = jsonLong(v, where, fail);
    if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
      throw fail.of(where + ": " + x + " is outside the range of a 32-bit integer");
    }
    return (int) x;
  }

  /** A JSON integer field as a long, exactly (see {@link #jsonInt}). */
  public static <E extends Exception> long jsonLong(JsonNode v, String where, Failure<E> fail) throws E {
    if (v == null || v.isMissingNode() || v.isNull()) {
      throw fail.of(where + ": missing (an integer is required)");
    }
    if (!v.isIntegralNumber()) {
      throw fail.of(where + ": expects an integer, got " + abbreviate(v.toString()));
    }
    if (!v.canConvertToLong()) {
      throw fail.of(where + ": " + abbreviate(v.toString()) + " is outside the range of a 64-bit integer");
    }
    return v.longValue();
  }

  /**
   * Reads {@code in} to its end or to {@code max + 1} bytes, whichever comes first, allocating as the
   * bytes arrive (never from a declared size), so a short file costs little whatever it claims. A
   * result longer than {@code max} means the stream holds more than {@code max} bytes; a stream cut
   * short ({@code EOFException}, as gzip's) ends the read like its end.
   *
   * @param max at most {@link #MAX_ARRAY} - 1
   */
  public static byte[] readAtMost(InputStream in, int max) throws IOException {
    int cap = Math.min(max + 1, MAX_ARRAY);
    byte[] b = new byte[Math.min(cap, 1 << 16)];
    int n = 0;
    while (n < cap) {
      if (n == b.length) {
        b = Arrays.copyOf(b, (int) Math.min(cap, 2L * b.length));
      }
      int r;
      try {
        r = in.read(b, n, b.length - n);
      } catch (java.io.EOFException e) {
        r = -1; // a gzip stream cut short ends this way; the caller sees the short length
      }
      if (r < 0) {
        break;
      }
      n += r;
    }
    return n == b.length ? b : Arrays.copyOf(b, n);
  }

  /** {@code a * b} exactly, or an {@code IllegalArgumentException} naming {@code what}. */
  public static int multiply(int a, int b, String what) {
    return toInt((long) a * b, what);
  }

  /** {@code a + b} exactly, or an {@code IllegalArgumentException} naming {@code what}. */
  public static int add(int a, int b, String what) {
    return toInt((long) a + b, what);
  }

  /** {@code v} as an int, or an {@code IllegalArgumentException} naming {@code what} when it does not fit. */
  public static int toInt(long v, String what) {
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(what + " is " + v + ", beyond the 32-bit range of a size");
    }
    return (int) v;
  }

  private static String join(long[] factors) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < factors.length; i++) {
      b.append(i == 0 ? "" : " x ").append(factors[i]);
    }
    return b.toString();
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
