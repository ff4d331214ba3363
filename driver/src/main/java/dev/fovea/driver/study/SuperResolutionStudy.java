package dev.fovea.driver.study;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.data.ImageDataset;
import dev.fovea.data.batch.Batch;
import dev.fovea.data.batch.Normalizer;
import dev.fovea.data.idx.IdxDatasets;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.SampleBlock;
import dev.fovea.data.shard.SelfTargets;
import dev.fovea.data.shard.ShardReader;
import dev.fovea.data.shard.ShardWriter;
import dev.fovea.data.shard.TargetSpec;
import dev.fovea.driver.TrainConfig;
import dev.fovea.driver.TrainingRun;
import dev.fovea.driver.worker.WorkerRuntime;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Backends;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.ModelFile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The lecture's super-resolution study: an IDX set (Fashion-MNIST) area-reduced to {@code
 * inputSize} as input with the original image as target ({@link SelfTargets}), every decoder network
 * file of a folder trained on it by the ordinary training run (MSE), and a comparison of the trained
 * decoders on the test set: PSNR, the two {@link Checkerboard} measures and a PNG grid of input,
 * target and each decoder's output.
 *
 * <p>Writes into {@code out}: {@code shards/} (train and test), one run folder per decoder (as
 * {@code fovea train} writes it), {@code superres.json} (every figure), {@code superres.md} (the
 * table) and {@code superres-grid.png}.
 */
public final class SuperResolutionStudy {
  private SuperResolutionStudy() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Flat blocks: the target varies by at most this over the block and its margin (grey levels / 255). */
  static final double FLAT_TOLERANCE = 2 / 255.0;
  /** Pixels around each 2×2 block that must be flat too. */
  static final int FLAT_MARGIN = 2;

  /**
   * What to run.
   *
   * @param data the IDX folder (train and t10k files)
   * @param out the study's folder
   * @param decoders a folder of network files ({@code *.json}), each trained in name order
   * @param inputSize the inputs' side (the targets keep the images' size)
   * @param limit samples of each split (0: all)
   * @param epochs, workers, batch, learningRate, seed, backend as {@code fovea train}'s
   * @param gridImages test images in the PNG grid (rows)
   */
  public record Options(String data, String out, String decoders, int inputSize, int limit, int epochs, int workers,
      int batch, double learningRate, long seed, String backend, int gridImages) {}

  /**
   * One decoder's figures on the test set.
   *
   * @param name the file name without {@code .json}
   * @param parameters trainable parameters
   * @param psnr dB, from the run's distributed evaluation ({@code 10·log10(1/MSE)}, values in [0, 1])
   * @param mse mean squared error per value
   * @param mae mean absolute error per value
   * @param nyquistShare mean over test images of {@link Checkerboard#nyquistShare} of the output
   * @param flatRms RMS deviation inside flat 2×2 blocks, grey levels ({@link Checkerboard#flatBlocks})
   * @param flatBlocks flat blocks over the test set
   * @param seconds wall time of its training run
   */
  public record Decoder(String name, long parameters, double psnr, double mse, double mae, double nyquistShare,
      double flatRms, long flatBlocks, double seconds) {}

  /** The whole comparison: the decoders, then the same figures for nearest-neighbour enlargement and the targets. */
  public record Result(List<Decoder> decoders, Decoder nearest, Decoder targets) {}

