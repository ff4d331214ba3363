package dev.fovea.data.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.DataException;
import dev.fovea.data.batch.Batch;
import dev.fovea.data.idx.IdxDatasets;
import dev.fovea.data.image.Codecs;
import dev.fovea.data.image.Image;
import dev.fovea.data.image.Transform;
import dev.fovea.data.shard.ImageShardWriter;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.SampleBlock;
import dev.fovea.data.shard.ShardReader;
import dev.fovea.data.stream.ShardStream;
import dev.fovea.data.stream.StreamPlan;
import dev.fovea.data.testing.Images;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image sharding job on the local file system, on real images: JPEG and PNG folders made from
 * Fashion-MNIST, an ImageNet-layout tree with a flat validation folder and labels file, and a table
 * of image bytes; then streamed back.
 */
class ImageFolderShardIT {
  static SparkSession spark;
  static final Configuration CONF = new Configuration();

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("ImageFolderShardIT")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** Fashion-MNIST test samples [0, n) as class folders of {@code format} files. */
  static Path folder(Path root, int n, String format) throws IOException {
    for (int i = 0; i < n; i++) {
      Path d = root.resolve(IdxDatasets.FASHION_MNIST_CLASSES.get(Images.label(i)).replace('/', '-'));
      Files.createDirectories(d);
      Files.write(d.resolve(String.format("%05d.%s", i, format)), Images.file(Images.grey(i), format));
    }
    return root;
  }

  @Test
  void jpegFolderWithBadFilesIsShardedReportedAndStreamed(@TempDir Path tmp) throws IOException {
    Path root = folder(tmp.resolve("jpeg"), 400, "jpg");
    Path shirt = root.resolve("Shirt");
    byte[] good = Files.readAllBytes(Files.list(shirt).sorted().findFirst().orElseThrow());
    Files.write(shirt.resolve("truncated.jpg"), Arrays.copyOf(good, good.length / 2));
    Files.writeString(shirt.resolve("notes.txt"), "not an image");
    Files.createDirectories(root.resolve("zz-empty"));
    String name = "fmnist-jpeg";

    // 1 bad image of 401 is 0.25 %: above the default 0.1 %
    DataException e = assertThrows(DataException.class, () -> ImageShardWriter.write(spark,
        ImageSources.folder(spark, root.toString(), name, null), tmp.resolve("set").toString(),
        ImageShardWriter.Options.jpeg(1, 0, 5)));
    assertTrue(e.getMessage().contains("1 of 401 images") && e.getMessage().contains("truncated.jpg")
        && e.getMessage().contains("maxBadFraction"), e.getMessage());
    assertFalse(ShardReader.hasManifest(CONF, tmp.resolve("set").toString()));

    String dir = tmp.resolve("set").toString();
    Manifest m = ImageShardWriter.write(spark, ImageSources.folder(spark, root.toString(), name, null), dir,
        ImageShardWriter.Options.jpeg(1, 0, 5).withMaxBadFraction(0.01).withShards(40_000, 2));
    assertEquals(400, m.count());
    assertEquals(Manifest.JPEG, m.encoding());
    assertEquals(10, m.classes().size());
    assertEquals(1, m.report().badImages());
    assertTrue(m.report().badExamples().get(0).startsWith("Shirt/truncated.jpg"), m.report().badExamples().toString());
    assertEquals(Map.of("Shirt", 1L), m.report().nonImageFiles());
    assertEquals(List.of("zz-empty"), m.report().emptyClasses());
    assertTrue(m.shards().size() >= 2, "shards " + m.shards().size());
    for (Manifest.ShardEntry s : m.shards()) {
      assertTrue(s.bytes() <= 40_000, s.file() + " " + s.bytes());
    }
    assertEquals(400, spark.read().parquet(dir + "/" + m.shards().get(0).file().split("/")[0]).count());
    assertEquals(m, ShardReader.readManifest(CONF, dir));
    // evaluation: every sample once, decoded pixels within JPEG error of the originals' statistics
    StreamPlan eval = StreamPlan.of(rows(m), 1, 2, 32, 64, false);
    long seen = 0;
    long[] perClass = new long[10];
    for (int w = 0; w < 2; w++) {
      try (ShardStream s = ShardStream.open(CONF, dir, m, eval, Transform.resize(28, 28, m.mean(), m.std()), 0, w, 0,
          ShardStream.Options.DEFAULT)) {
        while (s.hasNext()) {
          Batch b = s.next();
          assertEquals(List.of(b.size(), 1, 28, 28), Arrays.stream(b.images().shape().dims()).boxed().toList());
          for (int l : b.labels()) {
            perClass[l]++;
          }
          seen += b.size();
        }
      }
    }
    assertEquals(400, seen);
    assertEquals(m.classCounts(), Arrays.stream(perClass).boxed().toList());

    // training with random resized crops: stop anywhere, resume, same sequence
    StreamPlan train = StreamPlan.of(rows(m), 3, 2, 16, 50, true);
    Transform rrc = new Transform(Transform.Kind.RANDOM_RESIZED_CROP, 24, 24, 0.3, 1, 0.75, 4.0 / 3, 0, 0, true,
        m.mean(), m.std());
    List<float[]> whole = drain(dir, m, train, rrc, 1, 0);
    assertEquals(train.samplesPerEpoch(1), whole.size());
    for (long stop : new long[] {37, 96}) {
      List<float[]> rest = drain(dir, m, train, rrc, 1, stop);
      for (int i = 0; i < rest.size(); i++) {
        assertArrayEquals(whole.get((int) stop + i), rest.get(i));
      }
      assertEquals(whole.size() - stop, rest.size());
    }
  }

