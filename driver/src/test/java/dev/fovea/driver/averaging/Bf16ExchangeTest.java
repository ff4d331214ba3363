package dev.fovea.driver.averaging;

import static dev.fovea.driver.averaging.Bf16Exchange.bf16;
import static dev.fovea.driver.averaging.Bf16Exchange.toFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The bfloat16 conversion (round to nearest, ties to even; subnormals, infinities, NaN, -0.0) and
 * the error feedback of {@link Bf16Exchange}.
 */
class Bf16ExchangeTest {

  private static int bits(short h) {
    return h & 0xffff;
  }

  @Test
  void roundsToNearestWithTiesToEven() {
    assertEquals(0x3f80, bits(bf16(1f)), "1 is exact");
    assertEquals(1f, toFloat(bf16(1f)));
    // bf16 keeps 7 fraction bits: between 1 and 1 + 2^-7, 1 + 2^-8 is the tie
    assertEquals(0x3f80, bits(bf16(Float.intBitsToFloat(0x3f807fff))), "below the tie: down");
    assertEquals(0x3f80, bits(bf16(Float.intBitsToFloat(0x3f808000))), "tie: to the even 1");
    assertEquals(0x3f81, bits(bf16(Float.intBitsToFloat(0x3f808001))), "above the tie: up");
    assertEquals(0x3f82, bits(bf16(Float.intBitsToFloat(0x3f818000))), "tie between 0x3f81 and 0x3f82: to even");
    assertEquals(0x3f81, bits(bf16(Float.intBitsToFloat(0x3f817fff))));
    assertEquals(0xbf80, bits(bf16(Float.intBitsToFloat(0xbf808000))), "negative tie: to even");
    assertEquals(0xbf82, bits(bf16(Float.intBitsToFloat(0xbf818000))));
    assertEquals(0x4000, bits(bf16(Float.intBitsToFloat(0x3fffffff))), "a carry moves into the exponent");
  }

