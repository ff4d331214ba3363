package dev.fovea.data.shard;

import dev.fovea.data.DataException;
import dev.fovea.data.image.Codecs;
import dev.fovea.data.image.Image;
import dev.fovea.data.image.ImageCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.zip.CRC32;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.GroupFactory;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The Spark job that shards image files (from folders, an ImageNet tree or a table of image bytes;
 * see {@code dev.fovea.data.source.ImageSources}) into Parquet shards plus {@code manifest.json}.
 *
 * <p>Reading, decoding, resizing and encoding run in executor tasks; the driver sees only counts.
 * Each image is decoded to the set's channels (converting grey, RGBA, CMYK and 16-bit files),
 * optionally resized, and stored as JPEG or as raw (C, H, W) bytes. Images that do not decode are
 * skipped, counted and logged once by path; if more than {@code maxBadFraction} of them are bad,
 * the job fails naming the first few. Survivors are shuffled globally by a hash of (seed, source
 * key) and spread over as many shards as keep each under {@code maxShardBytes}. Files are staged
 * and committed as {@link ShardWriter} does: the manifest is written last and atomically, and a
 * rerun removes whatever an interrupted run left.
 */
public final class ImageShardWriter {
  private static final Logger LOG = LoggerFactory.getLogger(ImageShardWriter.class);

  private ImageShardWriter() {}

  /**
   * Options of an image sharding job.
   *
   * @param channels channels of the stored images: 1 (grey) or 3 (RGB)
   * @param encoding {@link Manifest#JPEG} or {@link Manifest#RAW}
   * @param shorterSide JPEG: resize so the shorter side is this (0 keeps the size)
   * @param quality JPEG quality, 1 to 100
   * @param rawHeight RAW: resize every image to this height (0: all images must share one size)
   * @param rawWidth RAW: resize every image to this width
   * @param maxShardBytes largest shard file
   * @param minShards fewest shard files
   * @param rowGroupBytes Parquet row-group size
   * @param seed seed of the global shuffle
   * @param maxBadFraction largest fraction of unreadable images tolerated
   * @param partitions tasks that decode and encode (0: Spark's default parallelism)
   */
  public record Options(int channels, String encoding, int shorterSide, int quality, int rawHeight, int rawWidth,
      long maxShardBytes, int minShards, int rowGroupBytes, long seed, double maxBadFraction, int partitions)
      implements Serializable {

    /** Default largest shard: 128 MB, within one HDFS block. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 128L << 20;
    /** Default row group: 4 MB. */
    public static final int DEFAULT_ROW_GROUP_BYTES = 4 << 20;
    /** Default tolerated fraction of bad images: 0.1 %. */
    public static final double DEFAULT_MAX_BAD_FRACTION = 0.001;

    public Options {
      if (channels != 1 && channels != 3) {
        throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
      }
      if (!Manifest.JPEG.equals(encoding) && !Manifest.RAW.equals(encoding)) {
        throw new IllegalArgumentException("encoding must be jpeg or raw-uint8, got " + encoding);
      }
      if (quality < 1 || quality > 100 || minShards < 1 || maxShardBytes < 1 || maxBadFraction < 0) {
        throw new IllegalArgumentException("quality " + quality + ", min shards " + minShards + ", max shard bytes "
            + maxShardBytes + ", max bad fraction " + maxBadFraction);
      }
    }

    /** JPEG shards, shorter side resized to {@code shorterSide} (0: kept), quality 90, defaults otherwise. */
    public static Options jpeg(int channels, int shorterSide, long seed) {
      return new Options(channels, Manifest.JPEG, shorterSide, 90, 0, 0, DEFAULT_MAX_SHARD_BYTES, 1,
          DEFAULT_ROW_GROUP_BYTES, seed, DEFAULT_MAX_BAD_FRACTION, 0);
    }

    /** Raw uint8 shards of (channels, height, width) images (0, 0: all images must share one size). */
    public static Options raw(int channels, int height, int width, long seed) {
      return new Options(channels, Manifest.RAW, 0, 90, height, width, DEFAULT_MAX_SHARD_BYTES, 1,
          DEFAULT_ROW_GROUP_BYTES, seed, DEFAULT_MAX_BAD_FRACTION, 0);
    }

    public Options withQuality(int q) {
      return new Options(channels, encoding, shorterSide, q, rawHeight, rawWidth, maxShardBytes, minShards,
          rowGroupBytes, seed, maxBadFraction, partitions);
    }

    public Options withShards(long maxBytes, int min) {
      return new Options(channels, encoding, shorterSide, quality, rawHeight, rawWidth, maxBytes, min, rowGroupBytes,
          seed, maxBadFraction, partitions);
    }

    public Options withMaxBadFraction(double f) {
      return new Options(channels, encoding, shorterSide, quality, rawHeight, rawWidth, maxShardBytes, minShards,
          rowGroupBytes, seed, f, partitions);
    }

    public Options withPartitions(int p) {
      return new Options(channels, encoding, shorterSide, quality, rawHeight, rawWidth, maxShardBytes, minShards,
          rowGroupBytes, seed, maxBadFraction, p);
    }

    Map<String, String> asMap() {
      Map<String, String> m = new TreeMap<>();
      m.put("channels", Integer.toString(channels));
      m.put("encoding", encoding);
      m.put("shorter_side", Integer.toString(shorterSide));
      m.put("quality", Integer.toString(quality));
      m.put("raw_height", Integer.toString(rawHeight));
      m.put("raw_width", Integer.toString(rawWidth));
      m.put("max_shard_bytes", Long.toString(maxShardBytes));
      m.put("min_shards", Integer.toString(minShards));
      m.put("row_group_bytes", Integer.toString(rowGroupBytes));
      m.put("seed", Long.toString(seed));
      m.put("max_bad_fraction", Double.toString(maxBadFraction));
      return m;
    }
  }

