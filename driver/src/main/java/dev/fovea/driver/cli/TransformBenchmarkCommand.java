package dev.fovea.driver.cli;

import dev.fovea.data.ImageDataset;
import dev.fovea.data.idx.IdxDatasets;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.ShardWriter;
import dev.fovea.driver.Evaluator;
import dev.fovea.driver.SparkSessions;
import dev.fovea.driver.TrainConfig;
import dev.fovea.driver.ml.FoveaClassificationModel;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fovea benchmark transform}: {@link FoveaClassificationModel#transform} over Fashion-MNIST
 * rows next to {@code fovea evaluate} ({@link Evaluator}) on the same images, in the same run and
 * session, with the same number of tasks: images/s of each and their ratio. The rows are the test
 * split's first {@code --rows} images, as PNG file bytes (what Spark's binaryFile source gives)
 * and as {@code array<float>} pixel values, cached in memory before timing; evaluate reads them
 * from a raw shard set made first. Each measurement is the median of {@code --reps} timed runs
 * after one untimed run. Without {@code --model} the network is a LeNet with seeded parameters
 * (throughput does not depend on the values).
 */
@Command(name = "transform", mixinStandardHelpOptions = true,
    description = "Images/s of FoveaClassificationModel.transform over Fashion-MNIST rows (PNG bytes, float arrays)"
        + " next to fovea evaluate on the same images in the same run, and their ratio.")
