package dev.fovea.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import dev.fovea.kernels.Shape;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Targets from a CSV of label lists, a CSV of values and a folder of PNG masks; bad rows name file and line. */
class TargetFilesTest {
  @TempDir Path tmp;
  static final Configuration CONF = new Configuration();

  /** Three 2×3 grey images of classes a, b, c. */
  static ImageDataset three() {
    return new ImageDataset("tiny", Shape.of(1, 2, 3), List.of("a", "b", "c"), new byte[18], new int[] {0, 1, 2},
        "tiny");
  }

  private String write(String name, String text) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, text);
    return p.toString();
  }

  @Test
  void labelListsBecomeMultiHotVectors() throws Exception {
    String csv = write("train.csv", "index,labels\n2,c\n0,a;2\n\n# a sample with no label\n1,\n");
    ShardWriter.Targets t = TargetFiles.multiHot(csv, three(), CONF);
    assertEquals(new TargetSpec(TargetSpec.MULTI_HOT, List.of(3)), t.spec());
    assertArrayEquals(new byte[] {1, 0, 1, 0, 0, 0, 0, 0, 1}, t.values());
  }

  @Test
  void valuesBecomeFloatVectors() throws Exception {
    String csv = write("train.csv", "0,1.5,-2\n1,0,0.25\n2,3e2,7\n");
    ShardWriter.Targets t = TargetFiles.floatVector(csv, three(), CONF);
    assertEquals(new TargetSpec(TargetSpec.FLOAT_VECTOR, List.of(2)), t.spec());
    float[] back = new float[6];
    for (int i = 0; i < 3; i++) {
      byte[] one = java.util.Arrays.copyOfRange(t.values(), 8 * i, 8 * i + 8);
      t.spec().decode(one, back, 2 * i);
    }
    assertArrayEquals(new float[] {1.5f, -2, 0, 0.25f, 300, 7}, back);
  }

  @Test
  void pngMasksPairWithImagesByName() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("masks"));
    for (int i = 0; i < 3; i++) {
      BufferedImage m = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
      m.getRaster().setSample(i, 1, 0, i + 1);
      javax.imageio.ImageIO.write(m, "png", dir.resolve(i + ".png").toFile());
    }
    ShardWriter.Targets t = TargetFiles.masks(dir.toString(), three(), CONF);
    assertEquals(new TargetSpec(TargetSpec.MASK, List.of(2, 3)), t.spec());
    assertArrayEquals(new byte[] {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 3}, t.values());
    Files.delete(dir.resolve("1.png"));
    DataException e = assertThrows(DataException.class, () -> TargetFiles.masks(dir.toString(), three(), CONF));
    assertEquals(dir.resolve("1.png") + ": missing: image 1 of tiny has no mask (masks pair with images by name, "
        + "<index>.png)", e.getMessage());
  }

  private void refused(String expected, String text, boolean values) throws Exception {
    String csv = write("bad.csv", text);
    DataException e = assertThrows(DataException.class, () -> {
      if (values) {
        TargetFiles.floatVector(csv, three(), CONF);
      } else {
        TargetFiles.multiHot(csv, three(), CONF);
      }
    });
    assertEquals(csv + expected, e.getMessage());
  }

  @Test
  void badRowsAreOneLineNamingFileAndLine() throws Exception {
    refused(":2: label 'd' is neither a class index in [0, 3) nor a class name of tiny", "0,a\n1,d\n2,c\n", false);
    refused(":3: label '3' is neither a class index in [0, 3) nor a class name of tiny", "0,a\n1,b\n2,3\n", false);
    refused(":1: expected index,labels (labels separated by ;), got 3 fields", "0,a,b\n", false);
    refused(":2: sample 0 has a second row", "0,a\n0,b\n", false);
    refused(":1: sample index 3 is not in [0, 3)", "3,a\n", false);
    refused(":1: the first field 'x' is not a sample index", "x,a\n", false);
    refused(": no row for sample 1 (2 of 3 samples have none)", "0,a\n", false);
    refused(":2: 1 values, the first row has 2", "0,1,2\n1,3\n2,4,5\n", true);
    refused(":3: value 2 'abc' is not a number", "0,1,2\n1,3,4\n2,4,abc\n", true);
    refused(":1: value 1 is NaN, not finite", "0,NaN,2\n", true);
    DataException e = assertThrows(DataException.class,
        () -> TargetFiles.multiHot(tmp.resolve("none.csv").toString(), three(), CONF));
    assertEquals(tmp.resolve("none.csv") + ": no such file", e.getMessage());
  }
}
