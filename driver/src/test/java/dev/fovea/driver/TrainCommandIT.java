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
    assertTrue(r.out().contains("fovea: dashboard: http://127.0.0.1:"), "the live dashboard's address: " + r.out());
    assertTrue(r.out().contains("fovea: epoch 1/2 done") && !r.out().contains("\r"),
        "--progress auto: plain lines when the output is not the process's terminal: " + r.out());
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
    assertTrue(report.contains("new uPlot(") && report.contains("\"status\":\"finished\""),
        "report.html: the dashboard's page with uPlot and the final data inlined (DashboardIT renders it)");
    assertFalse(report.contains("src=\"http") || report.contains("<script src") || report.contains("<link"),
        "the report fetches nothing");
    try (InputStream in = Files.newInputStream(out.resolve("model.fovea"))) {
      ModelFile.Model m = ModelFile.read(in, "model.fovea");
      assertEquals("lenet", m.zoo());
      assertEquals("Ankle boot", m.classNames().get(9));
    }

    // fovea evaluate: the saved model on the test shards gives the run's own test accuracy
    Run eval = fovea("evaluate", "--model", out.resolve("model.fovea").toString(), "--shards",
        out.resolve("shards/test").toString(), "--backend", "reference");
    assertEquals(0, eval.code(), eval.err());
    assertTrue(eval.out().contains(String.format("500 samples · accuracy %.4f", s.get("test_accuracy").asDouble())),
        eval.out());

    // fovea predict on PNG files of real test images
    dev.fovea.data.ImageDataset test = dev.fovea.data.idx.IdxDatasets.load(data.toString(),
        dev.fovea.data.idx.IdxDatasets.Split.TEST, new org.apache.hadoop.conf.Configuration());
    List<String> args = new java.util.ArrayList<>(List.of("predict", "--model", out.resolve("model.fovea").toString(),
        "--backend", "reference", "--top", "2"));
    for (int i = 0; i < 20; i++) {
      java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(28, 28,
          java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, 28, 28, java.util.Arrays.copyOfRange(test.pixels(), i * 784, (i + 1) * 784));
      Path png = tmp.resolve("img-" + i + ".png");
      javax.imageio.ImageIO.write(img, "png", png.toFile());
      args.add(png.toString());
    }
    Run pred = fovea(args.toArray(new String[0]));
    assertEquals(0, pred.code(), pred.err());
    List<String> lines = pred.out().lines().toList();
    assertEquals(20, lines.size(), pred.out());
    int right = 0;
    for (int i = 0; i < 20; i++) {
      String top = test.classNames().get(test.labels()[i]);
      if (lines.get(i).startsWith(tmp.resolve("img-" + i + ".png") + ": " + top + " ")) {
        right++;
      }
    }
    assertTrue(right >= 12, right + " of 20 images classified right:\n" + pred.out());

    Run summary = fovea("summary", "--model", out.resolve("model.fovea").toString());
    assertEquals(0, summary.code(), summary.err());
    assertTrue(summary.out().contains("total parameters: 431,080") && summary.out().contains("data_manifest_sha256"),
        summary.out());
  }

  @Test
  void configurationFileWithFlagOverrides(@TempDir Path tmp) throws IOException {
    Path conf = tmp.resolve("run.properties");
    Files.writeString(conf, "workers=0\nepochs=2\n");
    Run r = fovea("train", "--config", conf.toString(), "--out", tmp.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("invalid value 0 for --workers"), "the file's value is used: " + r.err());
    r = fovea("train", "--config", conf.toString(), "--workers", "1", "--model", "nonet", "--out", tmp.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown model 'nonet'"), "the flag overrides the file: " + r.err());
    r = fovea("train", "--config", tmp.resolve("missing.properties").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("no such configuration file"), r.err());
  }

  /** A folder of PNG class folders, sharded as raw by fovea shard, then trained on. */
  @Test
  void shardsAnImageFolderAndTrainsOnIt(@TempDir Path tmp) throws IOException {
    dev.fovea.data.ImageDataset test = dev.fovea.data.idx.IdxDatasets.load(FashionMnist.dir().toString(),
        dev.fovea.data.idx.IdxDatasets.Split.TEST, new org.apache.hadoop.conf.Configuration());
    for (int i = 0; i < 1200; i++) {
      String split = i < 900 ? "train" : "test";
      Path dir = tmp.resolve("images").resolve(split).resolve(test.classNames().get(test.labels()[i])
          .replace('/', '-'));
      Files.createDirectories(dir);
      java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(28, 28,
          java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, 28, 28, java.util.Arrays.copyOfRange(test.pixels(), i * 784, (i + 1) * 784));
      javax.imageio.ImageIO.write(img, "png", dir.resolve(i + ".png").toFile());
    }
    for (String split : List.of("train", "test")) {
      Run r = fovea("shard", "--source", "folder", "--encoding", "raw", "--channels", "1", "--size", "28x28", "--data",
          tmp.resolve("images").resolve(split).toString(), "--out", tmp.resolve("shards").resolve(split).toString());
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("samples of 10 classes"), r.out());
    }
    Run r = fovea("train", "--data", "none", "--shards", tmp.resolve("shards").toString(), "--out",
        tmp.resolve("out").toString(), "--epochs", "2", "--batch", "16");
    assertEquals(0, r.code(), r.err());
    JsonNode s = new ObjectMapper().readTree(tmp.resolve("out/summary.json").toFile());
    assertTrue(s.get("test_accuracy").asDouble() > 0.4, "accuracy " + s.get("test_accuracy"));
    Run bad = fovea("shard", "--source", "folder", "--encoding", "raw", "--data", tmp.resolve("images/train").toString(),
        "--out", tmp.resolve("x").toString());
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("--size"), bad.err());
  }

  @Test
  void everySubcommandHasHelp() {
    for (String cmd : List.of("shard", "train", "evaluate", "predict", "summary", "benchmark")) {
      Run r = fovea(cmd, "--help");
      assertEquals(0, r.code(), cmd);
      assertTrue(r.out().startsWith("Usage: fovea " + cmd), r.out());
    }
    Run r = fovea("summary", "--model", "lenet");
    assertTrue(r.out().contains("total parameters: 431,080"), r.out());
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
    r = fovea("train", "--augment", "rotate", "--out", tmp.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("invalid value rotate for --augment: must be one of none, flip, crop-flip, rrc-flip"),
        r.err());
    r = fovea("train", "--progress", "spinner", "--out", tmp.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("invalid value spinner for --progress: must be one of auto, bar, lines"), r.err());
  }
}
