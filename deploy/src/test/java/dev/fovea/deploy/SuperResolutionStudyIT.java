package dev.fovea.deploy;

import static dev.fovea.deploy.LauncherIT.assertOneLineError;
import static dev.fovea.deploy.LauncherIT.fovea;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fovea.data.testing.FashionMnist;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image targets through the launcher as users run them: {@code fovea shard --target self}, {@code
 * fovea train} of a decoder file, {@code fovea evaluate} reporting PSNR, the network-against-targets
 * check (one line, exit 2, before Spark), and {@code fovea study superres} end to end at reduced
 * size (600 training and 200 test images).
 */
class SuperResolutionStudyIT {
  @TempDir static Path tmp;

  /** LauncherIT's runner keeps each command's output in a temporary folder: this class's. */
  @BeforeAll
  static void runnerFolder() {
    LauncherIT.tmp = tmp;
  }

  static Path docs() {
    return Path.of(System.getenv().getOrDefault("FOVEA_HOME", ".")).toAbsolutePath().getParent().resolve("docs");
  }

  @Test
  void selfTargetsTrainEvaluateAndAreCheckedAgainstTheNetwork() throws Exception {
    Path dir = Files.createTempDirectory(tmp, "sr");
    Path data = FashionMnist.subset(dir, 600, 200);
    Path shards = dir.resolve("shards");
    LauncherIT.Run s = fovea("shard", "--data", data.toString(), "--out", shards.toString(), "--target", "self",
        "--input-size", "14");
    assertEquals(0, s.code(), s.err());
    assertTrue(s.out().contains("600 samples of (1, 14, 14) in 8 shards; targets: image (1, 28, 28)"), s.out());

    Path decoder = docs().resolve("examples/superres/deconv-k3s2.json");
    Path out = dir.resolve("run");
    LauncherIT.Run t = fovea("train", "--data", "none", "--shards", shards.toString(), "--model", decoder.toString(),
        "--out", out.toString(), "--epochs", "1", "--batch", "16", "--lr", "0.02", "--progress", "lines",
        "--no-dashboard");
    assertEquals(0, t.code(), t.err());
    assertTrue(t.out().matches("(?s).*fovea: test MSE 0\\.\\d+ · MAE 0\\.\\d+ · PSNR \\d+\\.\\d\\d dB \\(loss .*"),
        t.out());
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    assertTrue(summary.get("test_psnr").asDouble() > 5, summary.toString());
    assertFalse(summary.has("test_accuracy"), summary.toString());
    String epochs = Files.readString(out.resolve("epochs.jsonl"));
    assertTrue(epochs.contains("\"test_psnr\"") && epochs.contains("\"test_mse\""), epochs);

    LauncherIT.Run e = fovea("evaluate", "--model", out.resolve("model.fovea").toString(), "--shards",
        shards.resolve("test").toString());
    assertEquals(0, e.code(), e.err());
    assertTrue(e.out().startsWith("fovea: 200 samples · MSE "), e.out());
    assertTrue(e.out().contains(String.format("PSNR %.2f dB", summary.get("test_psnr").asDouble())), e.out());

    // a class network on image targets, and a decoder on class targets: one line naming both, before Spark
    Path nothing = dir.resolve("nothing");
    assertOneLineError(fovea("train", "--data", "none", "--shards", shards.toString(), "--model",
        docs().resolve("examples/fashion-cnn.json").toString(), "--out", nothing.toString()),
        "fashion-cnn.json: the network's loss softmax_cross_entropy needs class targets; the shard set has image "
            + "(1, 28, 28) targets");
    Path classes = dir.resolve("class-shards");
    assertEquals(0, fovea("shard", "--data", data.toString(), "--out", classes.toString()).code());
    assertOneLineError(fovea("train", "--data", "none", "--shards", classes.toString(), "--model",
        decoder.toString(), "--out", nothing.toString()),
        "deconv-k3s2.json: the network's loss mse needs image or float_vector targets; the shard set has class "
            + "targets (10 classes)");
    assertOneLineError(fovea("train", "--data", "none", "--shards", shards.toString(), "--model", decoder.toString(),
        "--augment", "flip", "--out", nothing.toString()), "--augment flip: the shard set has image (1, 28, 28)");
    assertFalse(Files.exists(nothing), "nothing written");
    assertOneLineError(fovea("shard", "--data", data.toString(), "--out", nothing.toString(), "--target", "self"),
        "--target self needs --input-size PX");
  }

  @Test
  void theStudyRunsEndToEndAtReducedSize() throws Exception {
    Path dir = Files.createTempDirectory(tmp, "study");
    Path data = FashionMnist.subset(dir, 600, 200);
    Path out = dir.resolve("study");
    LauncherIT.Run r = fovea("study", "superres", "--data", data.toString(), "--out", out.toString(), "--decoders",
        docs().resolve("examples/superres").toString(), "--batch", "16", "--grid", "3");
    assertEquals(0, r.code(), r.err());
    List<String> names = List.of("bed-of-nails-conv", "deconv-k3s2", "deconv-k4s2", "nearest-conv");
    for (String n : names) {
      assertTrue(r.out().matches("(?s).*fovea: " + n + " +PSNR \\d+\\.\\d\\d dB · Nyquist share 0\\.\\d{5} · "
          + "flat-block RMS \\d+\\.\\d{3} grey levels.*"), r.out());
      assertTrue(Files.isRegularFile(out.resolve(n).resolve("model.fovea")), n);
    }
    JsonNode json = new ObjectMapper().readTree(out.resolve("superres.json").toFile());
    List<String> rows = new ArrayList<>();
    for (JsonNode d : json.get("decoders")) {
      rows.add(d.get("name").asText());
      if (!d.get("name").asText().equals("targets")) {
        assertTrue(d.get("test_psnr").asDouble() > 5 && d.get("test_psnr").asDouble() < 60, d.toString());
        assertTrue(d.get("flat_blocks").asLong() > 0, d.toString());
      }
    }
    assertEquals(List.of("bed-of-nails-conv", "deconv-k3s2", "deconv-k4s2", "nearest-conv",
        "nearest-neighbour enlargement (no training)", "targets"), rows);
    assertEquals(0.0, json.get("decoders").get(4).get("flat_block_rms").asDouble(), 0); // enlargement: flat blocks
    BufferedImage grid = ImageIO.read(out.resolve("superres-grid.png").toFile());
    assertEquals(6 * (28 * 4 + 4) + 4, grid.getWidth()); // input, target, four decoders
    assertEquals(3 * (28 * 4 + 4) + 4, grid.getHeight());
    assertTrue(Files.readString(out.resolve("superres.md")).startsWith("| decoder | parameters | test PSNR (dB)"));
  }
}
