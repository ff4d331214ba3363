package dev.fovea.nn;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Parameter initialisers with Keras's definitions and defaults, all drawn from a seeded {@link
 * SplittableRandom} so a seed fixes every value. Fan-in and fan-out follow Keras: for weights
 * {@code (O, I, k...)} fan-in is {@code I · Πk} and fan-out {@code O · Πk}; for {@code (O, K)} they
 * are K and O. "Truncated" draws are redrawn until they lie within two standard deviations of the
 * mean, whose standard deviation is 0.87962566103423978 times that of the untruncated normal.
 *
 * <table>
 *   <caption>Keras (this class) and PyTorch, side by side</caption>
 *   <tr><th>factory</th><th>Keras definition and default</th><th>PyTorch</th></tr>
 *   <tr><td>{@link #zeros()}, {@link #ones()}</td><td>0, 1</td><td>{@code zeros_}, {@code ones_}: same</td></tr>
 *   <tr><td>{@link #constant(double)}</td><td>value; default 0</td><td>{@code constant_(val)}: no default</td></tr>
 *   <tr><td>{@link #randomNormal()}</td><td>normal, mean 0, stddev 0.05</td><td>{@code normal_}: mean 0, std 1</td></tr>
 *   <tr><td>{@link #randomUniform()}</td><td>uniform on [-0.05, 0.05)</td><td>{@code uniform_}: [0, 1)</td></tr>
 *   <tr><td>{@link #truncatedNormal()}</td><td>mean 0, stddev 0.05, redrawn beyond 2 stddev</td>
 *       <td>{@code trunc_normal_}: mean 0, std 1, cut at the absolute bounds [-2, 2]</td></tr>
 *   <tr><td>{@link #glorotNormal()}</td><td>truncated, stddev {@code sqrt(2 / (fanIn + fanOut)) / 0.8796…}</td>
 *       <td>{@code xavier_normal_}: plain normal, std {@code sqrt(2 / (fanIn + fanOut))}</td></tr>
 *   <tr><td>{@link #glorotUniform()}</td><td>limit {@code sqrt(6 / (fanIn + fanOut))}</td>
 *       <td>{@code xavier_uniform_}: same</td></tr>
 *   <tr><td>{@link #heNormal()}</td><td>truncated, stddev {@code sqrt(2 / fanIn) / 0.8796…}</td>
 *       <td>{@code kaiming_normal_} (fan_in, relu): plain normal, std {@code sqrt(2 / fanIn)} — Fovea's
 *       older {@link Initializer#HE_NORMAL}</td></tr>
 *   <tr><td>{@link #heUniform()}</td><td>limit {@code sqrt(6 / fanIn)}</td>
 *       <td>{@code kaiming_uniform_} (a=0): same; its Conv/Linear default uses a=√5, limit {@code 1 / sqrt(fanIn)}</td></tr>
 *   <tr><td>{@link #lecunNormal()}</td><td>truncated, stddev {@code sqrt(1 / fanIn) / 0.8796…}</td>
 *       <td>none; {@code kaiming_normal_(nonlinearity='linear')} is the plain normal</td></tr>
 *   <tr><td>{@link #lecunUniform()}</td><td>limit {@code sqrt(3 / fanIn)}</td><td>none</td></tr>
 *   <tr><td>{@link #orthogonal()}</td><td>gain × an orthogonal matrix from the QR decomposition of a
 *       normal one (signs fixed so R's diagonal is positive); gain default 1. A weight {@code (O, I,
 *       k...)} is the {@code (O, I · Πk)} matrix: its rows (filters) are orthonormal when {@code O ≤
 *       I · Πk}, else its columns</td><td>{@code orthogonal_}: same</td></tr>
 * </table>
 *
 * @param kind the distribution
 * @param a first parameter: the constant, the mean, or the lower bound (unused by the scaled kinds)
 * @param b second parameter: the standard deviation or the upper bound (unused by the others)
 */
public record WeightInit(Kind kind, double a, double b) implements ParamInit {

  /** The standard deviation of a unit normal truncated to [-2, 2]. */
  public static final double TRUNCATED_STDDEV = 0.87962566103423978;

  /** The distributions. */
  public enum Kind {
    ZEROS,
    ONES,
    CONSTANT,
    RANDOM_NORMAL,
    RANDOM_UNIFORM,
    TRUNCATED_NORMAL,
    GLOROT_NORMAL,
    GLOROT_UNIFORM,
    HE_NORMAL,
    HE_UNIFORM,
    LECUN_NORMAL,
    LECUN_UNIFORM,
    ORTHOGONAL
  }

  public WeightInit {
    if (kind == null) {
      throw new IllegalArgumentException("initializer: kind must not be null");
    }
    if ((kind == Kind.RANDOM_NORMAL || kind == Kind.TRUNCATED_NORMAL) && !(b > 0)) {
      throw new IllegalArgumentException("initializer: " + kind + " stddev must be > 0, got " + b);
    }
    if (kind == Kind.RANDOM_UNIFORM && !(a < b)) {
      throw new IllegalArgumentException("initializer: " + kind + " needs minval < maxval, got " + a + ", " + b);
    }
  }

  /** The kind with Keras's default arguments (see the factories). */
  public static WeightInit of(Kind kind) {
    return switch (kind) {
      case RANDOM_NORMAL -> randomNormal();
      case RANDOM_UNIFORM -> randomUniform();
      case TRUNCATED_NORMAL -> truncatedNormal();
      case ORTHOGONAL -> orthogonal();
      default -> new WeightInit(kind, 0, 0);
    };
  }

  /** Orthogonal with gain 1 (Keras's default). */
  public static WeightInit orthogonal() {
    return orthogonal(1);
  }

  /** Orthogonal times {@code gain}. */
  public static WeightInit orthogonal(double gain) {
    return new WeightInit(Kind.ORTHOGONAL, gain, 0);
  }

  public static WeightInit zeros() {
    return new WeightInit(Kind.ZEROS, 0, 0);
  }

  public static WeightInit ones() {
    return new WeightInit(Kind.ONES, 0, 0);
  }

  /** Every value {@code value}; Keras's default is 0. */
  public static WeightInit constant(double value) {
    return new WeightInit(Kind.CONSTANT, value, 0);
  }

  /** Normal, mean 0 and stddev 0.05 (Keras's defaults). */
  public static WeightInit randomNormal() {
    return randomNormal(0, 0.05);
  }

  public static WeightInit randomNormal(double mean, double stddev) {
    return new WeightInit(Kind.RANDOM_NORMAL, mean, stddev);
  }

  /** Uniform on [-0.05, 0.05) (Keras's defaults). */
  public static WeightInit randomUniform() {
    return randomUniform(-0.05, 0.05);
  }

  public static WeightInit randomUniform(double minval, double maxval) {
    return new WeightInit(Kind.RANDOM_UNIFORM, minval, maxval);
  }

  /** Truncated normal, mean 0 and stddev 0.05 (Keras's defaults), redrawn beyond two stddev. */
  public static WeightInit truncatedNormal() {
    return truncatedNormal(0, 0.05);
  }

  public static WeightInit truncatedNormal(double mean, double stddev) {
    return new WeightInit(Kind.TRUNCATED_NORMAL, mean, stddev);
  }

  public static WeightInit glorotNormal() {
    return new WeightInit(Kind.GLOROT_NORMAL, 0, 0);
  }

  public static WeightInit glorotUniform() {
    return new WeightInit(Kind.GLOROT_UNIFORM, 0, 0);
  }

  public static WeightInit heNormal() {
    return new WeightInit(Kind.HE_NORMAL, 0, 0);
  }

  public static WeightInit heUniform() {
    return new WeightInit(Kind.HE_UNIFORM, 0, 0);
  }

  public static WeightInit lecunNormal() {
    return new WeightInit(Kind.LECUN_NORMAL, 0, 0);
  }

  public static WeightInit lecunUniform() {
    return new WeightInit(Kind.LECUN_UNIFORM, 0, 0);
  }

  /**
   * Fills {@code dst[offset, offset + count)} with draws from {@code rng}.
   *
   * @throws IllegalArgumentException when a scaled kind gets a fan that is not positive
   */
  @Override
  public void fill(float[] dst, int offset, int count, int fanIn, int fanOut, SplittableRandom rng) {
    switch (kind) {
      case ZEROS -> Arrays.fill(dst, offset, offset + count, 0f);
      case ONES -> Arrays.fill(dst, offset, offset + count, 1f);
      case CONSTANT -> Arrays.fill(dst, offset, offset + count, (float) a);
      case RANDOM_NORMAL -> {
        for (int i = 0; i < count; i++) {
          dst[offset + i] = (float) (a + b * Initializer.gaussian(rng));
        }
      }
      case RANDOM_UNIFORM -> uniform(dst, offset, count, a, b, rng);
      case TRUNCATED_NORMAL -> truncated(dst, offset, count, a, b, rng);
      case GLOROT_NORMAL -> truncated(dst, offset, count, 0, Math.sqrt(2.0 / fanAvg(fanIn, fanOut)) / TRUNCATED_STDDEV, rng);
      case GLOROT_UNIFORM -> symmetric(dst, offset, count, Math.sqrt(6.0 / fanAvg(fanIn, fanOut)), rng);
      case HE_NORMAL -> truncated(dst, offset, count, 0, Math.sqrt(2.0 / fan(fanIn)) / TRUNCATED_STDDEV, rng);
      case HE_UNIFORM -> symmetric(dst, offset, count, Math.sqrt(6.0 / fan(fanIn)), rng);
      case LECUN_NORMAL -> truncated(dst, offset, count, 0, Math.sqrt(1.0 / fan(fanIn)) / TRUNCATED_STDDEV, rng);
      case LECUN_UNIFORM -> symmetric(dst, offset, count, Math.sqrt(3.0 / fan(fanIn)), rng);
      case ORTHOGONAL -> orthogonal(dst, offset, count, fan(fanIn), rng);
      default -> throw new AssertionError(kind);
    }
  }

  private int fan(int fanIn) {
    if (fanIn < 1) {
      throw new IllegalArgumentException("initializer: " + kind + " needs fanIn >= 1, got " + fanIn);
    }
    return fanIn;
  }

  /** {@code fanIn + fanOut} (twice Keras's fan_avg). */
  private int fanAvg(int fanIn, int fanOut) {
    if (fanIn < 1 || fanOut < 1) {
      throw new IllegalArgumentException("initializer: " + kind + " needs fanIn and fanOut >= 1, got " + fanIn + ", "
          + fanOut);
    }
    return fanIn + fanOut;
  }

  /**
   * The {@code (count / fanIn, fanIn)} matrix times the gain {@code a}: modified Gram–Schmidt on the
   * columns of a normal {@code (max, min)} matrix (R's diagonal is then positive), transposed when
   * there are fewer rows than columns.
   */
  private void orthogonal(float[] dst, int offset, int count, int cols, SplittableRandom rng) {
    if (count % cols != 0) {
      throw new IllegalArgumentException("initializer: ORTHOGONAL needs a size that is a multiple of fanIn, got "
          + count + " and " + cols);
    }
    int rows = count / cols;
    int n = Math.max(rows, cols);
    int m = Math.min(rows, cols);
    double[][] q = new double[m][n];
    for (int j = 0; j < m; j++) {
      for (int i = 0; i < n; i++) {
        q[j][i] = Initializer.gaussian(rng);
      }
    }
    for (int j = 0; j < m; j++) {
      for (int k = 0; k < j; k++) {
        double dot = 0;
        for (int i = 0; i < n; i++) {
          dot += q[k][i] * q[j][i];
        }
        for (int i = 0; i < n; i++) {
          q[j][i] -= dot * q[k][i];
        }
      }
      double norm = 0;
      for (int i = 0; i < n; i++) {
        norm += q[j][i] * q[j][i];
      }
      norm = Math.sqrt(norm);
      for (int i = 0; i < n; i++) {
        q[j][i] /= norm;
      }
    }
    // q[j] is column j of the (n, m) matrix Q; the weight is Q when rows >= cols, else Qᵀ
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        dst[offset + r * cols + c] = (float) (a * (rows >= cols ? q[c][r] : q[r][c]));
      }
    }
  }

  private static void uniform(float[] dst, int offset, int count, double lo, double hi, SplittableRandom rng) {
    for (int i = 0; i < count; i++) {
      dst[offset + i] = (float) (lo + (hi - lo) * rng.nextDouble());
    }
  }

  private static void symmetric(float[] dst, int offset, int count, double limit, SplittableRandom rng) {
    uniform(dst, offset, count, -limit, limit, rng);
  }

  private static void truncated(float[] dst, int offset, int count, double mean, double stddev, SplittableRandom rng) {
    for (int i = 0; i < count; i++) {
      double z;
      do {
        z = Initializer.gaussian(rng);
      } while (Math.abs(z) > 2);
      dst[offset + i] = (float) (mean + stddev * z);
    }
  }
}