  /**
   * One image to shard: its file (path) or its bytes, its class, a stable key naming it and, in a
   * set with a {@link TargetSpec} target, its stored target ({@link TargetSpec#bytesPerSample()}
   * bytes, encoded as {@link TargetSpec} says; null for class targets).
   */
  public static final class Candidate implements Serializable {
    private static final long serialVersionUID = 1L;
    public String key;
    public int label;
    public String path;
    public byte[] bytes;
    public byte[] target;

    public Candidate(String key, int label, String path, byte[] bytes) {
      this(key, label, path, bytes, null);
    }

    public Candidate(String key, int label, String path, byte[] bytes, byte[] target) {
      this.key = key;
      this.label = label;
      this.path = path;
      this.bytes = bytes;
      this.target = target;
    }
  }

  /**
   * A source ready to shard: candidates computed on executors, and what listing found.
   *
   * @param candidates the images (a lazy RDD; listing runs when the job does)
   * @param classes class names by index
   * @param name dataset name for the manifest
   * @param source where it came from, for the manifest
   * @param nonImageFiles files that are not images, per class folder
   * @param emptyClasses class folders without images, left out of {@code classes}
   * @param target what each candidate's {@code target} holds, recorded in the manifest; null for
   *     class targets only (the candidates' labels)
   */
  public record Source(JavaRDD<Candidate> candidates, List<String> classes, String name, String source,
      Map<String, Long> nonImageFiles, List<String> emptyClasses, TargetSpec target) {

    /** A source of class targets only. */
    public Source(JavaRDD<Candidate> candidates, List<String> classes, String name, String source,
        Map<String, Long> nonImageFiles, List<String> emptyClasses) {
      this(candidates, classes, name, source, nonImageFiles, emptyClasses, null);
    }

    public Source {
      if (target != null && target.isClass()) {
        throw new IllegalArgumentException("class targets are the candidates' labels, not a target column");
      }
    }
  }

