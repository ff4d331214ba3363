package dev.fovea.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.FashionMnist;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A smoke test of {@code fovea benchmark transform} (the measured run is in driver/BENCHMARKS.md):
 * 300 real Fashion-MNIST images in local mode; each line has a positive rate, each ratio is the
 * transform's rate over evaluate's as printed (one rep: the median of the reps' ratios is that
 * rep's), and the rep's line and CPU line are there.
 */
class TransformBenchmarkIT {
  private static final Pattern RATE = Pattern.compile("([\\d,]+) (images|rows)/s");
  private static final Pattern RATIO = Pattern.compile("ratio to evaluate ([\\d.]+)");

  @Test
  void reportsEvaluateAndTransformRatesAndTheirRatio() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "benchmark", "transform",
        "--data", FashionMnist.dir().toString(), "--master", "local[2]", "--workers", "2", "--rows", "300",
        "--reps", "1", "--warmup", "1", "--batch", "64");
    assertEquals(0, code, err.toString());
    double evaluate = 0;
    int transforms = 0;
    for (String line : out.toString().split("\n")) {
      Matcher m = RATE.matcher(line);
      if (!line.startsWith("fovea: ") || !m.find()) {
        continue;
      }
      double rate = Double.parseDouble(m.group(1).replace(",", ""));
      assertTrue(rate > 0, line);
      if (line.startsWith("fovea: evaluate:")) {
        evaluate = rate;
      } else if (line.startsWith("fovea: transform")) {
        transforms++;
        Matcher r = RATIO.matcher(line);
        assertTrue(r.find(), line);
        double ratio = Double.parseDouble(r.group(1));
        assertEquals(rate / evaluate, ratio, 0.01 + rate / evaluate * 0.01, line);
        // one rep: the spread of the reps' ratios is that ratio
        assertTrue(line.endsWith(String.format("the reps from %.2f to %.2f)", ratio, ratio)), line);
      }
    }
    assertTrue(evaluate > 0, out.toString());
    assertEquals(2, transforms, out.toString());
    assertTrue(out.toString().contains("(300 images, 2 tasks, median of 1 after 1 untimed)"), out.toString());
    assertEquals(1, out.toString().lines().filter(l -> l.startsWith("fovea: rows through Spark only:")).count(),
        out.toString());
    // each rep: its own rates and ratios, the load, and the CPU time per image of each measurement
    assertEquals(1, out.toString().lines().filter(l -> l.matches("fovea: rep 1: evaluate [\\d,]+ · PNG bytes [\\d,]+ "
        + "\\([\\d.]+\\) · floats [\\d,]+ \\([\\d.]+\\) images/s · load .*")).count(), out.toString());
    assertEquals(1, out.toString().lines().filter(l -> l.matches("fovea: +CPU ms per image .*evaluate [\\d.]+ · .*"
        + "transform, floats [\\d.]+")).count(), out.toString());
  }

  @Test
  void refusesNoRepsOrANegativeWarmUp() {
    for (String[] bad : new String[][] {{"--reps", "0", "at least one timed run"},
        {"--warmup", "-1", "0 or more untimed runs"}}) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "benchmark", "transform",
          "--data", FashionMnist.dir().toString(), "--master", "local[1]", "--workers", "1", bad[0], bad[1]);
      assertEquals(2, code, out.toString());
      assertTrue(err.toString().contains("invalid value " + bad[1] + " for " + bad[0] + ": " + bad[2]), err.toString());
    }
  }

  @Test
  void refusesMoreRowsThanTheTestSplitHas() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "benchmark", "transform",
        "--data", FashionMnist.dir().toString(), "--master", "local[1]", "--workers", "1", "--rows", "20000");
    assertEquals(2, code, out.toString());
    assertTrue(err.toString().contains("invalid value 20000 for --rows: the test split has 10000 images"),
        err.toString());
  }
}
