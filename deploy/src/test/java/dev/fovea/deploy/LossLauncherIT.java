package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.FashionMnist;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fovea shard --target multi_hot|float_vector|mask --targets DIR} and {@code fovea train
 * --loss} through {@code bin/fovea} as a process: targets from a CSV of label lists train the
 * documented example network with {@code --loss sigmoid_bce}; bad input (an unknown loss, a network
 * whose output does not fit its loss, a shard set whose targets do not fit the network, a bad CSV
 * row, a missing mask) is one line on standard error naming both sides, exit 2, nothing written.
 */
class LossLauncherIT {
  static final Path EXAMPLE = Path.of("..", "docs", "examples", "fashion-cnn.json");
  @TempDir static Path tmp;
  static Path data;
  static Path labelLists;

  @BeforeAll
  static void data() throws Exception {
    LauncherIT.tmp = tmp;
    data = FashionMnist.subset(tmp, 200, 100);
    // every sample's own class and the next class: two labels each
    labelLists = Files.createDirectories(tmp.resolve("label-lists"));
    for (String split : new String[] {"train", "test"}) {
      StringBuilder csv = new StringBuilder("index,labels\n");
      for (int i = 0; i < (split.equals("train") ? 200 : 100); i++) {
        csv.append(i).append(',').append(i % 10).append(';').append((i + 3) % 10).append('\n');
      }
      Files.writeString(labelLists.resolve(split + ".csv"), csv);
    }
  }

  static LauncherIT.Run fovea(String... args) throws Exception {
    LauncherIT.tmp = tmp;
    return LauncherIT.fovea(args);
  }

  /** Exit 2, exactly one line on standard error containing every one of {@code parts}, nothing at {@code out}. */
  static void refused(LauncherIT.Run r, Path out, String... parts) {
    assertEquals(2, r.code(), r.out() + r.err());
    assertEquals(1, r.errLines().size(), "one line:\n" + r.err());
    String line = r.errLines().get(0);
    assertTrue(line.startsWith("fovea: error: "), line);
    for (String p : parts) {
      assertTrue(line.contains(p), "'" + p + "' in " + line);
    }
    assertFalse(Files.exists(out), "nothing written at " + out);
  }

  @Test
  void anUnknownLossIsOneLineListingTheValidOnes() throws Exception {
    Path out = tmp.resolve("unknown-loss");
    LauncherIT.Run r = fovea("train", "--out", out.toString(), "--loss", "hinge");
    refused(r, out, "invalid value hinge for --loss: must be one of softmax_cross_entropy, sigmoid_bce, mse, l1, "
        + "pixel_softmax_cross_entropy");
  }

  @Test
  void aNetworkWhoseOutputDoesNotFitTheLossIsRefused() throws Exception {
    Path out = tmp.resolve("unfit");
    refused(fovea("train", "--out", out.toString(), "--model", EXAMPLE.toString(), "--loss",
        "pixel_softmax_cross_entropy"), out, "--loss pixel_softmax_cross_entropy: fashion-cnn.json: ",
        "must end in a (classes, H, W) output", "got (10)");
    refused(fovea("train", "--out", out.toString(), "--model", "lenet", "--loss", "mse"), out,
        "--loss mse: lenet is a zoo network, which gives class logits");
  }

  @Test
  void labelListsShardToMultiHotTargetsThatTrainWithBce() throws Exception {
    Path shards = tmp.resolve("multi-hot");
    LauncherIT.Run s = fovea("shard", "--data", data.toString(), "--out", shards.toString(), "--target", "multi_hot",
        "--targets", labelLists.toString());
    assertEquals(0, s.code(), s.err());
    assertTrue(s.out().contains("200 samples") && s.out().contains("targets: multi_hot (10)"), s.out());

    // the example network's own loss (softmax cross-entropy) does not read multi-hot targets
    Path refusedOut = tmp.resolve("multi-hot-ce");
    refused(fovea("train", "--data", "none", "--shards", shards.toString(), "--out", refusedOut.toString(),
        "--model", EXAMPLE.toString()), refusedOut, "fashion-cnn.json: the network's loss softmax_cross_entropy needs "
        + "class targets; the shard set has multi_hot (10) targets");

    Path out = tmp.resolve("multi-hot-bce");
    LauncherIT.Run t = fovea("train", "--data", "none", "--shards", shards.toString(), "--out", out.toString(),
        "--model", EXAMPLE.toString(), "--loss", "sigmoid_bce", "--epochs", "1", "--workers", "2", "--batch", "16",
        "--progress", "lines", "--no-dashboard");
    assertEquals(0, t.code(), t.err());
    assertTrue(t.out().contains("fovea: test F1 ") && t.out().contains("mAP"), t.out());
    String summary = Files.readString(out.resolve("summary.json"));
    assertTrue(summary.contains("\"test_f1\"") && summary.contains("\"test_map\""), summary);
  }

  @Test
  void aBadCsvRowIsOneLineNamingFileAndLineAndWritesNothing() throws Exception {
    Path bad = Files.createDirectories(tmp.resolve("bad-csv"));
    Files.copy(labelLists.resolve("train.csv"), bad.resolve("train.csv"));
    List<String> lines = Files.readAllLines(labelLists.resolve("test.csv"));
    lines.set(2, "1,1;Jumper");
    Files.write(bad.resolve("test.csv"), lines);
    Path out = tmp.resolve("bad-csv-shards");
    refused(fovea("shard", "--data", data.toString(), "--out", out.toString(), "--target", "multi_hot", "--targets",
        bad.toString()), out, bad.resolve("test.csv") + ":3: label 'Jumper' is neither a class index in [0, 10) nor "
        + "a class name");

    Path values = Files.createDirectories(tmp.resolve("bad-values"));
    StringBuilder csv = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      csv.append(i).append(',').append(i == 150 ? "x" : "0.5").append('\n');
    }
    Files.writeString(values.resolve("train.csv"), csv);
    Files.writeString(values.resolve("test.csv"), "");
    Path out2 = tmp.resolve("bad-values-shards");
    refused(fovea("shard", "--data", data.toString(), "--out", out2.toString(), "--target", "float_vector",
        "--targets", values.toString()), out2, values.resolve("train.csv") + ":151: value 1 'x' is not a number");
  }

  @Test
  void aMissingMaskIsOneLineNamingTheFileAndWritesNothing() throws Exception {
    Path masks = tmp.resolve("masks");
    for (String split : new String[] {"train", "test"}) {
      Files.createDirectories(masks.resolve(split));
      for (int i = 0; i < (split.equals("train") ? 200 : 100); i++) {
        if (split.equals("test") && i == 42) {
          continue;
        }
        javax.imageio.ImageIO.write(new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY), "png",
            masks.resolve(split).resolve(i + ".png").toFile());
      }
    }
    Path out = tmp.resolve("mask-shards");
    refused(fovea("shard", "--data", data.toString(), "--out", out.toString(), "--target", "mask", "--targets",
        masks.toString()), out, "test/42.png: missing: image 42 of ", "has no mask");
  }
}