  static List<Long> rows(Manifest m) {
    return m.shards().stream().map(Manifest.ShardEntry::rows).toList();
  }

  static List<float[]> drain(String dir, Manifest m, StreamPlan p, Transform t, int worker, long from) {
    List<float[]> out = new ArrayList<>();
    try (ShardStream s = ShardStream.open(CONF, dir, m, p, t, 2, worker, from, new ShardStream.Options(2, 3, 2, null))) {
      while (s.hasNext()) {
        Batch b = s.next();
        float[] x = b.images().toFloatArray();
        int per = t.sampleSize();
        for (int i = 0; i < b.size(); i++) {
          float[] row = Arrays.copyOfRange(x, i * per, (i + 1) * per + 1);
          row[per] = b.labels()[i];
          out.add(row);
        }
      }
    }
    return out;
  }

  @Test
  void candidatesTargetsAreStoredBesideTheirImagesAndRecordedInTheManifest(@TempDir Path tmp) {
    // each sample's target: (its index, its mean pixel value), as float32
    List<ImageShardWriter.Candidate> cands = new ArrayList<>();
    Map<Integer, Float> means = new HashMap<>();
    for (int i = 0; i < 120; i++) {
      Image g = Images.grey(i);
      double sum = 0;
      for (byte b : g.pixels()) {
        sum += (b & 0xff) / 255.0;
      }
      means.put(Arrays.hashCode(g.toPlanar().pixels()), (float) (sum / g.pixels().length));
      java.nio.ByteBuffer t = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      t.putFloat(i).putFloat((float) (sum / g.pixels().length));
      cands.add(new ImageShardWriter.Candidate("row-" + i, 0, null, Images.file(g, "png"), t.array()));
    }
    dev.fovea.data.shard.TargetSpec spec = new dev.fovea.data.shard.TargetSpec(
        dev.fovea.data.shard.TargetSpec.FLOAT_VECTOR, List.of(2));
    org.apache.spark.api.java.JavaSparkContext jsc = new org.apache.spark.api.java.JavaSparkContext(
        spark.sparkContext());
    String dir = tmp.resolve("targets").toString();
    Manifest m = ImageShardWriter.write(spark, new ImageShardWriter.Source(jsc.parallelize(cands, 3), List.of("y"),
        "targets", "a table", Map.of(), List.of(), spec), dir, ImageShardWriter.Options.raw(1, 0, 0, 8)
        .withShards(100_000, 2));
    assertEquals(spec, m.targetSpec());
    assertEquals(spec, ShardReader.readManifest(CONF, dir).targetSpec());
    int rows = 0;
    boolean[] seen = new boolean[120];
    for (Manifest.ShardEntry e : m.shards()) {
      ShardReader.Rows r = ShardReader.readRows(CONF, dir, m, e);
      for (int i = 0; i < r.images().length; i++) {
        float[] t = new float[2];
        spec.decode(r.targets()[i], t, 0);
        int index = (int) t[0];
        assertFalse(seen[index], "sample " + index + " twice");
        seen[index] = true;
        assertArrayEquals(Images.grey(index).toPlanar().pixels(), r.images()[i], "the image of sample " + index);
        assertEquals(means.get(Arrays.hashCode(r.images()[i])), t[1]);
        rows++;
      }
    }
    assertEquals(120, rows);

    // a candidate whose target is not the set's size fails the job rather than writing an unreadable set
    cands.set(5, new ImageShardWriter.Candidate("row-5", 0, null, Images.file(Images.grey(5), "png"), new byte[4]));
    Exception e = assertThrows(Exception.class, () -> ImageShardWriter.write(spark, new ImageShardWriter.Source(
        jsc.parallelize(cands, 3), List.of("y"), "targets", "a table", Map.of(), List.of(), spec),
        tmp.resolve("bad").toString(), ImageShardWriter.Options.raw(1, 0, 0, 8)));
    assertTrue(String.valueOf(e.getMessage()).contains("row-5: a target of 4 bytes where the set's target needs 8"),
        e.getMessage());
    assertFalse(ShardReader.hasManifest(CONF, tmp.resolve("bad").toString()));
  }

