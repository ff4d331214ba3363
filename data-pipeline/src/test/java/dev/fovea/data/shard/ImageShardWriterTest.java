package dev.fovea.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.image.Codecs;
import dev.fovea.data.image.Image;
import dev.fovea.data.testing.Images;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/** The per-image work of the sharding job and its shard count, without Spark. */
class ImageShardWriterTest {
  static final Configuration CONF = new Configuration();

  @Test
  void jpegIsPreResizedToTheShorterSide() {
    Image img = Images.rgb(1, 400, 300, 6);
    ImageShardWriter.Candidate c = new ImageShardWriter.Candidate("a/1.jpg", 2, null,
        Codecs.best().encodeJpeg(img, 95));
    ImageShardWriter.Encoded e = ImageShardWriter.encodeOne(c, CONF, Codecs.best(),
        ImageShardWriter.Options.jpeg(3, 256, 1));
    assertNull(e.bad);
    assertEquals(341, e.width);
    assertEquals(256, e.height);
    Image back = Codecs.best().decode(e.data, 3);
    assertEquals(341, back.width());
    assertTrue(e.sum[0] > 0 && e.sumSquares[2] > 0);
  }

  @Test
  void rawIsPlanarAndExact() {
    Image g = Images.grey(4);
    ImageShardWriter.Candidate c = new ImageShardWriter.Candidate("k", 0, null, Images.file(g, "png"));
    ImageShardWriter.Encoded e = ImageShardWriter.encodeOne(c, CONF, Codecs.best(),
        ImageShardWriter.Options.raw(1, 0, 0, 1));
    assertArrayEquals(g.pixels(), e.data);
    Image rgb = Images.rgb(4, 20, 10, 0);
    ImageShardWriter.Encoded e3 = ImageShardWriter.encodeOne(
        new ImageShardWriter.Candidate("k", 0, null, Images.file(rgb, "png")), CONF, Codecs.best(),
        ImageShardWriter.Options.raw(3, 0, 0, 1));
    assertArrayEquals(rgb.toPlanar().pixels(), e3.data);
  }

  @Test
  void anImageOverThePixelBudgetIsOneBadImage() {
    byte[] huge = Images.declaring(Images.file(Images.rgb(1, 8, 8, 0), "png"), 20000, 20000);
    ImageShardWriter.Encoded e = ImageShardWriter.encodeOne(
        new ImageShardWriter.Candidate("x/huge.png", 0, null, huge), CONF, Codecs.best(),
        ImageShardWriter.Options.jpeg(3, 256, 1));
    assertEquals("declares 20000 x 20000 pixels, over the budget of 100000000", e.bad);
    // A real 40000 x 1 image (within the budget) whose resize to a shorter side of 256 would be
    // 10,240,000 x 256: once an OpenCV size error that aborted the sharding job, now one bad image.
    java.awt.image.BufferedImage line = new java.awt.image.BufferedImage(40000, 1,
        java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    ImageShardWriter.Encoded wide = ImageShardWriter.encodeOne(
        new ImageShardWriter.Candidate("x/line.png", 0, null, Images.file(line, "png")), CONF, Codecs.best(),
        ImageShardWriter.Options.jpeg(3, 256, 1));
    assertEquals("40000 x 1 resized to a shorter side of 256 is 10240000 x 256 pixels, over the budget of 100000000",
        wide.bad);
  }

  @Test
  void aBadImageIsMarkedNotThrown() {
    byte[] png = Images.file(Images.grey(1), "png");
    ImageShardWriter.Encoded e = ImageShardWriter.encodeOne(
        new ImageShardWriter.Candidate("x/broken.png", 0, null, Arrays.copyOf(png, 100)), CONF, Codecs.best(),
        ImageShardWriter.Options.jpeg(1, 0, 1));
    assertTrue(e.bad.contains("truncated PNG"), e.bad);
    ImageShardWriter.Encoded missing = ImageShardWriter.encodeOne(
        new ImageShardWriter.Candidate("x/gone.png", 0, "/nonexistent/gone.png", null), CONF, Codecs.best(),
        ImageShardWriter.Options.jpeg(1, 0, 1));
    assertTrue(missing.bad != null);
  }

  @Test
  void shardCountKeepsShardsUnderTheLimitWithMargin() {
    ImageShardWriter.Options o = ImageShardWriter.Options.jpeg(3, 0, 1);
    // ImageNet-sized: 1.28 M images of 110 KB
    long bytes = 1_281_167L * 110_000;
    int n = ImageShardWriter.shardCount(bytes, 1_281_167, o);
    assertTrue((double) bytes / n < o.maxShardBytes() * 0.95, "shards " + n);
    assertTrue((double) bytes / n > o.maxShardBytes() * 0.85, "shards " + n);
    assertEquals(1, ImageShardWriter.shardCount(1000, 10, o));
    assertEquals(10, ImageShardWriter.shardCount(1000, 10, o.withShards(10, 1)));
  }

  @Test
  void theShuffleKeyDependsOnSeedAndKey() {
    assertEquals(ImageShardWriter.shuffleKey(1, "a/b.jpg"), ImageShardWriter.shuffleKey(1, "a/b.jpg"));
    assertNotEquals(ImageShardWriter.shuffleKey(1, "a/b.jpg"), ImageShardWriter.shuffleKey(2, "a/b.jpg"));
    assertNotEquals(ImageShardWriter.shuffleKey(1, "a/b.jpg"), ImageShardWriter.shuffleKey(1, "a/c.jpg"));
  }
}
