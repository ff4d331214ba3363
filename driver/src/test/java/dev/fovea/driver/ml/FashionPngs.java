package dev.fovea.driver.ml;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.ImageDataset;
import dev.fovea.data.idx.IdxDatasets;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.TrainingRun;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/** Real Fashion-MNIST images as PNG files in class folders, read back with Spark's binaryFile source. */
final class FashionPngs {
  private FashionPngs() {}

  /**
   * Writes samples {@code [from, from + n)} of the split as {@code dir/<class>/<index>.png} (class
   * names with '/' written with '-'); returns {@code dir}.
   */
  static Path write(Path dir, IdxDatasets.Split split, int from, int n) throws IOException {
    ImageDataset d = IdxDatasets.load(FashionMnist.dir().toString(), split, new Configuration());
    for (int i = from; i < from + n; i++) {
      Path cls = dir.resolve(className(d, i));
      Files.createDirectories(cls);
      BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, 28, 28, Arrays.copyOfRange(d.pixels(), i * 784, (i + 1) * 784));
      assertTrue(ImageIO.write(img, "png", cls.resolve(String.format("%05d.png", i)).toFile()));
    }
    return dir;
  }

  static String className(ImageDataset d, int i) {
    return d.classNames().get(d.labels()[i]).replace('/', '-');
  }

  /** The PNG files under {@code dir} with binaryFile's columns and {@code class}, the folder's name. */
  static Dataset<Row> read(SparkSession spark, Path dir) {
    return spark.read().format("binaryFile").option("pathGlobFilter", "*.png").option("recursiveFileLookup", "true")
        .load(dir.toString())
        .withColumn("class", functions.regexp_extract(functions.col("path"), "/([^/]+)/[^/]+$", 1));
  }

  /** A PNG file's bytes. */
  static byte[] png(byte[] grey, int h, int w) throws IOException {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setDataElements(0, 0, w, h, grey);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  /**
   * The bytes of a {@code .fovea} file of an untrained LeNet (seeded parameters) for 1×28×28 inputs
   * and Fashion-MNIST's ten classes, with a normalisation of mean 0.25 and std 0.5.
   */
  static byte[] untrainedModel(long seed) throws IOException {
    return untrainedModel(seed, Zoo.build("lenet", dev.fovea.kernels.Shape.of(1, 28, 28), 10));
  }

  /** The model file of {@code net} with parameters seeded by {@code seed}, as {@link #untrainedModel(long)}. */
  static byte[] untrainedModel(long seed, Network net) throws IOException {
    ImageDataset d = IdxDatasets.load(FashionMnist.dir().toString(), IdxDatasets.Split.TEST, new Configuration());
    Map<String, String> prov = new LinkedHashMap<>();
    prov.put("normalization_mean", "0.25");
    prov.put("normalization_std", "0.5");
    ModelFile.Model m = new ModelFile.Model(net, "lenet", d.classNames(), net.layout().initialize(seed),
        net.bufferLayout().initialize(seed), null, prov);
    TrainingRun.normalization(m);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ModelFile.write(m, out);
    return out.toByteArray();
  }
}
