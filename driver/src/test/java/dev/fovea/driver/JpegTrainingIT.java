package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.ImageDataset;
import dev.fovea.data.idx.IdxDatasets;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.ShardReader;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.cli.Fovea;
import dev.fovea.kernels.Shape;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training on a JPEG shard set end to end: a class-folder tree of JPEG files (Fashion-MNIST test
 * images) sharded by {@code fovea shard --encoding jpeg} with the shorter side resized to 32, then
 * trained through the driver's streams with random resized crops to 28 and flips, evaluated with
 * resize 32 + centre crop 28, and resumed after a dead driver.
 */
class JpegTrainingIT {
  @TempDir static Path tmp;
  static SparkSession spark;
  static TrainConfig base;
  static TrainingRun.Result uninterrupted;
  static final int TRAIN = 1200;
  static final int TEST = 300;

  @BeforeAll
  static void start() throws Exception {
    ImageDataset source = IdxDatasets.load(FashionMnist.dir().toString(), IdxDatasets.Split.TEST, new Configuration());
    for (int i = 0; i < TRAIN + TEST; i++) {
      String split = i < TRAIN ? "train" : "test";
      Path dir = tmp.resolve("images").resolve(split).resolve(source.classNames().get(source.labels()[i])
          .replace('/', '-'));
      Files.createDirectories(dir);
      BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, 28, 28, Arrays.copyOfRange(source.pixels(), i * 784, (i + 1) * 784));
      assertTrue(ImageIO.write(img, "jpg", dir.resolve(i + ".jpg").toFile()));
    }
    for (String split : List.of("train", "test")) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "shard", "--source", "folder",
          "--encoding", "jpeg", "--channels", "1", "--shorter-side", "32", "--shard-count", "3", "--data",
          tmp.resolve("images").resolve(split).toString(), "--out", tmp.resolve("shards").resolve(split).toString());
      assertEquals(0, code, err.toString());
    }
    spark = SparkSessions.create("JpegTrainingIT", "local[2]", 2);
    base = TrainConfig.builder().data(null).shards(tmp.resolve("shards").toString()).workers(2).batch(16)
        .stepsPerRound(4).epochs(3).learningRate(0.02).augment("rrc-flip").imageSize(28).shuffleBuffer(500).seed(5)
        .checkpointEvery(4).backend("reference").out(tmp.resolve("base").toString()).build();
    uninterrupted = new TrainingRun(spark, base, m -> { }).run();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void trainsOnJpegShardsWithAugmentationAndCountsEveryTestSampleOnce() {
    Configuration conf = new Configuration();
    Manifest train = ShardReader.readManifest(conf, base.shardRoot() + "/train");
    assertEquals(Manifest.JPEG, train.encoding());
    assertEquals(TRAIN, train.count());
    assertEquals(Shape.of(1, 28, 28), uninterrupted.model().inputShape());
    assertEquals(TEST, uninterrupted.evaluation().count, "every test sample evaluated exactly once");
    long confusion = Arrays.stream(uninterrupted.evaluation().confusion).sum();
    assertEquals(TEST, confusion);
    // 1200 / 2 workers / 16 = 37 batches each, 10 rounds of at most 4 per epoch
    assertEquals(30, uninterrupted.rounds());
    assertTrue(uninterrupted.testAccuracy() > 0.4, "well above chance (0.1): " + uninterrupted.testAccuracy());
  }

  @Test
  void aDeadDriverResumesOnJpegShardsToTheSameParameters() {
    TrainConfig c = base.toBuilder().out(tmp.resolve("resume").toString()).injectFault("driver:14").build();
    assertThrows(TrainingRun.InjectedDriverFault.class, () -> new TrainingRun(spark, c, m -> { }).run());
    TrainConfig resumed = c.toBuilder().injectFault(null).resume(true).build();
    TrainingRun.Result r = new TrainingRun(spark, resumed, m -> { }).run();
    assertArrayEquals(uninterrupted.params(), r.params(), "bitwise equal to the uninterrupted run");
    assertEquals(uninterrupted.testAccuracy(), r.testAccuracy(), 0);
  }

  @Test
  void jpegShardsNeedAnImageSizeAndRejectCropFlip() {
    IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> new TrainingRun(spark,
        base.toBuilder().imageSize(0).out(tmp.resolve("nosize").toString()).build(), m -> { }).run());
    assertTrue(size.getMessage().contains("--image-size"), size.getMessage());
    IllegalArgumentException crop = assertThrows(IllegalArgumentException.class, () -> new TrainingRun(spark,
        base.toBuilder().augment("crop-flip").out(tmp.resolve("crop").toString()).build(), m -> { }).run());
    assertTrue(crop.getMessage().contains("crop-flip"), crop.getMessage());
  }
}
