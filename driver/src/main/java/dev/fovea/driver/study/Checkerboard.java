package dev.fovea.driver.study;

/**
 * Two measures of the checkerboard pattern that stride-2 upsampling leaves in an image: energy at
 * the period-2 (Nyquist) frequencies, and the variation inside aligned 2×2 blocks where the target
 * is flat. Images are {@code (H, W)} planes of values in [0, 1], H and W even.
 */
public final class Checkerboard {
  private Checkerboard() {}

  /**
   * The share of an image's AC spectral energy at the three Nyquist frequencies of its 2-D DFT,
   * {@code (H/2, 0)}, {@code (0, W/2)} and {@code (H/2, W/2)}:
   *
   * <pre>
   *   Y(H/2, 0) = Σ y(m, n)·(-1)^m,  Y(0, W/2) = Σ y(m, n)·(-1)^n,  Y(H/2, W/2) = Σ y(m, n)·(-1)^(m+n)
   *   share = (|Y(H/2,0)|² + |Y(0,W/2)|² + |Y(H/2,W/2)|²) / (H·W·Σ y² - (Σ y)²)
   * </pre>
   *
   * (the denominator is Σ over every frequency but DC of |Y|², by Parseval). A pure stride-2
   * pattern of period 2 gives 1, a constant image or one without AC energy NaN.
   */
  public static double nyquistShare(float[] y, int offset, int h, int w) {
    double sum = 0;
    double sq = 0;
    double rows = 0;
    double cols = 0;
    double both = 0;
    for (int m = 0; m < h; m++) {
      for (int n = 0; n < w; n++) {
        double v = y[offset + m * w + n];
        sum += v;
        sq += v * v;
        rows += (m % 2 == 0) ? v : -v;
        cols += (n % 2 == 0) ? v : -v;
        both += ((m + n) % 2 == 0) ? v : -v;
      }
    }
    double ac = (double) h * w * sq - sum * sum;
    return ac <= 1e-12 ? Double.NaN : (rows * rows + cols * cols + both * both) / ac;
  }

  /** Sums over an image's flat blocks: {@code squares} of deviations, {@code values} counted, {@code blocks}. */
  public record Flat(double squares, long values, long blocks) {
    public Flat plus(Flat o) {
      return new Flat(squares + o.squares, values + o.values, blocks + o.blocks);
    }

    /** RMS deviation from the block means, in grey levels (×255); NaN without flat blocks. */
    public double rmsGreyLevels() {
      return values == 0 ? Double.NaN : 255 * Math.sqrt(squares / values);
    }
  }

  /** No flat block yet. */
  public static final Flat NONE = new Flat(0, 0, 0);

  /**
   * The variation of output {@code y} inside the aligned 2×2 blocks {@code (2i..2i+1, 2j..2j+1)} where
   * {@code target} is flat: the target's values over the block and a margin of {@code margin} pixels
   * around it (clipped at the border) differ by at most {@code tolerance}. In such a block a good
   * upsampler's output is (near) constant, while stride-2 artefacts make its four positions differ.
   * Returns the sum of squared deviations of y from each such block's mean.
   */
  public static Flat flatBlocks(float[] y, float[] target, int offset, int h, int w, int margin, double tolerance) {
    double squares = 0;
    long values = 0;
    long blocks = 0;
    for (int i = 0; i + 1 < h; i += 2) {
      for (int j = 0; j + 1 < w; j += 2) {
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (int m = Math.max(0, i - margin); m < Math.min(h, i + 2 + margin); m++) {
          for (int n = Math.max(0, j - margin); n < Math.min(w, j + 2 + margin); n++) {
            double t = target[offset + m * w + n];
            lo = Math.min(lo, t);
            hi = Math.max(hi, t);
          }
        }
        if (hi - lo > tolerance) {
          continue;
        }
        int o = offset + i * w + j;
        double a = y[o];
        double b = y[o + 1];
        double c = y[o + w];
        double d = y[o + w + 1];
        double mean = (a + b + c + d) / 4;
        squares += (a - mean) * (a - mean) + (b - mean) * (b - mean) + (c - mean) * (c - mean) + (d - mean) * (d - mean);
        values += 4;
        blocks++;
      }
    }
    return new Flat(squares, values, blocks);
  }
}
