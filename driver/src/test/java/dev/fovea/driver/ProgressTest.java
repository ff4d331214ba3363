package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTest {

  private static String drive(boolean bar) {
    StringWriter text = new StringWriter();
    Progress p = Progress.console(new PrintWriter(text, true), bar);
    for (int r = 1; r <= 40; r++) {
      p.round(1, 2, r, 40, 0.5, Double.NaN, 1234.0, 40 - r);
    }
    p.epoch(1, 2, 0.45, 0.875, 0.4);
    p.message("checkpoint written");
    return text.toString();
  }

  @Test
  void plainLinesAreAboutTenPerEpochWithoutControlCharacters() {
    String out = drive(false);
    assertFalse(out.contains("\r") || out.contains("\033"), out);
    List<String> lines = out.lines().toList();
    // rounds 4, 8, ..., 40: ten round lines, then the epoch line and the message
    assertEquals(12, lines.size(), out);
    assertEquals("fovea: epoch 1/2 · round 40/40 · loss 0.5000 · 1,234 images/s · ETA 0s", lines.get(9));
    assertEquals("fovea: epoch 1/2 done · train loss 0.4500 · test accuracy 0.8750 · test loss 0.4000",
        lines.get(10));
    assertEquals("fovea: checkpoint written", lines.get(11));
  }

  @Test
  void theBarRedrawsOneLineAndIsClearedBeforeOtherOutput() {
    String out = drive(true);
    assertEquals(40, out.split("\r\033\\[2Kepoch 1/2 \\[", -1).length - 1, "one redraw per round: " + out);
    assertTrue(out.contains("[########################] 40/40 · loss 0.5000 · 1,234 img/s · ETA 0s"), out);
    int lastBar = out.lastIndexOf("40/40");
    int epochLine = out.indexOf("fovea: epoch 1/2 done");
    assertTrue(epochLine > lastBar && out.substring(lastBar, epochLine).contains("\r\033[2K"),
        "the bar is erased before the epoch line: " + out);
    assertTrue(out.endsWith("fovea: checkpoint written" + System.lineSeparator()), out);
  }

  @Test
  void durations() {
    assertEquals("12s", Progress.duration(12.4));
    assertEquals("3m05s", Progress.duration(185));
    assertEquals("1h02m", Progress.duration(3725));
    assertEquals("?", Progress.duration(Double.NaN));
  }
}
