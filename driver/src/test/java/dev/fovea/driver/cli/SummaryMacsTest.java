package dev.fovea.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code fovea summary} prints each layer's multiply-accumulates and the model's G-MACs at its
 * input size; the totals are within 2 % of the published figures (torchvision's documentation;
 * timm's model card for Inception-v4), as {@code MacsTest} holds {@code Network.macs()}.
 */
class SummaryMacsTest {

  @ParameterizedTest(name = "{0} at {1}: {2} G-MACs")
  @CsvSource({"resnet50, '3,224,224', 4.09, '4.09 G-MACs'", "vgg16, '3,224,224', 15.47, '15.47 G-MACs'",
      "alexnet, '3,224,224', 0.71, '0.71 G-MACs'", "googlenet, '3,224,224', 1.50, '1.50 G-MACs'",
      "inception_v3, '3,299,299', 5.71, '5.71 G-MACs'"})
  void printsTheTotalAndEachLayer(String model, String input, double published, String printed) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "summary", "--model", model,
        "--input", input, "--classes", "1000");
    assertEquals(0, code, err.toString());
    String s = out.toString();
    assertTrue(s.lines().findFirst().orElse("").contains("MACs"), s);
    String total = s.lines().filter(l -> l.startsWith("multiply-accumulates: ")).findFirst().orElseThrow();
    assertTrue(total.contains(printed), total);
    long macs = Long.parseLong(total.substring("multiply-accumulates: ".length(), total.indexOf(" per sample"))
        .replace(",", ""));
    assertEquals(published, macs / 1e9, 0.02 * published, total);
  }
}
