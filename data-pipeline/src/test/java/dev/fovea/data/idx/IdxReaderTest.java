package dev.fovea.data.idx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import dev.fovea.data.testing.FashionMnist;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

  private static byte[] images(int magic, int n, int rows, int cols, int bodyBytes) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(b);
    d.writeInt(magic);
    d.writeInt(n);
    d.writeInt(rows);
    d.writeInt(cols);
    for (int i = 0; i < bodyBytes; i++) {
      d.writeByte(i);
    }
    return b.toByteArray();
  }

  @Test
  void readsPlainFile() throws IOException {
    IdxReader.Images img = IdxReader.readImages(new ByteArrayInputStream(images(0x803, 2, 2, 3, 12)), "x");
    assertEquals(2, img.count());
    assertEquals(2, img.rows());
    assertEquals(3, img.cols());
    assertEquals(11, img.pixels()[11]);
  }

  @Test
  void readsRealFashionMnistGzip() {
    ImageDataset train = IdxDatasets.load(FashionMnist.dir().toString(), IdxDatasets.Split.TRAIN, new Configuration());
    assertEquals(60000, train.count());
    assertEquals(dev.fovea.kernels.Shape.of(1, 28, 28), train.sampleShape());
    assertEquals("Ankle boot", train.classNames().get(9));
    long[] perClass = new long[10];
    for (int l : train.labels()) {
      perClass[l]++;
    }
    assertArrayEquals(new long[] {6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000}, perClass);
  }

  @Test
  void wrongMagicIsNamed() {
    DataException e = assertThrows(DataException.class,
        () -> IdxReader.readImages(new ByteArrayInputStream(images(0x801, 1, 2, 2, 4)), "/d/x-images"));
    assertEquals("/d/x-images: wrong magic number 0x00000801, expected 0x00000803 (IDX unsigned-byte images)",
        e.getMessage());
  }

  @Test
  void truncatedBodyIsNamed() {
    DataException e = assertThrows(DataException.class,
        () -> IdxReader.readImages(new ByteArrayInputStream(images(0x803, 3, 2, 2, 7)), "/d/img"));
    assertTrue(e.getMessage().startsWith("/d/img: truncated: the header promises 3 images of 2x2 (12 bytes of data)"
        + " but the file holds 7"), e.getMessage());
  }

  @Test
  void truncatedHeaderIsNamed() {
    DataException e = assertThrows(DataException.class,
        () -> IdxReader.readLabels(new ByteArrayInputStream(new byte[] {0, 0, 8, 1, 0}), "/d/lab"));
    assertEquals("/d/lab: truncated: the file ends inside its header (label count)", e.getMessage());
  }

  @Test
  void trailingBytesAreRejected() {
    DataException e = assertThrows(DataException.class,
        () -> IdxReader.readImages(new ByteArrayInputStream(images(0x803, 1, 2, 2, 5)), "/d/img"));
    assertTrue(e.getMessage().contains("unexpected trailing bytes"), e.getMessage());
  }

  @Test
  void truncatedGzipIsNamed(@TempDir Path tmp) throws IOException {
    Path dir = FashionMnist.subset(tmp, 100, 10);
    Path f = dir.resolve("train-images-idx3-ubyte.gz");
    byte[] all = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(all, all.length / 2));
    DataException e = assertThrows(DataException.class,
        () -> IdxDatasets.load(dir.toString(), IdxDatasets.Split.TRAIN, new Configuration()));
    assertTrue(e.getMessage().startsWith(f.toString() + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("cannot read"), e.getMessage());
  }

  @Test
  void labelCountMismatchNamesBothFiles(@TempDir Path tmp) throws IOException {
    Path dir = FashionMnist.subset(tmp, 100, 10);
    FashionMnist.writeLabels(dir.resolve("train-labels-idx1-ubyte.gz"), new byte[99]);
    DataException e = assertThrows(DataException.class,
        () -> IdxDatasets.load(dir.toString(), IdxDatasets.Split.TRAIN, new Configuration()));
    assertTrue(e.getMessage().contains("holds 99 labels but") && e.getMessage().contains("holds 100 images"),
        e.getMessage());
  }

  @Test
  void missingDirectoryIsNamed(@TempDir Path tmp) {
    String missing = tmp.resolve("nope").toString();
    DataException e = assertThrows(DataException.class,
        () -> IdxDatasets.load(missing, IdxDatasets.Split.TRAIN, new Configuration()));
    assertEquals(missing + ": data directory does not exist", e.getMessage());
  }

  private static String refusal(org.junit.jupiter.api.function.Executable read, String name) {
    String m = assertThrows(DataException.class, read).getMessage();
    assertTrue(m.startsWith(name + ": ") && !m.contains("\n"), m);
    return m;
  }

  @Test
  void craftedCountsAreRefusedBeforeAllocating(@TempDir Path tmp) throws IOException {
    // Two million 28x28 images (1.5 GB) declared in 16 bytes: refused from the file's length when it is
    // known, and read as an IDX stream of unknown length (inside gzip) without allocating more than the
    // bytes that arrive; a billion is over the limit of one array whatever the file holds.
    byte[] millions = IdxFuzzSeeds.idx(IdxReader.IMAGES_MAGIC, new int[] {2_000_000, 28, 28}, new byte[0]);
    assertEquals("m: offset 4: image count 2000000 needs 1568000000 bytes but the file holds only 0 more",
        refusal(() -> IdxReader.readImages(new ByteArrayInputStream(millions), millions.length, "m"), "m"));
    assertEquals("m.gz: truncated: the header promises 2000000 images of 28x28 (1568000000 bytes of data) but "
        + "the file holds 0", refusal(() -> IdxReader.readImages(new ByteArrayInputStream(IdxFuzzSeeds.gzip(
        millions)), -1, "m.gz"), "m.gz"));
    byte[] billion = IdxFuzzSeeds.idx(IdxReader.IMAGES_MAGIC, new int[] {1_000_000_000, 28, 28}, new byte[0]);
    assertEquals("b.gz: offset 4: image count 1000000000 exceeds the limit of 2739137",
        refusal(() -> IdxReader.readImages(new ByteArrayInputStream(IdxFuzzSeeds.gzip(billion)), -1, "b.gz"), "b.gz"));
    // 2^31 - 1 labels in 8 bytes, and a negative count.
    byte[] labels = IdxFuzzSeeds.idx(IdxReader.LABELS_MAGIC, new int[] {Integer.MAX_VALUE}, new byte[0]);
    assertEquals("l: offset 4: label count 2147483647 exceeds the limit of 2147483639",
        refusal(() -> IdxReader.readLabels(new ByteArrayInputStream(labels), labels.length, "l"), "l"));
    byte[] negative = IdxFuzzSeeds.idx(IdxReader.LABELS_MAGIC, new int[] {-5}, new byte[0]);
    assertEquals("n: offset 4: label count -5 is negative",
        refusal(() -> IdxReader.readLabels(new ByteArrayInputStream(negative), negative.length, "n"), "n"));
    byte[] rows = IdxFuzzSeeds.idx(IdxReader.IMAGES_MAGIC, new int[] {1, Integer.MAX_VALUE, 1}, new byte[4]);
    assertEquals("r: offset 8: row count 2147483647 exceeds the limit of 65536",
        refusal(() -> IdxReader.readImages(new ByteArrayInputStream(rows), rows.length, "r"), "r"));
    // Through IdxDatasets, which passes the file's length.
    Files.write(tmp.resolve("train-images-idx3-ubyte"), millions);
    Files.write(tmp.resolve("train-labels-idx1-ubyte"), labels);
    String m = refusal(() -> IdxDatasets.load(tmp.toString(), IdxDatasets.Split.TRAIN, new Configuration()),
        tmp.resolve("train-images-idx3-ubyte").toString());
    assertTrue(m.endsWith(": offset 4: image count 2000000 needs 1568000000 bytes but the file holds only 0 more"), m);
  }
}
