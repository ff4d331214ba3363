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
 * 300 real Fashion-MNIST images in local mode; each line has a positive rate, and each ratio is
 * the transform's rate over evaluate's as printed.
 */
class TransformBenchmarkIT {
  private static final Pattern RATE = Pattern.compile("([\\d,]+) (images|rows)/s");

  @Test
  void reportsEvaluateAndTransformRatesAndTheirRatio() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "benchmark", "transform",
        "--data", FashionMnist.dir().toString(), "--master", "local[2]", "--workers", "2", "--rows", "300",
        "--reps", "1", "--batch", "64");
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
        double ratio = Double.parseDouble(line.substring(line.indexOf("ratio to evaluate ") + 18).trim());
        assertEquals(rate / evaluate, ratio, 0.01 + rate / evaluate * 0.01, line);
      }
    }
    assertTrue(evaluate > 0, out.toString());
    assertEquals(2, transforms, out.toString());
    assertEquals(1, out.toString().lines().filter(l -> l.startsWith("fovea: rows through Spark only:")).count(),
        out.toString());
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