  @Test
  void subnormalsZerosInfinitiesAndNan() {
    assertEquals(0x0000, bits(bf16(Float.MIN_VALUE)), "the smallest subnormal rounds to +0");
    assertEquals(0x0000, bits(bf16(Float.intBitsToFloat(0x00008000))), "subnormal tie: to even 0");
    assertEquals(0x0002, bits(bf16(Float.intBitsToFloat(0x00018000))), "subnormal tie: to even 2");
    assertEquals(0x0001, bits(bf16(Float.intBitsToFloat(0x00010000))), "a bf16 subnormal is exact");
    assertEquals(Math.scalb(1f, -133), toFloat((short) 0x0001));
    assertEquals(0x0080, bits(bf16(Float.intBitsToFloat(0x007fffff))), "the largest subnormal rounds to MIN_NORMAL");
    assertEquals(Float.MIN_NORMAL, toFloat((short) 0x0080));
    assertEquals(0x8000, bits(bf16(-0f)), "-0.0 keeps its sign");
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(toFloat(bf16(-0f))));
    assertEquals(0x8000, bits(bf16(-Float.MIN_VALUE)), "a tiny negative rounds to -0");
    assertEquals(Float.POSITIVE_INFINITY, toFloat(bf16(Float.POSITIVE_INFINITY)));
    assertEquals(Float.NEGATIVE_INFINITY, toFloat(bf16(Float.NEGATIVE_INFINITY)));
    assertEquals(Float.POSITIVE_INFINITY, toFloat(bf16(Float.MAX_VALUE)), "beyond bf16's largest: infinity");
    assertEquals(Float.NEGATIVE_INFINITY, toFloat(bf16(-Float.MAX_VALUE)));
    assertEquals(0x7f7f, bits(bf16(Float.intBitsToFloat(0x7f7f0000))), "bf16's largest finite is exact");
    assertTrue(Float.isNaN(toFloat(bf16(Float.NaN))));
    assertTrue(Float.isNaN(toFloat(bf16(Float.intBitsToFloat(0x7f800001)))), "a NaN with low payload stays NaN");
    assertTrue(Float.isNaN(toFloat(bf16(Float.intBitsToFloat(0xff800001)))), "so does a negative one");
    assertTrue(Float.isNaN(toFloat(bf16(Float.intBitsToFloat(0x7fffffff)))), "and one that would carry");
  }

  /** Against an independent reference: the nearer of the two bf16 neighbours (compared in double), ties to even. */
  @Test
  void agreesWithTheNearerNeighbourOnRandomFloats() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 2_000_000; i++) {
      float f = Float.intBitsToFloat(random.nextInt());
      if (Float.isNaN(f) || Float.isInfinite(f)) {
        continue;
      }
      int down = Float.floatToRawIntBits(f) & 0xffff0000; // toward zero
      int up = down + 0x10000; // away from zero (may be infinity)
      double d = Math.abs((double) f - Float.intBitsToFloat(down));
      double u = Math.abs(Float.intBitsToFloat(up) - (double) f);
      if (Float.isInfinite(Float.intBitsToFloat(up))) { // the neighbour beyond the largest bf16
        u = Math.abs(Math.scalb(1.0, 128) * Math.signum(f) - f);
      }
      int expected = d < u || d == u && (down & 0x10000) == 0 ? down : up;
      assertEquals(expected >>> 16, bits(bf16(f)), () -> Integer.toHexString(Float.floatToRawIntBits(f)));
    }
  }

  /**
   * Over R rounds the sum of what worker sends tracks the sum of its true deltas: Σq − Σδ = −e_R +
   * Σε_r, the last residual (|e_R| ≤ half a bf16 unit of the last δ + e) plus the float rounding of
   * each δ + e (|ε_r| ≤ half a float unit, 2^-16 of a bf16 unit). For R = 2000 that is within one
   * bf16 unit of the largest value sent. Without the feedback, a delta just below a bf16 tie loses
   * a quarter of a unit every round.
   */
  @Test
  void errorFeedbackKeepsTheSumOfWhatIsSentWithinOneBf16Unit() {
    int total = 64;
    int rounds = 2000;
    SplittableRandom random = new SplittableRandom(11);
    Bf16Exchange.Worker codec = new Bf16Exchange.Worker(0, 1, total, new float[total + total]);
    float[] state = new float[total];
    double[] sentSum = new double[total];
    double[] trueSum = new double[total];
    double[] plainSum = new double[total];
    float[] largest = new float[total];
    for (int r = 0; r < rounds; r++) {
      float[] result = new float[total];
      for (int k = 0; k < total; k++) {
        // a steady drift a third of a bf16 unit off its grid, plus noise far below a unit
        float drift = k % 2 == 0 ? 1e-3f * (1 + 0x1p-9f) : -3e-4f;
        result[k] = state[k] + drift + (float) (random.nextGaussian() * 1e-7);
      }
      float[] sent = toFloats(codec, state, result);
      for (int k = 0; k < total; k++) {
        float delta = result[k] - state[k]; // what the codec sees
        trueSum[k] += delta;
        sentSum[k] += sent[k];
        plainSum[k] += toFloat(bf16(delta));
        largest[k] = Math.max(largest[k], Math.abs(sent[k]));
        state[k] = result[k];
      }
    }
    double worstPlain = 0;
    for (int k = 0; k < total; k++) {
      double unit = Math.scalb(1.0, Math.getExponent(largest[k]) - 7); // one bf16 unit of the largest value sent
      double error = Math.abs(sentSum[k] - trueSum[k]);
      assertTrue(error <= unit, "value " + k + ": |Σq − Σδ| = " + error + " > one bf16 unit " + unit);
      worstPlain = Math.max(worstPlain, Math.abs(plainSum[k] - trueSum[k]) / unit);
    }
    assertTrue(worstPlain > 100, "without feedback the rounding accumulates (" + worstPlain + " units)");
  }

  @Test
  void theResidualIsExactlyWhatWasNotSent() {
    SplittableRandom random = new SplittableRandom(3);
    int total = 1000;
    float[] residual = new float[2 * total];
    Bf16Exchange.Worker codec = new Bf16Exchange.Worker(0, 1, total, residual);
    float[] start = new float[total];
    float[] result = new float[total];
    for (int k = 0; k < total; k++) {
      start[k] = (float) random.nextGaussian();
      result[k] = start[k] + (float) (random.nextGaussian() * Math.pow(10, -random.nextInt(8)));
    }
    float[] sent = toFloats(codec, start, result);
    for (int k = 0; k < total; k++) {
      float delta = result[k] - start[k];
      assertEquals(delta, sent[k] + residual[k], "q + e is the delta exactly (first round, e was 0)");
      assertTrue(Math.abs(residual[k]) <= Math.ulp(sent[k]) * 0x1p15f + Float.MIN_VALUE,
          "at most half a bf16 unit");
    }
  }

  /** What the codec sends for {@code result − start} (one worker, the whole vector), as floats. */
  private static float[] toFloats(Bf16Exchange.Worker codec, float[] start, float[] result) {
    short[] q = new short[result.length];
    codec.encode(0, result.length, new float[][] {start}, new float[][] {result}, q);
    float[] sent = new float[q.length];
    for (int k = 0; k < q.length; k++) {
      sent[k] = toFloat(q[k]);
    }
    return sent;
  }

  @Test
  void checkpointResidualsOfTheWrongShapeAreRefused() {
    // 2 workers over 10 values: slices [0, 5) and [5, 10); worker w holds 10 + 5 residuals
    new Bf16Exchange(2, 10, new float[][] {new float[15], new float[15]});
    assertThrows(IllegalArgumentException.class, () -> new Bf16Exchange(3, 10, new float[][] {new float[15],
        new float[15]}));
    assertThrows(IllegalArgumentException.class, () -> new Bf16Exchange(2, 10, new float[][] {new float[15],
        new float[10]}));
  }
}