  /** The result of encoding one candidate: a stored image, or the reason it is bad. */
  static final class Encoded implements Serializable {
    private static final long serialVersionUID = 1L;
    String key;
    int label;
    byte[] data;
    byte[] target;
    int width;
    int height;
    double[] sum;
    double[] sumSquares;
    String bad;
  }

  /** Totals over encoded images. */
  static final class Stats implements Serializable {
    private static final long serialVersionUID = 1L;
    long good;
    long bad;
    long bytes;
    long[] classCounts;
    double[] sum;
    double[] sumSquares;
    TreeSet<String> badExamples = new TreeSet<>();
    TreeSet<String> sizes = new TreeSet<>();
    double pixels;

    double pixelsPerChannel() {
      return pixels;
    }

    Stats(int classes, int channels) {
      classCounts = new long[classes];
      sum = new double[channels];
      sumSquares = new double[channels];
    }

    Stats add(Encoded e) {
      if (e.bad != null) {
        bad++;
        if (badExamples.size() < 20) {
          badExamples.add(e.key + ": " + e.bad);
        }
        return this;
      }
      good++;
      // Parquet adds the key, the index and a few bytes of page overhead per row.
      bytes += e.data.length + e.key.length() + 16 + (e.target == null ? 0 : e.target.length);
      pixels += (double) e.width * e.height;
      classCounts[e.label]++;
      for (int c = 0; c < sum.length; c++) {
        sum[c] += e.sum[c];
        sumSquares[c] += e.sumSquares[c];
      }
      if (sizes.size() < 5) {
        sizes.add(e.height + "x" + e.width);
      }
      return this;
    }

    Stats merge(Stats o) {
      good += o.good;
      bad += o.bad;
      pixels += o.pixels;
      bytes += o.bytes;
      for (int c = 0; c < classCounts.length; c++) {
        classCounts[c] += o.classCounts[c];
      }
      for (int c = 0; c < sum.length; c++) {
        sum[c] += o.sum[c];
        sumSquares[c] += o.sumSquares[c];
      }
      for (String s : o.badExamples) {
        if (badExamples.size() < 20) {
          badExamples.add(s);
        }
      }
      for (String s : o.sizes) {
        if (sizes.size() < 5) {
          sizes.add(s);
        }
      }
      return this;
    }
  }

  /** Sends shuffle key k to shard {@code k mod shards}. */
  static final class ModPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int n;

    ModPartitioner(int n) {
      this.n = n;
    }

    @Override
    public int numPartitions() {
      return n;
    }

    @Override
    public int getPartition(Object key) {
      return (int) Math.floorMod((Long) key, (long) n);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ModPartitioner p && p.n == n;
    }