  @Test
  void pngFolderAsRawShardsKeepsEveryPixel(@TempDir Path tmp) throws IOException {
    Path root = folder(tmp.resolve("png"), 300, "png");
    String dir = tmp.resolve("raw").toString();
    Manifest m = ImageShardWriter.write(spark, ImageSources.folder(spark, root.toString(), "fmnist-png", null), dir,
        ImageShardWriter.Options.raw(1, 0, 0, 8).withShards(100_000, 3));
    assertEquals(Manifest.RAW, m.encoding());
    assertEquals(List.of(1, 28, 28), m.sampleShape());
    assertTrue(m.shards().size() >= 3);
    SampleBlock all = ShardReader.readRange(CONF, dir, m, 0, 300);
    Map<String, Integer> stored = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      stored.merge(m.classes().get(all.labels[i]) + Arrays.hashCode(Arrays.copyOfRange(all.pixels, i * 784,
          (i + 1) * 784)), 1, Integer::sum);
    }
    Map<String, Integer> source = new HashMap<>();
    double sum = 0;
    for (int i = 0; i < 300; i++) {
      Image g = Images.grey(i);
      source.merge(IdxDatasets.FASHION_MNIST_CLASSES.get(Images.label(i)).replace('/', '-')
          + Arrays.hashCode(g.pixels()), 1, Integer::sum);
      for (byte b : g.pixels()) {
        sum += (b & 0xff) / 255.0;
      }
    }
    assertEquals(source, stored);
    assertEquals(sum / (300 * 784), m.mean().get(0), 1e-9);
  }

  @Test
  void imageNetTreeWithAFlatValidationFolderAndLabelsFile(@TempDir Path tmp) throws IOException {
    Path root = tmp.resolve("imagenet");
    String[] wnids = {"n01440764", "n01443537", "n01484850"};
    StringBuilder labels = new StringBuilder("ImageId,PredictionString\n");
    for (int i = 0; i < 45; i++) {
      String wnid = wnids[i % 3];
      Image img = Images.rgb(i, 120 + (i % 4) * 20, 90 + (i % 3) * 15, 6);
      Path d = root.resolve("train").resolve(wnid);
      Files.createDirectories(d);
      Files.write(d.resolve(wnid + "_" + i + ".JPEG"), Codecs.best().encodeJpeg(img, 92));
      if (i % 3 == 0) {
        Path v = root.resolve("val");
        Files.createDirectories(v);
        String file = String.format("ILSVRC2012_val_%08d", i + 1);
        Files.write(v.resolve(file + ".JPEG"), Codecs.best().encodeJpeg(Images.rgb(i + 1, 100, 80, 6), 92));
        labels.append(file).append(',').append(wnids[(i / 3) % 3]).append(" 1 2 3 4\n");
      }
    }
    Files.writeString(root.resolve("LOC_val_solution.csv"), labels);
    String trainDir = tmp.resolve("train-set").toString();
    Manifest train = ImageShardWriter.write(spark, ImageSources.imageNet(spark, root.toString(), "train", null, null),
        trainDir, ImageShardWriter.Options.jpeg(3, 64, 1).withQuality(90).withShards(100_000, 2));
    assertEquals(List.of(wnids), train.classes());
    assertEquals(45, train.count());
    assertEquals(List.of(15L, 15L, 15L), train.classCounts());
    assertEquals("imagenet/train", train.name());
    String valDir = tmp.resolve("val-set").toString();
    Manifest val = ImageShardWriter.write(spark, ImageSources.imageNet(spark, root.toString(), "val",
        root.resolve("LOC_val_solution.csv").toString(), train.classes()), valDir,
        ImageShardWriter.Options.jpeg(3, 64, 1));
    assertEquals(train.classes(), val.classes());
    assertEquals(15, val.count());
    assertEquals(List.of(5L, 5L, 5L), val.classCounts());

    // pre-resized to shorter side 64; training crops to 56, validation resizes to 64 and crops 56
    ShardReader.Rows rows = ShardReader.readRows(CONF, trainDir, train, train.shards().get(0));
    Image first = Codecs.best().decode(rows.images()[0], 3);
    assertEquals(64, Math.min(first.width(), first.height()));
    StreamPlan tp = StreamPlan.of(rows(train), 2, 1, 8, 16, true);
    try (ShardStream s = ShardStream.open(CONF, trainDir, train, tp, Transform.randomResizedCrop(56, train.mean(),
        train.std()), 0, 0, 0, ShardStream.Options.DEFAULT)) {
      Batch b = s.next();
      assertEquals(List.of(8, 3, 56, 56), Arrays.stream(b.images().shape().dims()).boxed().toList());
    }
    StreamPlan vp = StreamPlan.of(rows(val), 2, 1, 8, 16, false);
    int n = 0;
    try (ShardStream s = ShardStream.open(CONF, valDir, val, vp, Transform.resizeCenterCrop(64, 56, train.mean(),
        train.std()), 0, 0, 0, ShardStream.Options.DEFAULT)) {
      while (s.hasNext()) {
        n += s.next().size();
      }
    }
    assertEquals(15, n);
  }

  @Test
  void aTableOfImageBytesAndAnInterruptedRun(@TempDir Path tmp) throws IOException {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      rows.add(RowFactory.create(Images.file(Images.grey(i), i % 2 == 0 ? "png" : "jpg"),
          IdxDatasets.FASHION_MNIST_CLASSES.get(Images.label(i))));
    }
    StructType schema = new StructType().add("bytes", DataTypes.BinaryType).add("category", DataTypes.StringType);
    Dataset<Row> df = spark.createDataFrame(rows, schema);
    Path set = tmp.resolve("table-set");
    Files.createDirectories(set.resolve("_staging-dead"));
    Files.write(set.resolve("_staging-dead/part-00000.parquet"), new byte[] {1, 2, 3});
    Manifest m = ImageShardWriter.write(spark, ImageSources.dataFrame(df, "bytes", "category", null, "fmnist-table"),
        set.toString(), ImageShardWriter.Options.jpeg(1, 32, 4).withShards(1 << 20, 2));
    assertEquals(120, m.count());
    assertEquals(IdxDatasets.FASHION_MNIST_CLASSES.stream().sorted().toList(), m.classes());
    try (Stream<Path> s = Files.list(set)) {
      assertEquals(List.of("manifest.json", m.shards().get(0).file().split("/")[0]),
          s.map(p -> p.getFileName().toString()).filter(x -> !x.startsWith(".")).sorted().toList());
    }
  }
}
