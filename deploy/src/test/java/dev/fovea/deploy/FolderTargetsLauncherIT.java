package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.Images;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fovea shard --source folder --target mask --targets DIR} through {@code bin/fovea} as a
 * process: a folder of Fashion-MNIST JPEGs in class folders and PNG masks paired by relative path
 * (object vs background) shard to mask targets, and a three-layer segmenter trains on them for a
 * few steps with {@code pixel_softmax_cross_entropy} and reports its mean IoU; a mask that pairs
 * with no image, in the test split, is one line naming it, exit 2, nothing written.
 */
class FolderTargetsLauncherIT {
  static final List<String> NAMES = List.of("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
      "Sneaker", "Bag", "Boot");
  @TempDir static Path tmp;
  static Path images;
  static Path masks;

  /** {@code images/<split>/<class>/s<i>.jpg} and {@code masks/<split>/<class>/s<i>.png}, pixel > 51 the object. */
  @BeforeAll
  static void folders() throws Exception {
    images = tmp.resolve("images");
    masks = tmp.resolve("masks");
    for (String split : new String[] {"train", "test"}) {
      int from = split.equals("train") ? 0 : 1000;
      int n = split.equals("train") ? 96 : 32;
      for (int i = from; i < from + n; i++) {
        String rel = NAMES.get(Images.label(i)) + "/s" + i;
        Path img = images.resolve(split).resolve(rel + ".jpg");
        Files.createDirectories(img.getParent());
        Files.write(img, Images.file(Images.grey(i), "jpg"));
        byte[] p = Images.grey(i).pixels();
        BufferedImage m = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int k = 0; k < 784; k++) {
          m.getRaster().setSample(k % 28, k / 28, 0, (p[k] & 0xff) > 51 ? 1 : 0);
        }
        Path mask = masks.resolve(split).resolve(rel + ".png");
        Files.createDirectories(mask.getParent());
        javax.imageio.ImageIO.write(m, "png", mask.toFile());
      }
    }
  }

  static LauncherIT.Run fovea(String... args) throws Exception {
    LauncherIT.tmp = tmp;
    return LauncherIT.fovea(args);
  }

  @Test
  void aFolderWithMasksShardsAndTrainsASegmenter() throws Exception {
    Path shards = tmp.resolve("shards");
    LauncherIT.Run s = fovea("shard", "--source", "folder", "--channels", "1", "--data",
        images.toString(), "--out", shards.toString(), "--target", "mask", "--targets", masks.toString());
    assertEquals(0, s.code(), s.err());
    assertTrue(s.out().contains("train: 96 samples of (1, 28, 28)") && s.out().contains("targets: mask (28, 28)"),
        s.out());
    assertTrue(s.out().contains("test: 32 samples"), s.out());

    Path net = Files.writeString(tmp.resolve("segmenter.json"), """
        {
          "input_shape": [1, 28, 28],
          "loss": "pixel_softmax_cross_entropy",
          "layers": [
            {"type": "convolution", "name": "conv1", "filters": 8, "kernel": 3, "padding": 1, "init": "he_normal"},
            {"type": "activation", "name": "relu1", "function": "relu"},
            {"type": "convolution", "name": "classes", "filters": 2, "kernel": 1}
          ]
        }
        """);
    Path out = tmp.resolve("run");
    LauncherIT.Run t = fovea("train", "--data", "none", "--shards", shards.toString(), "--out",
        out.toString(), "--model", net.toString(), "--epochs", "1", "--workers", "2", "--batch", "16", "--progress",
        "lines", "--no-dashboard");
    assertEquals(0, t.code(), t.out() + t.err());
    assertTrue(t.out().contains("mean IoU"), t.out());
    String summary = Files.readString(out.resolve("summary.json"));
    assertTrue(summary.contains("\"test_mean_iou\"") && summary.contains("\"test_pixel_accuracy\""), summary);
  }

  @Test
  void anExtraMaskInTheTestSplitIsOneLineNamingItAndWritesNothing() throws Exception {
    Path bad = tmp.resolve("bad-masks");
    try (var files = Files.walk(masks)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        Path to = bad.resolve(masks.relativize(p));
        Files.createDirectories(to.getParent());
        Files.copy(p, to);
      }
    }
    Path extra = bad.resolve("test/Bag/s99999.png");
    Files.copy(bad.resolve("train").resolve(NAMES.get(Images.label(0))).resolve("s0.png"), extra);
    Path out = tmp.resolve("bad-shards");
    LossLauncherIT.refused(fovea("shard", "--source", "folder", "--channels", "1", "--data",
        images.toString(), "--out", out.toString(), "--target", "mask", "--targets", bad.toString()), out,
        extra + ": extra mask: no image of images/test pairs with it");
  }
}
