package dev.fovea.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line's handling of its streams and arguments, on writers over byte streams as a
 * process's standard output is (buffered; auto-flushed only at println), not on StringWriters.
 */
class CommandLineStreamsTest {
  record Run(int code, String out, String err) {}

  /** Runs on buffered writers and reads what reached the byte streams, without flushing them itself. */
  static Run fovea(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** summary prints its table with print (no line end): before the fix none of it reached the stream. */
  @Test
  void summaryReachesABufferedStream() {
    Run r = fovea("summary", "--model", "lenet");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("total parameters: "), "the layer table's totals reach the stream: '" + r.out() + "'");
  }

  @Test
  void configGivenLastIsRead(@TempDir Path tmp) throws IOException {
    Path conf = tmp.resolve("run.properties");
    Files.writeString(conf, "workers=0\n");
    for (String[] args : new String[][] {{"train", "--out", tmp.toString(), "--config=" + conf},
        {"train", "--out", tmp.toString(), "--config", conf.toString()}}) {
      Run r = fovea(args);
      assertEquals(2, r.code(), r.out());
      assertTrue(r.err().contains("invalid value 0 for --workers"), "the file's value is used: " + r.err());
    }
    Run r = fovea("train", "--out", tmp.toString(), "--config=" + tmp.resolve("missing.properties"));
    assertEquals(2, r.code());
    assertEquals("fovea: error: " + tmp.resolve("missing.properties") + ": no such configuration file",
        r.err().strip());
    StringWriter err = new StringWriter();
    assertEquals(2, Fovea.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "train", "--config"));
    assertTrue(err.toString().contains("Missing required parameter for option '--config'"), err.toString());
  }
}