    @Override
    public int hashCode() {
      return n;
    }
  }

  /**
   * Shards {@code src} into {@code dir} and returns the manifest written there.
   *
   * @throws DataException when more than {@code maxBadFraction} of the images are bad, when no
   *     image is left, when raw images differ in size, or when the folder cannot be written
   */
  public static Manifest write(SparkSession spark, Source src, String dir, Options o) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = jsc.hadoopConfiguration();
    HadoopConf hc = new HadoopConf(conf);
    String run = UUID.randomUUID().toString().substring(0, 8);
    Path base = new Path(dir);
    Path staging = new Path(base, "_staging-" + run);
    int classes = src.classes().size();
    int channels = o.channels();
    int targetBytes = src.target() == null ? 0 : src.target().bytesPerSample();
    jsc.setJobGroup("fovea-shard", "shard " + src.name() + " into " + dir, false);
    int parts = o.partitions() > 0 ? o.partitions() : jsc.defaultParallelism();
    JavaRDD<Encoded> encoded = src.candidates().repartition(parts)
        .mapPartitions(it -> encode(it, hc, o, targetBytes))
        .persist(StorageLevel.MEMORY_AND_DISK_SER());
    try {
      Stats stats = encoded.aggregate(new Stats(classes, channels), Stats::add, Stats::merge);
      long scanned = stats.good + stats.bad;
      if (stats.bad > o.maxBadFraction() * scanned) {
        throw new DataException(String.format("%s: %d of %d images (%.3f %%) are corrupt, truncated or unreadable, "
            + "above the %.3f %% allowed (maxBadFraction); first: %s", src.name(), stats.bad, scanned,
            100.0 * stats.bad / Math.max(1, scanned), 100 * o.maxBadFraction(), String.join("; ", stats.badExamples)));
      }
      if (stats.good == 0) {
        throw new DataException(src.name() + ": no images to shard in " + src.source());
      }
      List<Integer> shape;
      if (Manifest.RAW.equals(o.encoding())) {
        if (stats.sizes.size() != 1) {
          throw new DataException(src.name() + ": raw-uint8 shards need one image size, found " + stats.sizes
              + "; set rawHeight and rawWidth to resize");
        }
        String[] hw = stats.sizes.first().split("x");
        shape = List.of(channels, Integer.parseInt(hw[0]), Integer.parseInt(hw[1]));
      } else {
        shape = List.of(channels, 0, 0);
      }
      int shards = shardCount(stats.bytes, stats.good, o);
      FileSystem fs = base.getFileSystem(conf);
      fs.mkdirs(staging);
      String stagingDir = staging.toString();
      long seed = o.seed();
      int rowGroup = o.rowGroupBytes();
      List<ShardWriter.ShardResult> results = encoded.filter(e -> e.bad == null)
          .mapToPair(e -> new Tuple2<>(shuffleKey(seed, e.key), e))
          .repartitionAndSortWithinPartitions(new ModPartitioner(shards))
          .mapPartitionsWithIndex((i, it) -> List.of(writeShard(hc, stagingDir, i, it, classes, rowGroup,
              targetBytes > 0)).iterator(), true)
          .collect();
      for (ShardWriter.ShardResult r : results) {
        if (r.bytes > o.maxShardBytes()) {
          throw new DataException(dir + ": shard " + r.file + " came out at " + r.bytes + " bytes, over the "
              + o.maxShardBytes() + " allowed; rerun with more minShards");
        }
      }
      return ShardSetCommit.commit(fs, conf, base, staging, run,
          folder -> manifest(src, o, stats, results, folder, shape));
    } catch (IOException e) {
      throw new DataException(dir + ": cannot write shards: " + e.getMessage(), e);
    } catch (DataException e) {
      try {
        staging.getFileSystem(conf).delete(staging, true);
      } catch (IOException ignored) {
        // the next run removes it
      }
      throw e;
    } finally {
      encoded.unpersist(false);
    }
  }

  /**
   * The fewest shards (at least {@code minShards}) whose expected size plus four standard
   * deviations stays under {@code maxShardBytes}: hashing spreads r samples per shard with a
   * relative spread of about 1/√r.
   */
  static int shardCount(long bytes, long rows, Options o) {
    int shards = Math.max(1, o.minShards());
    while (shards < rows) {
      double perShard = (double) bytes / shards;
      double r = (double) rows / shards;
      if (perShard * (1 + 4 / Math.sqrt(r)) + 4096 <= o.maxShardBytes()) {
        break;
      }
      shards++;
    }
    return (int) Math.min(shards, rows);
  }

  private static Manifest manifest(Source src, Options o, Stats stats, List<ShardWriter.ShardResult> results,
      String folder, List<Integer> shape) {
    List<ShardWriter.ShardResult> sorted = new ArrayList<>(results);
    sorted.sort((a, b) -> Integer.compare(a.shard, b.shard));
    List<Manifest.ShardEntry> entries = new ArrayList<>();
    for (ShardWriter.ShardResult r : sorted) {
      if (r.rows > 0) {
        entries.add(new Manifest.ShardEntry(folder + "/" + r.file, r.rows, r.bytes, r.crc32,
            Arrays.stream(r.classCounts).boxed().toList()));
      }
    }
    List<Double> mean = new ArrayList<>();
    List<Double> std = new ArrayList<>();
    double pixels = stats.pixelsPerChannel();
    for (int c = 0; c < o.channels(); c++) {
      double mu = stats.sum[c] / pixels;
      mean.add(mu);
      std.add(Math.sqrt(Math.max(0, stats.sumSquares[c] / pixels - mu * mu)));
    }
    Manifest.Report report = new Manifest.Report(stats.good + stats.bad, stats.bad, List.copyOf(stats.badExamples),
        src.nonImageFiles(), src.emptyClasses());
    return new Manifest(Manifest.VERSION, src.name(), Instant.now().toString(), src.source(), o.seed(), o.encoding(),
        shape, src.classes(), stats.good, Arrays.stream(stats.classCounts).boxed().toList(), mean, std, entries,
        o.asMap(), report, src.target());
  }

  /**
   * Where this task attempt writes a shard before committing it: its own name, so a retried or
   * speculative attempt never writes into a file another attempt is writing.
   */
  static Path attemptPath(String stagingDir, String file) {
    org.apache.spark.TaskContext tc = org.apache.spark.TaskContext.get();
    long attempt = tc == null ? 0 : tc.taskAttemptId();
    return new Path(stagingDir, "_" + file + ".attempt-" + attempt);
  }

  /**
   * Renames an attempt's file to the shard's name. If another attempt of the same task got there
   * first (the contents are the same: a partition's rows are sorted by key), this one is deleted
   * and the committed file is used.
   */
  static Path commitAttempt(Path attempt, Path dst, Configuration conf) throws IOException {
    FileSystem fs = dst.getFileSystem(conf);
    if (!fs.rename(attempt, dst)) {
      if (!fs.exists(dst)) {
        throw new IOException("cannot rename " + attempt + " to " + dst);
      }
      fs.delete(attempt, false);
    }
    return dst;
  }

  /** Deletes what failed task attempts left beside the committed shards. */
  static void removeAttempts(FileSystem fs, Path dir) throws IOException {
    for (FileStatus st : fs.listStatus(dir)) {
      if (st.getPath().getName().startsWith("_part-")) {
        fs.delete(st.getPath(), false);
      }
    }
  }

  /** A 64-bit hash of (seed, key): the global shuffle order and the shard of each sample. */
  static long shuffleKey(long seed, String key) {
    long h = 0xcbf29ce484222325L ^ seed;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
    h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
    return h ^ (h >>> 31);
  }

  private static Iterator<Encoded> encode(Iterator<Candidate> it, HadoopConf hc, Options o, int targetBytes) {
    ImageCodec codec = Codecs.best();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public Encoded next() {
        Candidate c = it.next();
        int have = c.target == null ? 0 : c.target.length;
        if (have != targetBytes) { // a caller's mistake, not a bad image: the set would be unreadable
          throw new IllegalArgumentException(c.key + ": a target of " + have + " bytes where the set's target needs "
              + targetBytes);
        }
        return encodeOne(c, hc.get(), codec, o);
      }
    };
  }

  static Encoded encodeOne(Candidate c, Configuration conf, ImageCodec codec, Options o) {
    Encoded e = new Encoded();
    e.key = c.key;
    e.label = c.label;
    e.target = c.target;
    Image img;
    try {
      byte[] bytes = c.bytes;
      if (bytes == null) {
        Path p = new Path(c.path);
        try (InputStream in = p.getFileSystem(conf).open(p)) {
          bytes = in.readAllBytes();
        }
      }
      img = codec.decode(bytes, o.channels()).toInterleaved();
    } catch (IOException | ImageCodec.BadImageException ex) {
      e.bad = ex.getMessage();
      LOG.warn("skipping bad image {}: {}", c.key, ex.getMessage());
      return e;
    }
    try {
      img = resizeForStorage(img, codec, o);
    } catch (ImageCodec.BadImageException ex) {
      // An elongated image's resize target beyond the pixel budget, or the codec's own refusal
      // (OpenCV's cv::Exception): this one image is bad, the job goes on.
      e.bad = ex.getMessage();
      LOG.warn("skipping bad image {}: {}", c.key, ex.getMessage());
      return e;
    }
    e.width = img.width();
    e.height = img.height();
    e.sum = new double[o.channels()];
    e.sumSquares = new double[o.channels()];
    byte[] p = img.pixels();
    int ch = o.channels();
    for (int i = 0; i < p.length; i++) {
      double v = (p[i] & 0xff) / 255.0;
      e.sum[i % ch] += v;
      e.sumSquares[i % ch] += v * v;
    }
    e.data = Manifest.JPEG.equals(o.encoding()) ? codec.encodeJpeg(img, o.quality()) : img.toPlanar().pixels();
    return e;
  }

  /** The decoded image resized as the options store it, within the pixel budget. */
  private static Image resizeForStorage(Image img, ImageCodec codec, Options o) {
    int w = img.width();
    int h = img.height();
    if (Manifest.JPEG.equals(o.encoding()) && o.shorterSide() > 0) {
      double k = (double) o.shorterSide() / Math.min(img.width(), img.height());
      double tw = Math.max(1, Math.round(img.width() * k));
      double th = Math.max(1, Math.round(img.height() * k));
      if (tw * th > Codecs.MAX_PIXELS) {
        throw new ImageCodec.BadImageException(img.width() + " x " + img.height() + " resized to a shorter side of "
            + o.shorterSide() + " is " + (long) tw + " x " + (long) th + " pixels, over the budget of "
            + Codecs.MAX_PIXELS);
      }
      w = (int) tw;
      h = (int) th;
    } else if (Manifest.RAW.equals(o.encoding()) && o.rawHeight() > 0) {
      w = o.rawWidth();
      h = o.rawHeight();
    }
    if (w == img.width() && h == img.height()) {
      return img;
    }
    try {
      return codec.resize(img, w, h);
    } catch (ImageCodec.BadImageException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ImageCodec.BadImageException("cannot resize " + img.width() + " x " + img.height() + " to " + w
          + " x " + h + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
    }
  }

  private static ShardWriter.ShardResult writeShard(HadoopConf hc, String stagingDir, int shard,
      Iterator<Tuple2<Long, Encoded>> rows, int classes, int rowGroup, boolean targets) throws IOException {
    Configuration conf = hc.get();
    String file = String.format("part-%05d.parquet", shard);
    Path path = attemptPath(stagingDir, file);
    ShardWriter.ShardResult res = new ShardWriter.ShardResult();
    res.shard = shard;
    res.file = file;
    res.classCounts = new long[classes];
    org.apache.parquet.schema.MessageType schema = targets ? ShardFormat.SCHEMA_V2_TARGET : ShardFormat.SCHEMA_V2;
    GroupFactory groups = new SimpleGroupFactory(schema);
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(HadoopOutputFile.fromPath(path, conf))
        .withType(schema)
        .withConf(conf)
        .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
        .withRowGroupSize((long) rowGroup)
        .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
        .build()) {
      while (rows.hasNext()) {
        Tuple2<Long, Encoded> t = rows.next();
        Encoded e = t._2();
        res.rows++;
        res.classCounts[e.label]++;
        Group g = groups.newGroup()
            .append(ShardFormat.INDEX, t._1())
            .append(ShardFormat.LABEL, e.label)
            .append(ShardFormat.IMAGE, Binary.fromConstantByteArray(e.data))
            .append(ShardFormat.KEY, e.key);
        if (targets) {
          g.append(ShardFormat.TARGET, Binary.fromConstantByteArray(e.target));
        }
        w.write(g);
      }
    }
    path = commitAttempt(path, new Path(stagingDir, file), conf);
    CRC32 crc = new CRC32();
    long bytes = 0;
    byte[] buf = new byte[1 << 16];
    try (InputStream in = path.getFileSystem(conf).open(path)) {
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
}
