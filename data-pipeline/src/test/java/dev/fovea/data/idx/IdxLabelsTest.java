package dev.fovea.data.idx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import dev.fovea.data.testing.FashionMnist;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An MNIST-layout set's labels: the classes they span, and one damaged byte named, not turned into classes. */
class IdxLabelsTest {
  static Path set(Path dir, byte[] labels) throws IOException {
    return FashionMnist.tinySet(dir, labels, 1);
  }

  static byte[] labels(int... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) v[i];
    }
    return b;
  }

  static ImageDataset load(Path dir) {
    return IdxDatasets.load(dir.toString(), IdxDatasets.Split.TRAIN, new Configuration());
  }

  /** Loading {@code labels} from a folder named {@code folder} fails with a message ending in {@code end}. */
  static void assertRefused(Path tmp, String folder, byte[] labels, String end) throws IOException {
    Path dir = set(tmp.resolve(folder), labels);
    DataException e = assertThrows(DataException.class, () -> load(dir));
    assertTrue(e.getMessage().endsWith(end), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void aDamagedLabelByteIsNamedNotMadeIntoClasses(@TempDir Path tmp) throws IOException {
    assertRefused(tmp, "digits", labels(0, 1, 2, 3, 4, 200, 6, 7, 8, 9), "/digits/train-labels-idx1-ubyte.gz: row 5 "
        + "(byte 13): label 200 is out of range: no row has label 10, so the classes end at 9");
  }

  @Test
  void fashionMnistHasTenClasses(@TempDir Path tmp) throws IOException {
    assertRefused(tmp, "fashion-broken", labels(0, 1, 2, 3, 4, 5, 6, 7, 8, 10), ": row 9 (byte 17): label 10 is out "
        + "of range: Fashion-MNIST has classes 0 to 9");
  }

  /** No images: refused before anything is written (the manifest's mean and std would be NaN). */
  @Test
  void noImagesIsRefused(@TempDir Path tmp) throws IOException {
    ImageDataset empty = load(FashionMnist.tinySet(tmp.resolve("empty"), new byte[0], 0));
    assertEquals(0, empty.count());
    Path out = tmp.resolve("shards");
    DataException e = assertThrows(DataException.class, () -> dev.fovea.data.shard.ShardWriter.write(null, empty,
        out.toString(), new dev.fovea.data.shard.ShardWriter.Options(1, 1, 1 << 20)));
    assertTrue(e.getMessage().endsWith(": no images to shard"), e.getMessage());
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void largerSetsKeepTheirClasses(@TempDir Path tmp) throws IOException {
    int[] balanced = new int[47]; // EMNIST balanced: 0 to 46
    for (int i = 0; i < balanced.length; i++) {
      balanced[i] = i;
    }
    assertEquals(47, load(set(tmp.resolve("balanced"), labels(balanced))).classNames().size());
    int[] letters = new int[26]; // EMNIST letters: 1 to 26, no 0
    for (int i = 0; i < letters.length; i++) {
      letters[i] = i + 1;
    }
    assertEquals(27, load(set(tmp.resolve("letters"), labels(letters))).classNames().size());
    // a small split of a 10-class set need not hold every class
    assertEquals(10, load(set(tmp.resolve("few"), labels(3, 3, 7))).classNames().size());
    assertEquals(10, IdxDatasets.checkLabels("f", new int[] {0, 9}, true));
    // a gap above 9 cuts the classes where it starts: 30 and 31 are out of range after 10..28
    int[] gap = new int[21];
    for (int i = 0; i < 19; i++) {
      gap[i] = 10 + i;
    }
    gap[19] = 30;
    gap[20] = 31;
    DataException e = assertThrows(DataException.class, () -> IdxDatasets.checkLabels("f", gap, false));
    assertEquals("f: row 19 (byte 27): label 30 is out of range: no row has label 29, so the classes end at 28",
        e.getMessage());
  }
}