  public static Result run(SparkSession spark, Options o, Consumer<String> log) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<String> files = decoderFiles(conf, o.decoders());
    String shards = o.out() + "/shards";
    shard(spark, conf, o, shards, log);
    Manifest test = ShardReader.readManifest(conf, shards + "/test");
    TestSet set = TestSet.read(conf, shards + "/test", test);
    List<Decoder> decoders = new ArrayList<>();
    List<float[]> outputs = new ArrayList<>();
    for (String file : files) {
      String name = new Path(file).getName().replaceFirst("\\.json$", "");
      log.accept("training decoder " + name + " (" + file + ")");
      TrainConfig c = TrainConfig.builder().data(null).shards(shards).out(o.out() + "/" + name).model(file)
          .epochs(o.epochs()).workers(o.workers()).batch(o.batch()).learningRate(o.learningRate()).seed(o.seed())
          .backend(o.backend()).build();
      TrainingRun.Result r = new TrainingRun(spark, c, log).run();
      float[] y = set.outputs(r.model(), o.backend());
      outputs.add(y);
      Measures m = Measures.of(y, set.targets, set.count, set.h, set.w);
      decoders.add(new Decoder(name, r.model().network().parameterCount(), r.evaluation().psnr(),
          r.evaluation().mse(), r.evaluation().mae(), m.nyquist, m.flat.rmsGreyLevels(), m.flat.blocks(),
          r.wallSeconds()));
      log.accept(String.format("%s: test PSNR %.2f dB, Nyquist share %.5f, flat-block RMS %.3f grey levels",
          name, r.evaluation().psnr(), m.nyquist, m.flat.rmsGreyLevels()));
    }
    float[] nearest = set.nearest();
    Decoder nn = baseline("nearest-neighbour enlargement (no training)", nearest, set);
    Decoder targets = baseline("targets", set.targets, set);
    Result result = new Result(decoders, nn, targets);
    write(conf, o, result, set, files.stream().map(f -> new Path(f).getName().replaceFirst("\\.json$", "")).toList(),
        outputs);
    return result;
  }

  private static Decoder baseline(String name, float[] y, TestSet set) {
    Measures m = Measures.of(y, set.targets, set.count, set.h, set.w);
    double se = 0;
    double ae = 0;
    for (int i = 0; i < y.length; i++) {
      se += (y[i] - set.targets[i]) * (double) (y[i] - set.targets[i]);
      ae += Math.abs(y[i] - set.targets[i]);
    }
    double mse = se / y.length;
    return new Decoder(name, 0, 10 * Math.log10(1 / mse), mse, ae / y.length, m.nyquist, m.flat.rmsGreyLevels(),
        m.flat.blocks(), 0);
  }

  /** The two checkerboard measures over a set of outputs. */
  record Measures(double nyquist, Checkerboard.Flat flat) {
    static Measures of(float[] y, float[] targets, int count, int h, int w) {
      double share = 0;
      int images = 0;
      Checkerboard.Flat flat = Checkerboard.NONE;
      for (int i = 0; i < count; i++) {
        double s = Checkerboard.nyquistShare(y, i * h * w, h, w);
        if (!Double.isNaN(s)) {
          share += s;
          images++;
        }
        flat = flat.plus(Checkerboard.flatBlocks(y, targets, i * h * w, h, w, FLAT_MARGIN, FLAT_TOLERANCE));
      }
      return new Measures(images == 0 ? Double.NaN : share / images, flat);
    }
  }

  /** The test set in shard order: stored inputs, targets in [0, 1]. */
  static final class TestSet {
    final SampleBlock inputs;
    final float[] targets;
    final int count;
    final int h;
    final int w;
    final int ih;
    final int iw;

    private TestSet(SampleBlock inputs, float[] targets, int h, int w, int ih, int iw) {
      this.inputs = inputs;
      this.targets = targets;
      this.count = inputs.count();
      this.h = h;
      this.w = w;
      this.ih = ih;
      this.iw = iw;
    }

    static TestSet read(Configuration conf, String dir, Manifest m) {
      TargetSpec t = m.targetSpec();
      if (!TargetSpec.IMAGE.equals(t.kind()) || t.shape().get(0) != 1) {
        throw new IllegalArgumentException(dir + ": the study needs one-channel image targets, the set has "
            + t.describe());
      }
      int n = (int) m.count();
      int per = m.shape().size();
      byte[] pixels = new byte[n * per];
      int[] labels = new int[n];
      float[] targets = new float[n * t.size()];
      int at = 0;
      for (Manifest.ShardEntry e : m.shards()) {
        ShardReader.Rows rows = ShardReader.readRows(conf, dir, m, e);
        for (int i = 0; i < rows.count(); i++, at++) {
          System.arraycopy(rows.images()[i], 0, pixels, at * per, per);
          labels[at] = rows.labels()[i];
          t.decode(rows.targets()[i], targets, at * t.size());
        }
      }
      return new TestSet(new SampleBlock(pixels, labels, per), targets, t.shape().get(1), t.shape().get(2),
          m.sampleShape().get(1), m.sampleShape().get(2));
    }

    /** The model's outputs for every test input, normalised as in training, by batches of 500. */
    float[] outputs(ModelFile.Model model, String backendName) {
      Normalizer norm = TrainingRun.normalizer(model);
      int[] order = new int[count];
      Arrays.setAll(order, i -> i);
      float[] y = new float[count * h * w];
      String chosen = Backends.resolve(backendName, x -> { }).name();
      Backend b = WorkerRuntime.borrow(chosen, 1);
      try {
        for (int from = 0; from < count; from += 500) {
          int k = Math.min(500, count - from);
          Batch x = norm.batch(inputs, order, from, k);
          Tensor out = model.network().forward(b, model.params(), model.buffers(), x.images());
          for (int i = 0; i < out.size(); i++) {
            y[from * h * w + i] = (float) out.get(i);
          }
        }
      } finally {
        WorkerRuntime.release(chosen, 1, b);
      }
      return y;
    }

    /** Each input enlarged to the target's size by repeating pixels, in [0, 1]. */
    float[] nearest() {
      float[] y = new float[count * h * w];
      for (int i = 0; i < count; i++) {
        for (int m = 0; m < h; m++) {
          for (int n = 0; n < w; n++) {
            int v = inputs.pixels[i * ih * iw + (m * ih / h) * iw + n * iw / w] & 0xff;
            y[(i * h + m) * w + n] = v / 255f;
          }
        }
      }
      return y;
    }
  }

  private static List<String> decoderFiles(Configuration conf, String dir) {
    Path p = new Path(dir);
    try {
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p) || !fs.getFileStatus(p).isDirectory()) {
        throw new IllegalArgumentException(dir + ": not a folder of decoder network files (.json)");
      }
      List<String> files = new ArrayList<>();
      for (FileStatus s : fs.listStatus(p)) {
        if (s.isFile() && s.getPath().getName().endsWith(".json")) {
          files.add(s.getPath().toString());
        }
      }
      if (files.isEmpty()) {
        throw new IllegalArgumentException(dir + ": no decoder network files (.json)");
      }
      files.sort(null);
      return files;
    } catch (IOException e) {
      throw new IllegalArgumentException(dir + ": cannot list: " + e.getMessage(), e);
    }
  }

  /** Shards the IDX set with self targets, unless both sets are there already with these options. */
  private static void shard(SparkSession spark, Configuration conf, Options o, String shards, Consumer<String> log) {
    String key = "input " + o.inputSize() + ", limit " + o.limit() + ", seed " + o.seed() + ", data " + o.data();
    Path marker = new Path(shards, "study-options");
    try {
      FileSystem fs = marker.getFileSystem(conf);
      if (fs.exists(marker) && ShardReader.hasManifest(conf, shards + "/train")
          && ShardReader.hasManifest(conf, shards + "/test")) {
        try (var in = fs.open(marker)) {
          if (key.equals(new String(in.readAllBytes(), StandardCharsets.UTF_8))) {
            log.accept("using the shards in " + shards + " (" + key + ")");
            return;
          }
        }
      }
      fs.delete(marker, false);
    } catch (IOException e) {
      throw new IllegalArgumentException(marker + ": cannot read: " + e.getMessage(), e);
    }
    for (IdxDatasets.Split split : List.of(IdxDatasets.Split.TRAIN, IdxDatasets.Split.TEST)) {
      ImageDataset d = IdxDatasets.load(o.data(), split, conf);
      if (o.limit() > 0 && o.limit() < d.count()) {
        d = d.subset(0, o.limit());
      }
      SelfTargets.Made made = SelfTargets.resized(d, o.inputSize(), o.inputSize());
      String dir = shards + (split == IdxDatasets.Split.TRAIN ? "/train" : "/test");
      Manifest m = ShardWriter.write(spark, made.inputs(), made.targets(), dir,
          new ShardWriter.Options(split == IdxDatasets.Split.TRAIN ? 8 : 2, o.seed(), 4 << 20));
      log.accept(String.format("sharded %d samples of %s into %s; targets %s", m.count(), m.shape(), dir,
          m.targetSpec().describe()));
    }
    try {
      put(conf, marker.toString(), key.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(marker + ": cannot write: " + e.getMessage(), e);
    }
  }

  private static void write(Configuration conf, Options o, Result r, TestSet set, List<String> names,
      List<float[]> outputs) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode settings = root.putObject("settings");
    settings.put("data", o.data());
    settings.put("input_size", o.inputSize());
    settings.put("limit", o.limit());
    settings.put("epochs", o.epochs());
    settings.put("workers", o.workers());
    settings.put("batch", o.batch());
    settings.put("lr", o.learningRate());
    settings.put("seed", o.seed());
    settings.put("backend", o.backend());
    settings.put("test_images", set.count);
    settings.put("flat_tolerance", FLAT_TOLERANCE);
    settings.put("flat_margin", FLAT_MARGIN);
    ArrayNode rows = root.putArray("decoders");
    StringBuilder md = new StringBuilder();
    md.append("| decoder | parameters | test PSNR (dB) | test MSE | Nyquist share | flat-block RMS (grey levels) |"
        + " training s |\n|---|---:|---:|---:|---:|---:|---:|\n");
    List<Decoder> all = new ArrayList<>(r.decoders());
    all.add(r.nearest());
    all.add(r.targets());
    for (Decoder d : all) {
      ObjectNode n = rows.addObject();
      n.put("name", d.name());
      n.put("parameters", d.parameters());
      n.put("test_psnr", d.psnr());
      n.put("test_mse", d.mse());
      n.put("test_mae", d.mae());
      n.put("nyquist_share", d.nyquistShare());
      n.put("flat_block_rms", d.flatRms());
      n.put("flat_blocks", d.flatBlocks());
      n.put("training_seconds", d.seconds());
      md.append(String.format("| %s | %,d | %.2f | %.5f | %.5f | %.3f | %.0f |%n", d.name(), d.parameters(), d.psnr(),
          d.mse(), d.nyquistShare(), d.flatRms(), d.seconds()));
    }
    md.append("\nGrid (superres-grid.png), columns: input (enlarged), target, ").append(String.join(", ", names))
        .append(".\n");
    try {
      put(conf, o.out() + "/superres.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      put(conf, o.out() + "/superres.md", md.toString().getBytes(StandardCharsets.UTF_8));
      ByteArrayOutputStream png = new ByteArrayOutputStream();
      List<float[]> columns = new ArrayList<>();
      columns.add(set.nearest());
      columns.add(set.targets);
      columns.addAll(outputs);
      ImageIO.write(grid(columns, Math.min(o.gridImages(), set.count), set.h, set.w, 4), "png", png);
      put(conf, o.out() + "/superres-grid.png", png.toByteArray());
    } catch (IOException e) {
      throw new IllegalStateException(o.out() + ": cannot write the comparison: " + e.getMessage(), e);
    }
  }

  /**
   * A grid of grey images: row i holds image i of every column (each an array of {@code (H, W)}
   * planes in [0, 1], clipped), each pixel drawn as a {@code zoom × zoom} square, 4 white pixels
   * between images.
   */
  static BufferedImage grid(List<float[]> columns, int rows, int h, int w, int zoom) {
    int gap = 4;
    int width = columns.size() * (w * zoom + gap) + gap;
    int height = rows * (h * zoom + gap) + gap;
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    var raster = img.getRaster();
    for (int x = 0; x < width; x++) {
      for (int y = 0; y < height; y++) {
        raster.setSample(x, y, 0, 255);
      }
    }
    for (int c = 0; c < columns.size(); c++) {
      float[] v = columns.get(c);
      for (int r = 0; r < rows; r++) {
        int x0 = gap + c * (w * zoom + gap);
        int y0 = gap + r * (h * zoom + gap);
        for (int m = 0; m < h * zoom; m++) {
          for (int n = 0; n < w * zoom; n++) {
            float p = v[(r * h + m / zoom) * w + n / zoom];
            raster.setSample(x0 + n, y0 + m, 0, Math.round(255 * Math.max(0, Math.min(1, p))));
          }
        }
      }
    }
    return img;
  }

  private static void put(Configuration conf, String file, byte[] bytes) throws IOException {
    Path p = new Path(file);
    try (OutputStream out = p.getFileSystem(conf).create(p, true)) {
      out.write(bytes);
    }
  }
}