final class TransformBenchmarkCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", paramLabel = "DIR", description = "MNIST-layout folder (default: ${DEFAULT-VALUE})")
  String data = TrainConfig.DEFAULT_DATA;

  @Option(names = "--rows", description = "images of the test split (default: ${DEFAULT-VALUE})")
  int rows = 10_000;

  @Option(names = "--workers", description = "tasks of both, partitions of the rows (default: ${DEFAULT-VALUE})")
  int workers = 2;

  @Option(names = "--model", paramLabel = "FILE", description = "a model.fovea for 1x28x28 inputs and 10 classes "
      + "(default: LeNet with seeded parameters)")
  String model;

  @Option(names = "--backend", description = "auto, reference or onednn (default: ${DEFAULT-VALUE})")
  String backend = "auto";

  @Option(names = "--batch", description = "rows per forward pass of transform (default: ${DEFAULT-VALUE})")
  int batch = 500;

  @Option(names = "--reps", description = "timed repetitions (default: ${DEFAULT-VALUE})")
  int reps = 5;

  @Option(names = "--warmup", description = "untimed runs of each before the timed ones (default: ${DEFAULT-VALUE})")
  int warmup = 3;

  @Option(names = "--master", description = "Spark master URL (default: from spark-submit, else local[N])")
  String master;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (reps < 1) {
      throw new IllegalArgumentException("invalid value " + reps + " for --reps: at least one timed run");
    }
    if (warmup < 0) {
      throw new IllegalArgumentException("invalid value " + warmup + " for --warmup: 0 or more untimed runs");
    }
    SparkSession spark = SparkSessions.create("fovea benchmark transform", master, workers);
    Path tmp = Files.createTempDirectory("fovea-bench-transform-");
    try {
      ImageDataset all = IdxDatasets.load(data, IdxDatasets.Split.TEST, spark.sparkContext().hadoopConfiguration());
      if (rows < 1 || rows > all.labels().length) {
        throw new IllegalArgumentException("invalid value " + rows + " for --rows: the test split has "
            + all.labels().length + " images");
      }
      ImageDataset d = all.subset(0, rows);
      String shards = tmp.resolve("shards").toUri().toString();
      Manifest m = ShardWriter.write(spark, d, shards, new ShardWriter.Options(Math.max(2, workers), 1, 4 << 20));
      ModelFile.Model file = model != null ? PredictCommand.load(model) : seeded(m);
      byte[] bytes = bytes(file);

      Dataset<Row> table = table(spark, d).repartition(workers).cache();
      table.count();
      FoveaClassificationModel t = new FoveaClassificationModel(bytes).setBackend(backend).setInferenceBatch(batch);
      Map<String, Supplier<Double>> runs = new LinkedHashMap<>();
      runs.put("evaluate", () -> {
        long t0 = System.nanoTime();
        long n = Evaluator.evaluate(spark, file, shards, workers, backend).count;
        return n / ((System.nanoTime() - t0) / 1e9);
      });
      // the floor of any row-by-row stage: the rows out of Spark and back with the three columns, no inference
      StructType passSchema = table.select("png").schema().add("rawPrediction", SQLDataTypes.VectorType())
          .add("probability", SQLDataTypes.VectorType()).add("prediction", DataTypes.DoubleType);
      runs.put("rows through Spark only", () -> {
        long t0 = System.nanoTime();
        long n = table.select("png").mapPartitions((MapPartitionsFunction<Row, Row>) TransformBenchmarkCommand::same,
            Encoders.row(passSchema)).select("prediction").javaRDD().filter(r -> !r.isNullAt(0)).count();
        return n / ((System.nanoTime() - t0) / 1e9);
      });
      for (String column : List.of("png", "pixels")) {
        Dataset<Row> input = table.select(column);
        FoveaClassificationModel c = t.copy(new ParamMap()).setFeaturesCol(column);
        runs.put("transform, " + (column.equals("png") ? "PNG bytes" : "floats"), () -> {
          long t0 = System.nanoTime();
          // one stage, as evaluate's job (a DataFrame aggregate would add a shuffle stage to the timing)
          long n = c.transform(input).select("prediction").javaRDD().filter(r -> !r.isNullAt(0)).count();
          if (n != rows) {
            throw new IllegalStateException("transform predicted " + n + " of " + rows + " rows");
          }
          return rows / ((System.nanoTime() - t0) / 1e9);
        });
      }
      // untimed runs of each (the JIT is still compiling Spark SQL's planner after the first few DataFrame
      // actions, which an RDD job such as evaluate's does not use), then the reps interleaved (evaluate, the
      // floor, transform, transform), so that a shared machine's changing load falls on all of them alike; each
      // rep's ratios are its own
      for (int i = 0; i < warmup; i++) {
        runs.values().forEach(Supplier::get);
      }
      Map<String, double[]> rates = new LinkedHashMap<>();
      Map<String, double[]> cpu = new LinkedHashMap<>();
      runs.keySet().forEach(k -> rates.put(k, new double[reps]));
      runs.keySet().forEach(k -> cpu.put(k, new double[reps]));
      for (int i = 0; i < reps; i++) {
        for (Map.Entry<String, Supplier<Double>> e : runs.entrySet()) {
          long c0 = processCpuNanos();
          rates.get(e.getKey())[i] = e.getValue().get();
          cpu.get(e.getKey())[i] = (processCpuNanos() - c0) / 1e6 / rows;
        }
        double ev = rates.get("evaluate")[i];
        StringBuilder line = new StringBuilder(String.format("fovea: rep %d: evaluate %,.0f", i + 1, ev));
        for (Map.Entry<String, double[]> e : rates.entrySet()) {
          if (e.getKey().startsWith("transform")) {
            double v = e.getValue()[i];
            line.append(String.format(" · %s %,.0f (%.2f)", e.getKey().substring("transform, ".length()), v, v / ev));
          }
        }
        out.println(line.append(" images/s · load ").append(loadAverage()));
        StringBuilder c = new StringBuilder("fovea:        CPU ms per image (this JVM, all threads):");
        for (Map.Entry<String, double[]> e : cpu.entrySet()) {
          c.append(String.format(" %s %.3f ·", e.getKey(), e.getValue()[i]));
        }
        out.println(c.substring(0, c.length() - 2));
      }
      double evaluate = median(rates.get("evaluate"));
      out.printf("fovea: evaluate:                %,10.0f images/s (%d images, %d tasks, median of %d after %d "
          + "untimed)%n", evaluate, rows, workers, reps, warmup);
      out.printf("fovea: rows through Spark only: %,10.0f rows/s (PNG rows out and back with three columns, no "
          + "inference)%n", median(rates.get("rows through Spark only")));
      for (String k : List.of("transform, PNG bytes", "transform, floats")) {
        double[] ratio = new double[reps];
        for (int i = 0; i < reps; i++) {
          ratio[i] = rates.get(k)[i] / rates.get("evaluate")[i];
        }
        // the spread: a 10,000-row action takes well under a second, and one action's fixed cost on the driver
        // moves a rep's ratio by 0.1 to 0.2
        double[] sorted = ratio.clone();
        Arrays.sort(sorted);
        out.printf("fovea: %-24s %,10.0f images/s · ratio to evaluate %.2f (median of the reps' ratios; the reps "
            + "from %.2f to %.2f)%n", k + ":", median(rates.get(k)), median(ratio), sorted[0], sorted[reps - 1]);
      }
      return 0;
    } finally {
      spark.stop();
      deleteTree(tmp);
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** The rows of the floor: each row's first column with three outputs of the types transform adds. */
  private static java.util.Iterator<Row> same(java.util.Iterator<Row> rows) {
    return new java.util.Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Row next() {
        return RowFactory.create(rows.next().get(0), Vectors.dense(new double[10]), Vectors.dense(new double[10]), 0.0);
      }
    };
  }

  /** CPU time of this JVM's threads (local mode: the driver's and the executor's), in ns. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** The 1-minute load average, as /proc/loadavg gives it ("?" where there is none). */
  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** (png: the image as a PNG file, pixels: its values / 255 as array<float>), one row per image. */
  private static Dataset<Row> table(SparkSession spark, ImageDataset d) throws IOException {
    int h = d.sampleShape().dim(1);
    int w = d.sampleShape().dim(2);
    List<Row> list = new ArrayList<>();
    for (int i = 0; i < d.labels().length; i++) {
      byte[] px = Arrays.copyOfRange(d.pixels(), i * h * w, (i + 1) * h * w);
      BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, w, h, px);
      ByteArrayOutputStream png = new ByteArrayOutputStream();
      ImageIO.write(img, "png", png);
      float[] f = new float[px.length];
      for (int j = 0; j < px.length; j++) {
        f[j] = (px[j] & 0xff) / 255f;
      }
      List<Float> values = new ArrayList<>(f.length);
      for (float v : f) {
        values.add(v);
      }
      list.add(RowFactory.create(png.toByteArray(), values));
    }
    StructType schema = new StructType().add("png", DataTypes.BinaryType)
        .add("pixels", DataTypes.createArrayType(DataTypes.FloatType));
    return spark.createDataFrame(list, schema);
  }

  /** LeNet with seeded parameters and the shard set's normalisation. */
  private static ModelFile.Model seeded(Manifest m) {
    Network net = Zoo.build("lenet", Shape.of(1, 28, 28), m.classes().size());
    Map<String, String> prov = new LinkedHashMap<>();
    prov.put("normalization_mean", join(m.mean()));
    prov.put("normalization_std", join(m.std()));
    return new ModelFile.Model(net, "lenet", m.classes(), net.layout().initialize(1), net.bufferLayout().initialize(1),
        null, prov);
  }

  private static String join(List<Double> v) {
    StringBuilder b = new StringBuilder();
    for (double x : v) {
      b.append(b.length() == 0 ? "" : ",").append(x);
    }
    return b.toString();
  }

  private static byte[] bytes(ModelFile.Model m) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    ModelFile.write(m, b);
    return b.toByteArray();
  }

  private static void deleteTree(Path p) throws IOException {
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
