package dev.fovea.data.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import dev.fovea.data.image.Image;
import dev.fovea.data.testing.Images;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CIFAR binary batches written from real images in both layouts. */
class CifarDatasetsTest {

  static byte[] records(int from, int n, boolean c100) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = from; i < from + n; i++) {
      if (c100) {
        out.write(i % 20);
      }
      out.write(c100 ? 50 + Images.label(i) : Images.label(i));
      Image img = Images.rgb(i, 32, 32, 0).toPlanar();
      out.write(img.pixels(), 0, 3072);
    }
    return out.toByteArray();
  }

  @Test
  void cifar10BatchesAndNames(@TempDir Path d) throws IOException {
    for (int b = 1; b <= 5; b++) {
      Files.write(d.resolve("data_batch_" + b + ".bin"), records(b * 10, 10, false));
    }
    Files.write(d.resolve("test_batch.bin"), records(0, 7, false));
    Files.writeString(d.resolve("batches.meta.txt"), String.join("\n", CifarDatasets.CIFAR10_CLASSES) + "\n\n");
    ImageDataset train = CifarDatasets.load(d.toString(), true, new Configuration());
    assertEquals(50, train.count());
    assertEquals(CifarDatasets.CIFAR10_CLASSES, train.classNames());
    assertEquals(Images.label(10), train.labels()[0]);
    assertArrayEquals(Images.rgb(10, 32, 32, 0).toPlanar().pixels(), Arrays.copyOf(train.pixels(), 3072));
    assertEquals(7, CifarDatasets.load(d.toString(), false, new Configuration()).count());
  }

  @Test
  void cifar100UsesFineLabels(@TempDir Path d) throws IOException {
    Files.write(d.resolve("train.bin"), records(0, 12, true));
    ImageDataset train = CifarDatasets.load(d.toString(), true, new Configuration());
    assertEquals(100, train.classNames().size());
    assertEquals(50 + Images.label(3), train.labels()[3]);
    assertEquals("cifar-100/train", train.name());
  }

  @Test
  void partialRecordsAreRejected(@TempDir Path d) throws IOException {
    Files.write(d.resolve("test_batch.bin"), Arrays.copyOf(records(0, 2, false), 5000));
    DataException e = assertThrows(DataException.class,
        () -> CifarDatasets.load(d.toString(), false, new Configuration()));
    assertTrue(e.getMessage().contains("whole number of 3073-byte records"), e.getMessage());
  }

  @Test
  void aFileTooLargeToHoldIsRefusedFromItsSizeBeforeAnyIsRead(@TempDir Path d) throws IOException {
    // 1,000,000 records (3 GB) in a sparse file: more than one array holds; nothing is read.
    Files.write(d.resolve("test_batch.bin"), records(0, 1, false));
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(d.resolve("test_batch.bin").toFile(), "rw")) {
      f.setLength(3073L * 1_000_000);
    }
    DataException e = assertThrows(DataException.class, () -> CifarDatasets.load(d.toString(), false,
        new Configuration()));
    assertTrue(e.getMessage().endsWith("test_batch.bin: record count 1000000 exceeds the limit of 698823"),
        e.getMessage());
  }
}
