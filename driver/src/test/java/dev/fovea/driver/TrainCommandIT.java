package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.cli.Fovea;
import dev.fovea.nn.ModelFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fovea train} as a user runs it, in local mode on real Fashion-MNIST samples. */
class TrainCommandIT {

  record Run(int code, String out, String err) {}

  static Run fovea(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void trainsAndWritesTheContractedOutputs(@TempDir Path tmp) throws IOException {
    Path data = FashionMnist.subset(tmp, 2000, 500);
    Path out = tmp.resolve("out");
    Run r = fovea("train", "--data", data.toString(), "--out", out.toString(), "--epochs", "2", "--workers", "2",
        "--backend", "reference");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("test accuracy"), r.out());
    JsonNode s = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    for (String field : List.of("test_accuracy", "test_loss", "epochs", "workers", "backend",
        "train_images_per_second", "wall_seconds")) {
      assertTrue(s.has(field), "summary.json lacks " + field);
    }
    assertEquals(2, s.get("epochs").asInt());
    assertEquals(2, s.get("workers").asInt());
    assertEquals("reference", s.get("backend").asText());
    assertTrue(s.get("test_accuracy").asDouble() > 0.6, "accuracy " + s.get("test_accuracy"));
    List<String> history = Files.readAllLines(out.resolve("history.jsonl"));
    assertEquals(s.get("rounds").asInt(), history.size());
    JsonNode first = new ObjectMapper().readTree(history.get(0));
    for (String field : List.of("round", "epoch", "loss", "images", "seconds")) {
      assertTrue(first.has(field), "history line lacks " + field);
    }
    assertEquals(2, new ObjectMapper().readTree(history.get(history.size() - 1)).get("epoch").asInt());
    // evaluation: each of the 500 test samples counted exactly once
    long counted = 0;
    for (JsonNode row : s.get("confusion_matrix")) {
      for (JsonNode v : row) {
        counted += v.asLong();
      }
    }
    assertEquals(500, counted);
    assertEquals(10, s.get("per_class_accuracy").size());
    assertTrue(s.get("test_top5_accuracy").asDouble() >= s.get("test_accuracy").asDouble());
    List<String> epochs = Files.readAllLines(out.resolve("epochs.jsonl"));
    assertEquals(2, epochs.size());
    assertEquals(s.get("test_accuracy").asDouble(),
        new ObjectMapper().readTree(epochs.get(1)).get("test_accuracy").asDouble(), 0);
    String report = Files.readString(out.resolve("report.html"));
    assertTrue(report.contains("<svg") && report.contains("Training loss per round"), "report has plots");
    assertFalse(report.contains("http://") && report.replace("http://www.w3.org/2000/svg", "").contains("http://"),
        "the report fetches nothing");
    assertFalse(report.contains("<script"), "no scripts");
    try (InputStream in = Files.newInputStream(out.resolve("model.fovea"))) {
      ModelFile.Model m = ModelFile.read(in, "model.fovea");
      assertEquals("lenet", m.zoo());
      assertEquals("Ankle boot", m.classNames().get(9));
    }
  }

  private static void assertBadInput(Path tmp, Path data, String expectedStart, String expectedProblem)
      throws IOException {
    Path out = tmp.resolve("out");
    Run r = fovea("train", "--data", data.toString(), "--out", out.toString(), "--backend", "reference");
    assertEquals(2, r.code(), r.out() + r.err());
    String line = r.err().strip();
    assertEquals(1, line.lines().count(), "one line: " + r.err());
    assertTrue(line.startsWith("fovea: error: " + expectedStart), line);
    assertTrue(line.contains(expectedProblem), line);
    if (Files.exists(out)) {
      try (Stream<Path> files = Files.walk(out)) {
        assertFalse(files.anyMatch(p -> p.getFileName().toString().equals("manifest.json")),
            "no shard set may be marked complete");
      }
    }
  }

  @Test
  void truncatedIdxFileIsOneClearLine(@TempDir Path tmp) throws IOException {
    Path data = FashionMnist.subset(tmp, 300, 100);
    Path f = data.resolve("t10k-images-idx3-ubyte.gz");
    byte[] all = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(all, all.length - 5000));
    assertBadInput(tmp, data, f.toString() + ": ", "truncated");
  }

  @Test
  void wrongMagicNumberIsOneClearLine(@TempDir Path tmp) throws IOException {
    Path data = FashionMnist.subset(tmp, 300, 100);
    Path f = data.resolve("train-labels-idx1-ubyte.gz");
    FashionMnist.writeImages(f, 1, 1, 1, new byte[1]);
    assertBadInput(tmp, data, f.toString() + ": ", "wrong magic number 0x00000803, expected 0x00000801");
  }

  @Test
  void labelCountMismatchIsOneClearLine(@TempDir Path tmp) throws IOException {
    Path data = FashionMnist.subset(tmp, 300, 100);
    FashionMnist.writeLabels(data.resolve("train-labels-idx1-ubyte.gz"), new byte[299]);
    assertBadInput(tmp, data, data.resolve("train-labels-idx1-ubyte.gz").toString(), "holds 299 labels but");
  }

  @Test
  void missingDataDirectoryIsOneClearLine(@TempDir Path tmp) throws IOException {
    Path missing = tmp.resolve("no-such-dir");
    assertBadInput(tmp, missing, missing.toString(), "data directory does not exist");
  }

  @Test
  void invalidFlagValuesAreRejected(@TempDir Path tmp) {
    Run r = fovea("train", "--workers", "0", "--out", tmp.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("invalid value 0 for --workers"), r.err());
    r = fovea("train", "--no-such-flag");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("Unknown option: '--no-such-flag'"), r.err());
    r = fovea("train", "--model", "nonet", "--out", tmp.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown model 'nonet'"), r.err());
  }
}
