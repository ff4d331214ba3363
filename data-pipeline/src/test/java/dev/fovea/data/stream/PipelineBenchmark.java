package dev.fovea.data.stream;

import dev.fovea.data.ImageDataset;
import dev.fovea.data.batch.Batch;
import dev.fovea.data.idx.IdxDatasets;
import dev.fovea.data.image.Codecs;
import dev.fovea.data.image.Image;
import dev.fovea.data.image.ImageCodec;
import dev.fovea.data.image.ImageIoCodec;
import dev.fovea.data.image.Transform;
import dev.fovea.data.shard.ImageShardWriter;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.ShardReader;
import dev.fovea.data.shard.ShardWriter;
import dev.fovea.data.source.ImageSources;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.data.testing.Images;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Images per second per core of the shipped decode-and-augment path, next to {@code javax.imageio}
 * decoding the same images in the same run. Not part of the build (no Test/IT suffix); run it as
 * documented in {@code data-pipeline/BENCHMARKS.md}.
 *
 * <p>JPEG: 256 RGB images (Fashion-MNIST composites with noise, 360–480 × 330–400 pixels) are
 * sharded by {@link ImageShardWriter} with the shorter side pre-resized to 288 at quality 90; then
 * one thread decodes each stored JPEG and applies random-resized-crop 224 + flip + normalise.
 * Raw: 4,096 Fashion-MNIST 1×28×28 samples in raw-uint8 shards with pad-4 random crop + flip +
 * normalise, and the same data as 3×32×32 (CIFAR-sized). Each figure is the median of 7 timed
 * passes after 2 warm-up passes, timed in CPU time of the working thread (the build machine is
 * shared, so wall time would include other processes' work); "streamed" is {@link ShardStream} with one decoding thread.
 */
class PipelineBenchmark {
  static final int PASSES = 7;

  @Test
  void run() throws Exception {
    Path tmp = Files.createTempDirectory("fovea-bench");
    SparkSession spark = SparkSession.builder().master("local[2]").appName("PipelineBenchmark")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    try {
      ImageCodec nat = Codecs.nativeOrNull();
      ImageCodec java = new ImageIoCodec();
      List<Row> rows = new ArrayList<>();
      SplittableRandom r = new SplittableRandom(1);
      for (int i = 0; i < 256; i++) {
        Image img = Images.rgb(i * 3, 360 + r.nextInt(121), 330 + r.nextInt(71), 8);
        rows.add(RowFactory.create(nat.encodeJpeg(img, 95), i % 10));
      }
      Dataset<Row> df = spark.createDataFrame(rows,
          new StructType().add("image", DataTypes.BinaryType).add("label", DataTypes.IntegerType));
      String jdir = tmp.resolve("jpeg").toString();
      Manifest jm = ImageShardWriter.write(spark, ImageSources.dataFrame(df, "image", "label", null, "bench"), jdir,
          ImageShardWriter.Options.jpeg(3, 288, 1).withQuality(90));
      ShardReader.Rows stored = ShardReader.readRows(conf, jdir, jm, jm.shards().get(0));
      long bytes = Arrays.stream(stored.images()).mapToLong(b -> b.length).sum();
      Image probe = nat.decode(stored.images()[0], 3);
      System.out.printf("%nFovea data pipeline benchmark: images per CPU-second of one thread (= per core); median of %d passes; cores here: %d%n",
          PASSES, Runtime.getRuntime().availableProcessors());
      System.out.printf("JPEG shards: %d images, mean %.1f KB, e.g. %dx%d (shorter side 288, q90)%n",
          stored.count(), bytes / 1024.0 / stored.count(), probe.width(), probe.height());
      Transform rrc = Transform.randomResizedCrop(224, jm.mean(), jm.std());
      report("decode only", nat, java, stored, null);
      report("decode + RRC 224 + flip + normalise", nat, java, stored, rrc);
      StreamPlan jp = StreamPlan.of(jm.shards().stream().map(Manifest.ShardEntry::rows).toList(), 1, 1, 32, 256,
          true);
      System.out.printf("  %-44s %8.0f images/s per process CPU-second (opencv, ShardStream, 1 decoding thread)%n", "same, streamed",
          median(() -> stream(conf, jdir, jm, jp, rrc, nat, 1, false)));
      System.out.printf("  %-44s %8.0f images/s per process CPU-second (4 epochs per pass, shards read once)%n",
          "same, streamed as the driver does", median(() -> stream(conf, jdir, jm, jp, rrc, nat, 4, true)));

      ImageDataset fm = IdxDatasets.load(FashionMnist.dir().toString(), IdxDatasets.Split.TEST, new Configuration())
          .subset(0, 4096);
      String rdir = tmp.resolve("raw").toString();
      Manifest rm = ShardWriter.write(spark, fm, rdir, new ShardWriter.Options(1, 1, 1 << 20));
      StreamPlan rp = StreamPlan.of(rm.shards().stream().map(Manifest.ShardEntry::rows).toList(), 1, 1, 64, 4096,
          true);
      Transform pad = Transform.padRandomCrop(28, 28, 4, rm.mean(), rm.std());
      ShardReader.Rows raw = ShardReader.readRows(conf, rdir, rm, rm.shards().get(0));
      System.out.printf("Raw uint8 shards: %d Fashion-MNIST images 1x28x28%n", raw.count());
      System.out.printf("  %-44s %8.0f images/s%n", "pad 4 + crop 28 + flip + normalise",
          median(() -> rawLoop(raw, 1, 28, pad)));
      System.out.printf("  %-44s %8.0f images/s (ShardStream, 1 decoding thread)%n", "same, streamed (per process CPU-second)",
          median(() -> stream(conf, rdir, rm, rp, pad, nat, 1, false)));
      System.out.printf("  %-44s %8.0f images/s (4 epochs per pass, shards read once)%n",
          "same, streamed as the driver does", median(() -> stream(conf, rdir, rm, rp, pad, nat, 4, true)));
      ShardReader.Rows cifar = new ShardReader.Rows(Arrays.stream(raw.images()).map(b -> {
        byte[] c = new byte[3072];
        for (int k = 0; k < 3072; k++) {
          c[k] = b[(k % 1024) * 784 / 1024];
        }
        return c;
      }).toArray(byte[][]::new), raw.labels());
      Transform pad3 = Transform.padRandomCrop(32, 32, 4, List.of(0.5, 0.5, 0.5), List.of(0.25, 0.25, 0.25));
      System.out.printf("  %-44s %8.0f images/s%n", "3x32x32: pad 4 + crop 32 + flip + normalise",
          median(() -> rawLoop(cifar, 3, 32, pad3)));
    } finally {
      spark.stop();
    }
  }

  interface Pass {
    double run() throws Exception;
  }

  static double median(Pass p) throws Exception {
    p.run();
    p.run();
    double[] v = new double[PASSES];
    for (int i = 0; i < PASSES; i++) {
      v[i] = p.run();
    }
    Arrays.sort(v);
    return v[PASSES / 2];
  }

  static void report(String what, ImageCodec nat, ImageCodec java, ShardReader.Rows rows, Transform t)
      throws Exception {
    double a = median(() -> decodeLoop(nat, rows, t));
    double b = median(() -> decodeLoop(java, rows, t));
    System.out.printf("  %-44s %8.0f images/s opencv-libjpeg-turbo | %8.0f javax.imageio | x%.1f%n", what, a, b,
        a / b);
  }

  static double decodeLoop(ImageCodec codec, ShardReader.Rows rows, Transform t) {
    float[] out = t == null ? null : new float[t.sampleSize()];
    long t0 = cpu();
    for (int i = 0; i < rows.count(); i++) {
      Image img = codec.decode(rows.images()[i], 3);
      if (t != null) {
        t.apply(img, new SplittableRandom(i), out, 0);
      }
    }
    return rows.count() / ((cpu() - t0) / 1e9);
  }

  /** CPU time of this thread: the machine is shared, so wall time would count other processes' work. */
  static long cpu() {
    return THREADS.getCurrentThreadCpuTime();
  }

  /** CPU time of the whole JVM (all decoding threads, the consumer, GC). */
  static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  static double rawLoop(ShardReader.Rows rows, int c, int side, Transform t) {
    float[] out = new float[t.sampleSize()];
    long t0 = cpu();
    int reps = 4;
    for (int k = 0; k < reps; k++) {
      for (int i = 0; i < rows.count(); i++) {
        t.apply(new Image(side, side, c, rows.images()[i], true), new SplittableRandom(i), out, 0);
      }
    }
    return reps * rows.count() / ((cpu() - t0) / 1e9);
  }

  /**
   * Streams {@code epochs} epochs, one decoding thread; with {@code shared}, through the JVM's shard
   * cache as the driver's workers do (after the first pass no shard is read again).
   */
  static double stream(Configuration conf, String dir, Manifest m, StreamPlan p, Transform t, ImageCodec codec,
      int epochs, boolean shared) {
    long t0 = processCpu();
    long n = 0;
    for (int e = 0; e < epochs; e++) {
      try (ShardStream s = ShardStream.open(conf, dir, m, p, t, e, 0, 0, new ShardStream.Options(1, 4, 2, codec,
          shared))) {
        while (s.hasNext()) {
          Batch b = s.next();
          n += b.size();
          s.recycle(b);
        }
      }
    }
    return n / ((processCpu() - t0) / 1e9);
  }
}
