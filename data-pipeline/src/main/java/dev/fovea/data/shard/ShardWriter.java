package dev.fovea.data.shard;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.zip.CRC32;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.GroupFactory;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark job that writes a dataset as a shard set: samples are shuffled globally with a seed,
 * cut into equal contiguous runs, and each run is written by one task as a Parquet file.
 *
 * <p>Layout of a shard set folder: {@code manifest.json} and {@code shards-<run>/part-NNNNN.parquet}.
 * Tasks write into {@code _staging-<run>/}, which is renamed to {@code shards-<run>/} when every
 * task has finished; the manifest is then written to a temporary name and renamed over {@code
 * manifest.json} in one atomic step. A job interrupted at any point leaves the previous manifest
 * (if any) and its shards untouched, and its own files unlisted; the next run removes them.
 */
public final class ShardWriter {
  private ShardWriter() {}

  /**
   * Options of a sharding job.
   *
   * @param shards number of shard files (≥ 1)
   * @param seed seed of the global shuffle
   * @param rowGroupBytes Parquet row-group size, small enough to shuffle in memory
   */
  public record Options(int shards, long seed, int rowGroupBytes) {
    public Options {
      if (shards < 1) {
        throw new IllegalArgumentException("shards must be >= 1, got " + shards);
      }
    }

    /** Shard count chosen so each shard is at most {@code maxShardBytes}, and at least {@code min}. */
    public static Options forSize(long datasetBytes, long maxShardBytes, int min, long seed) {
      int shards = (int) Math.max(min, (datasetBytes + maxShardBytes - 1) / maxShardBytes);
      return new Options(shards, seed, 4 << 20);
    }
  }

  /** What one task wrote; a plain class so Kryo carries it. */
  public static final class ShardResult implements Serializable {
    private static final long serialVersionUID = 1L;
    public int shard;
    public String file;
    public long rows;
    public long bytes;
    public String crc32;
    public long[] classCounts;
    public double[] channelSum;
    public double[] channelSumSquares;
  }

  /**
   * Shards {@code data} into {@code dir} and returns the manifest written there.
   *
   * @throws DataException when {@code data} has no images, or the folder cannot be written
   */
  public static Manifest write(SparkSession spark, ImageDataset data, String dir, Options options) {
    return write(spark, data, null, dir, options);
  }

  /**
   * Each sample's target beside its image and class: {@code values} holds sample i's target at
   * {@code [i·b, (i+1)·b)}, b = {@code spec.bytesPerSample()}, encoded as {@link TargetSpec} says.
   */
  public record Targets(TargetSpec spec, byte[] values) {
    public Targets {
      if (spec.isClass()) {
        throw new IllegalArgumentException("class targets are the label column, not a target column");
      }
    }
  }

