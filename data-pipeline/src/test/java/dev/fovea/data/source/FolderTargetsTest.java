package dev.fovea.data.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.data.DataException;
import dev.fovea.data.shard.ShardWriter;
import dev.fovea.data.shard.TargetFiles;
import dev.fovea.data.shard.TargetSpec;
import dev.fovea.data.testing.Images;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder source's images read whole ({@link ImageFolders}) and their targets paired by file name
 * ({@link TargetFiles} with paths): Fashion-MNIST test samples written as PNG and JPEG files in
 * class folders, object-vs-background masks beside them, CSV rows keyed by the image's path; every
 * bad pairing is one line naming the file (and line).
 */
class FolderTargetsTest {
  static final Configuration CONF = new Configuration();
  static final List<String> NAMES = List.of("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
      "Sneaker", "Bag", "Boot");
  @TempDir Path tmp;

  /** Samples [from, from + n) as {@code dir/<class name>/s<i>.<ext>}; returns dir. */
  static Path images(Path dir, int from, int n, String ext) throws Exception {
    for (int i = from; i < from + n; i++) {
      Path c = Files.createDirectories(dir.resolve(NAMES.get(Images.label(i))));
      Files.write(c.resolve("s" + i + "." + ext), Images.file(Images.grey(i), ext.equals("png") ? "png" : "jpg"));
    }
    return dir;
  }

  /** Object (pixel > 51) vs background mask of sample i. */
  static byte[] mask(int i) {
    byte[] p = Images.grey(i).pixels();
    byte[] m = new byte[p.length];
    for (int k = 0; k < p.length; k++) {
      m[k] = (byte) ((p[k] & 0xff) > 51 ? 1 : 0);
    }
    return m;
  }

  static void writeMask(Path file, byte[] m, int h, int w) throws Exception {
    BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        b.getRaster().setSample(x, y, 0, m[(y * w + x) % m.length]);
      }
    }
    Files.createDirectories(file.getParent());
    javax.imageio.ImageIO.write(b, "png", file.toFile());
  }

  /** Masks of samples [from, from + n) as {@code dir/<class name>/s<i>.png}; returns dir. */
  static Path masks(Path dir, int from, int n) throws Exception {
    for (int i = from; i < from + n; i++) {
      writeMask(dir.resolve(NAMES.get(Images.label(i))).resolve("s" + i + ".png"), mask(i), 28, 28);
    }
    return dir;
  }

  static int sample(String path) {
    String f = path.substring(path.indexOf("/s") + 2);
    return Integer.parseInt(f.substring(0, f.indexOf('.')));
  }

  @Test
  void aSplitIsReadWholeInClassFoldersWithEachImagesPath() throws Exception {
    Path train = images(tmp.resolve("train"), 0, 30, "png");
    Files.writeString(train.resolve("T-shirt").resolve("notes.txt"), "not an image");
    ImageFolders.Loaded l = ImageFolders.load(train.toString(), "f/train", null, 1, CONF);
    assertEquals(30, l.data().count());
    assertEquals(List.of(1, 28, 28), List.of(l.data().sampleShape().dim(0), l.data().sampleShape().dim(1),
        l.data().sampleShape().dim(2)));
    List<String> found = l.data().classNames();
    assertEquals(found.stream().sorted().toList(), found);
    for (int k = 0; k < 30; k++) {
      String p = l.paths().get(k);
      int i = sample(p);
      // PNG is lossless: the pixels are the sample's own
      assertArrayEquals(Images.grey(i).pixels(), Arrays.copyOfRange(l.data().pixels(), 784 * k, 784 * (k + 1)), p);
      assertEquals(NAMES.get(Images.label(i)), found.get(l.data().labels()[k]), p);
      assertEquals(p.substring(0, p.indexOf('/')), found.get(l.data().labels()[k]));
    }
    // a test split takes the training split's classes; a class folder it lacks is refused
    Path test = images(tmp.resolve("test"), 100, 5, "png");
    Files.createDirectories(test.resolve("Unicorn"));
    Files.write(test.resolve("Unicorn/u.png"), Images.file(Images.grey(0), "png"));
    DataException e = assertThrows(DataException.class, () -> ImageFolders.load(test.toString(), "f/test", found, 1,
        CONF));
    assertEquals("file:" + test.resolve("Unicorn") + ": class folder Unicorn is not one of the training split's "
        + found, e.getMessage());
  }

  @Test
  void imagesOfAnotherSizeAreRefusedByName() throws Exception {
    Path train = images(tmp.resolve("train"), 0, 3, "png");
    Files.write(train.resolve("Trouser/wide.png"), Images.file(Images.rgb(5, 40, 28, 0), "png"));
    DataException e = assertThrows(DataException.class, () -> ImageFolders.load(train.toString(), "f/train", null, 1,
        CONF));
    assertEquals("file:" + train.resolve("Trouser/wide.png") + ": a 28x40 image; the first, " + firstPath(train)
        + ", is 28x28 (targets paired by name need images of one size)", e.getMessage());
  }

  /** The first image in class-folder then file-name order. */
  static String firstPath(Path split) throws Exception {
    try (var s = Files.walk(split)) {
      return s.filter(Files::isRegularFile).map(p -> split.relativize(p).toString()).sorted().findFirst()
          .orElseThrow();
    }
  }

  @Test
  void masksPairWithJpegImagesByRelativePath() throws Exception {
    Path train = images(tmp.resolve("images/train"), 0, 40, "jpg");
    Path m = masks(tmp.resolve("masks/train"), 0, 40);
    ImageFolders.Loaded l = ImageFolders.load(train.toString(), "f/train", null, 1, CONF);
    ShardWriter.Targets t = TargetFiles.masks(m.toString(), l.data(), l.paths(), CONF);
    assertEquals(new TargetSpec(TargetSpec.MASK, List.of(28, 28)), t.spec());
    for (int k = 0; k < 40; k++) {
      int i = sample(l.paths().get(k));
      assertArrayEquals(mask(i), Arrays.copyOfRange(t.values(), 784 * k, 784 * (k + 1)), l.paths().get(k));
    }

    // a missing pair, an extra mask, a mask of the wrong size: one line naming the file
    String cls = NAMES.get(Images.label(7));
    Path seven = m.resolve(cls).resolve("s7.png");
    Files.move(seven, tmp.resolve("s7.png"));
    assertEquals(seven + ": missing: image " + cls + "/s7.jpg of f/train has no mask (masks pair with images by "
        + "name, <class>/<file base name>.png)", refused(m, l));
    Files.move(tmp.resolve("s7.png"), seven);

    Path extra = m.resolve(cls).resolve("s999.png");
    writeMask(extra, mask(0), 28, 28);
    assertEquals(extra + ": extra mask: no image of f/train pairs with it (masks pair with images by name, "
        + "<class>/<file base name>.png)", refused(m, l));
    Files.delete(extra);

    writeMask(seven, mask(7), 14, 28);
    assertEquals(seven + ": a 14x28 mask for a 28x28 image", refused(m, l));
  }

  private static String refused(Path masks, ImageFolders.Loaded l) {
    return assertThrows(DataException.class, () -> TargetFiles.masks(masks.toString(), l.data(), l.paths(), CONF))
        .getMessage();
  }

  @Test
  void csvRowsAreKeyedByTheImagesPath() throws Exception {
    Path train = images(tmp.resolve("train"), 0, 6, "png");
    ImageFolders.Loaded l = ImageFolders.load(train.toString(), "f/train", null, 1, CONF);
    List<String> classes = l.data().classNames();
    StringBuilder labels = new StringBuilder("path,labels\n");
    StringBuilder values = new StringBuilder();
    for (int k = 5; k >= 0; k--) {
      String p = l.paths().get(k);
      labels.append(p).append(',').append(classes.get(l.data().labels()[k])).append(';').append(0).append('\n');
      values.append(p).append(',').append(sample(p)).append(",0.5\n");
    }
    Path csv = Files.writeString(tmp.resolve("train.csv"), labels);
    ShardWriter.Targets hot = TargetFiles.multiHot(csv.toString(), l.data(), l.paths(), CONF);
    int k0 = classes.size();
    assertEquals(new TargetSpec(TargetSpec.MULTI_HOT, List.of(k0)), hot.spec());
    for (int k = 0; k < 6; k++) {
      byte[] want = new byte[k0];
      want[l.data().labels()[k]] = 1;
      want[0] = 1;
      assertArrayEquals(want, Arrays.copyOfRange(hot.values(), k * k0, (k + 1) * k0), l.paths().get(k));
    }
    Path vcsv = Files.writeString(tmp.resolve("values.csv"), values);
    ShardWriter.Targets v = TargetFiles.floatVector(vcsv.toString(), l.data(), l.paths(), CONF);
    float[] back = new float[12];
    for (int k = 0; k < 6; k++) {
      v.spec().decode(Arrays.copyOfRange(v.values(), 8 * k, 8 * k + 8), back, 2 * k);
      assertEquals(sample(l.paths().get(k)), back[2 * k]);
      assertEquals(0.5f, back[2 * k + 1]);
    }

    String first = l.paths().get(0);
    String rest = values.toString().lines().filter(s -> !s.startsWith(first + ",")).reduce("", (a, b) -> a + b + "\n");
    assertEquals(":6: 'T-shirt/nope.png' is not an image of the split (the first field is an image's path in it, "
        + "<class>/<file>)", badCsv(rest + "T-shirt/nope.png,1,2\n", l));
    assertEquals(":6: image " + l.paths().get(1) + " has a second row", badCsv(rest + l.paths().get(1) + ",1,2\n",
        l));
    assertEquals(": no row for image " + first + " (1 of 6 images have none)", badCsv(rest, l));
  }

  private String badCsv(String text, ImageFolders.Loaded l) throws Exception {
    Path csv = Files.writeString(tmp.resolve("bad.csv"), text);
    String msg = assertThrows(DataException.class, () -> TargetFiles.floatVector(csv.toString(), l.data(), l.paths(),
        CONF)).getMessage();
    return msg.substring(csv.toString().length());
  }
}