  /**
   * Shards {@code data} with a target per sample ({@code targets}; null for class targets only) into
   * {@code dir}; the manifest records the target's kind and shape.
   *
   * @throws DataException when {@code data} has no images, {@code targets} does not hold one target
   *     per image, or the folder cannot be written
   */
  public static Manifest write(SparkSession spark, ImageDataset data, Targets targets, String dir, Options options) {
    if (targets != null && (long) targets.spec().bytesPerSample() * data.count() != targets.values().length) {
      throw new DataException(data.source() + ": " + targets.values().length + " target bytes for " + data.count()
          + " samples of " + targets.spec().describe());
    }
    if (data.count() == 0) { // a manifest's mean and std over no pixels would be NaN
      throw new DataException(data.source() + ": no images to shard");
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = jsc.hadoopConfiguration();
    String run = UUID.randomUUID().toString().substring(0, 8);
    Path base = new Path(dir);
    Path staging = new Path(base, "_staging-" + run);
    try {
      FileSystem fs = base.getFileSystem(conf);
      fs.mkdirs(staging);
      int n = data.count();
      int[] order = permutation(n, options.seed());
      Broadcast<byte[]> pixels = jsc.broadcast(data.pixels());
      Broadcast<int[]> labels = jsc.broadcast(data.labels());
      Broadcast<int[]> perm = jsc.broadcast(order);
      Broadcast<byte[]> target = jsc.broadcast(targets == null ? new byte[0] : targets.values());
      int targetBytes = targets == null ? 0 : targets.spec().bytesPerSample();
      HadoopConf hc = new HadoopConf(conf);
      int shards = options.shards();
      int sampleSize = data.sampleShape().size();
      int channels = data.sampleShape().dim(0);
      int classes = data.classNames().size();
      int rowGroup = options.rowGroupBytes();
      String stagingDir = staging.toString();
      List<Integer> ids = new ArrayList<>();
      for (int s = 0; s < shards; s++) {
        ids.add(s);
      }
      jsc.setJobGroup("fovea-shard", "shard " + data.name() + " into " + shards + " files", false);
      List<ShardResult> results = jsc.parallelize(ids, shards)
          .map(s -> writeShard(hc, stagingDir, s, shards, pixels.value(), labels.value(), perm.value(), sampleSize,
              channels, classes, rowGroup, target.value(), targetBytes))
          .collect();
      pixels.destroy();
      target.destroy();
      labels.destroy();
      perm.destroy();

      return ShardSetCommit.commit(fs, conf, base, staging, run,
          folder -> manifest(data, options, results, folder, n, sampleSize, channels, classes,
              targets == null ? null : targets.spec()));
    } catch (IOException e) {
      throw new DataException(dir + ": cannot write shards: " + e.getMessage(), e);
    }
  }

  private static Manifest manifest(ImageDataset data, Options options, List<ShardResult> results, String folder,
      int n, int sampleSize, int channels, int classes, TargetSpec target) {
    long[] classCounts = new long[classes];
    double[] sum = new double[channels];
    double[] sumSq = new double[channels];
    List<Manifest.ShardEntry> entries = new ArrayList<>();
    List<ShardResult> sorted = new ArrayList<>(results);
    sorted.sort((a, b) -> Integer.compare(a.shard, b.shard));
    for (ShardResult r : sorted) {
      for (int c = 0; c < classes; c++) {
        classCounts[c] += r.classCounts[c];
      }
      for (int c = 0; c < channels; c++) {
        sum[c] += r.channelSum[c];
        sumSq[c] += r.channelSumSquares[c];
      }
      entries.add(new Manifest.ShardEntry(folder + "/" + r.file, r.rows, r.bytes, r.crc32,
          Arrays.stream(r.classCounts).boxed().toList()));
    }
    double perChannel = (double) n * (sampleSize / channels);
    List<Double> mean = new ArrayList<>();
    List<Double> std = new ArrayList<>();
    for (int c = 0; c < channels; c++) {
      double mu = sum[c] / perChannel;
      mean.add(mu);
      std.add(Math.sqrt(Math.max(0, sumSq[c] / perChannel - mu * mu)));
    }
    Map<String, String> opts = new TreeMap<>();
    opts.put("shards", Integer.toString(options.shards()));
    opts.put("seed", Long.toString(options.seed()));
    opts.put("row_group_bytes", Integer.toString(options.rowGroupBytes()));
    return new Manifest(Manifest.VERSION, data.name(), Instant.now().toString(), data.source(), options.seed(),
        Manifest.RAW, Arrays.stream(data.sampleShape().dims()).boxed().toList(), data.classNames(), n,
        Arrays.stream(classCounts).boxed().toList(), mean, std, entries, opts, null, target);
  }

  /** Samples {@code [s·n/S, (s+1)·n/S)} of the shuffled order go to shard s. */
  static long[] range(int shard, int shards, long n) {
    return new long[] {shard * n / shards, (shard + 1) * n / shards};
  }

  private static ShardResult writeShard(HadoopConf hc, String stagingDir, int shard, int shards, byte[] pixels,
      int[] labels, int[] perm, int sampleSize, int channels, int classes, int rowGroup, byte[] targets,
      int targetBytes) throws IOException {
    Configuration conf = hc.get();
    long[] r = range(shard, shards, perm.length);
    String file = String.format("part-%05d.parquet", shard);
    Path path = ImageShardWriter.attemptPath(stagingDir, file);
    ShardResult res = new ShardResult();
    res.shard = shard;
    res.file = file;
    res.rows = r[1] - r[0];
    res.classCounts = new long[classes];
    res.channelSum = new double[channels];
    res.channelSumSquares = new double[channels];
    int plane = sampleSize / channels;
    org.apache.parquet.schema.MessageType schema = targetBytes > 0 ? ShardFormat.SCHEMA_TARGET : ShardFormat.SCHEMA;
    GroupFactory groups = new SimpleGroupFactory(schema);
    try (ParquetWriter<org.apache.parquet.example.data.Group> w =
        ExampleParquetWriter.builder(HadoopOutputFile.fromPath(path, conf))
            .withType(schema)
            .withConf(conf)
            .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
            .withRowGroupSize((long) rowGroup)
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            .build()) {
      for (long i = r[0]; i < r[1]; i++) {
        int src = perm[(int) i];
        byte[] img = Arrays.copyOfRange(pixels, src * sampleSize, (src + 1) * sampleSize);
        for (int c = 0; c < channels; c++) {
          double s = 0;
          double sq = 0;
          for (int k = c * plane; k < (c + 1) * plane; k++) {
            double v = (img[k] & 0xff) / 255.0;
            s += v;
            sq += v * v;
          }
          res.channelSum[c] += s;
          res.channelSumSquares[c] += sq;
        }
        res.classCounts[labels[src]]++;
        org.apache.parquet.example.data.Group g = groups.newGroup()
            .append(ShardFormat.INDEX, (long) src)
            .append(ShardFormat.LABEL, labels[src])
            .append(ShardFormat.IMAGE, Binary.fromConstantByteArray(img));
        if (targetBytes > 0) {
          g.append(ShardFormat.TARGET, Binary.fromConstantByteArray(
              Arrays.copyOfRange(targets, src * targetBytes, (src + 1) * targetBytes)));
        }
        w.write(g);
      }
    }
    path = ImageShardWriter.commitAttempt(path, new Path(stagingDir, file), conf);
    FileSystem fs = path.getFileSystem(conf);
    CRC32 crc = new CRC32();
    long bytes = 0;
    byte[] buf = new byte[1 << 16];
    try (InputStream in = fs.open(path)) {
      int k;
      while ((k = in.read(buf)) > 0) {
        crc.update(buf, 0, k);
        bytes += k;
      }
    }
    res.bytes = bytes;
    res.crc32 = String.format("%08x", crc.getValue());
    return res;
  }

  /** A permutation of {@code [0, n)} that depends only on the seed (Fisher–Yates). */
  public static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
