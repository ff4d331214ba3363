package dev.fovea.data.shard;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.fovea.data.DataException;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Sizes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json}: the description of a complete shard set. It is written last and
 * atomically, so its presence means every shard it lists is complete; readers use exactly the
 * shards it lists and nothing else in the folder.
 *
 * <p>Version 2 added the {@code jpeg} encoding, {@code options} and {@code report}; version-1
 * sets (always {@code raw-uint8}) still read, and their {@link #sha256()} is unchanged because
 * absent fields are not written.
 *
 * @param version manifest format version (1 or 2; writers write 2)
 * @param name dataset name, e.g. {@code fashion-mnist/train}
 * @param created ISO-8601 time of writing
 * @param source where the samples were read from
 * @param seed seed of the global shuffle
 * @param encoding how images are stored: {@code raw-uint8} ((C, H, W) unsigned bytes) or {@code
 *     jpeg} (one JPEG file per row, of varying size)
 * @param sampleShape {@code (C, H, W)} of one image; for {@code jpeg}, H and W are 0 (they vary)
 * @param classes class names by index
 * @param count number of samples
 * @param classCounts samples per class
 * @param mean per-channel mean of the pixels scaled to [0, 1]
 * @param std per-channel standard deviation of the pixels scaled to [0, 1]
 * @param shards the shard files, in order
 * @param options the options the set was written with, by name (version 2)
 * @param report what the job skipped and why (version 2; null when it read an in-memory dataset)
 * @param target what samples are trained towards besides their class ({@link TargetSpec}); null (and
 *     not written) for integer class targets, so sets written before targets existed read unchanged
 *     and keep their {@link #sha256()}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(int version, String name, String created, String source, long seed, String encoding,
    List<Integer> sampleShape, List<String> classes, long count, List<Long> classCounts, List<Double> mean,
    List<Double> std, List<ShardEntry> shards, Map<String, String> options, Report report, TargetSpec target)
    implements java.io.Serializable {

  /** A manifest of integer class targets (no {@code target} field). */
  public Manifest(int version, String name, String created, String source, long seed, String encoding,
      List<Integer> sampleShape, List<String> classes, long count, List<Long> classCounts, List<Double> mean,
      List<Double> std, List<ShardEntry> shards, Map<String, String> options, Report report) {
    this(version, name, created, source, seed, encoding, sampleShape, classes, count, classCounts, mean, std, shards,
        options, report, null);
  }

  /** The target kind and shape of this set ({@link TargetSpec#CLASSES} when it has no {@code target}). */
  public TargetSpec targetSpec() {
    return TargetSpec.of(this);
  }

  /** The version writers write. */
  public static final int VERSION = 2;
  /** Encoding: (C, H, W) unsigned bytes. */
  public static final String RAW = "raw-uint8";
  /** Encoding: one JPEG file per row. */
  public static final String JPEG = "jpeg";

  /**
   * What a sharding job found in its source besides the samples it wrote.
   *
   * @param scanned image files (or rows) read
   * @param badImages corrupt, truncated or unreadable images skipped
   * @param badExamples up to 20 of their paths, with the reason
   * @param nonImageFiles files without a JPEG, PNG or BMP extension, per class folder (never used)
   * @param emptyClasses class folders holding no image (left out of {@code classes})
   */
  public record Report(long scanned, long badImages, List<String> badExamples, Map<String, Long> nonImageFiles,
      List<String> emptyClasses) implements java.io.Serializable {}

  /** The file name of a manifest inside its shard-set folder. */
  public static final String FILE_NAME = "manifest.json";

  /**
   * One shard file.
   *
   * @param file path relative to the shard-set folder
   * @param rows samples in it
   * @param bytes file size
   * @param crc32 CRC-32 of the whole file, 8 hex digits
   * @param classCounts samples per class in it
   */
  public record ShardEntry(String file, long rows, long bytes, String crc32, List<Long> classCounts)
      implements java.io.Serializable {}

  /**
   * This manifest as the workers that stream its shards need it, for shipping with every task:
   * without each shard's class counts and the sharding report, which no reader uses and which grow
   * with shards × classes (1,024 shards of a 1,000-class set: a million counts). Everything a
   * reader checks — encoding, sample shape, classes, count, and each shard's file, rows, bytes and
   * CRC — is kept. Not for writing back: {@link #sha256()} of the result differs.
   */
  public Manifest forReaders() {
    List<ShardEntry> slim = shards.stream()
        .map(e -> new ShardEntry(e.file(), e.rows(), e.bytes(), e.crc32(), List.of())).toList();
    return new Manifest(version, name, created, source, seed, encoding, sampleShape, classes, count, classCounts,
        mean, std, slim, options, null, target);
  }

  // Integers exactly: 500.9 where an integer belongs is an error, not 500 (out-of-range values already are).
  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

  public Shape shape() {
    return Shape.of(sampleShape.stream().mapToInt(Integer::intValue).toArray());
  }

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode manifest", e);
    }
  }

  /**
   * Parses and checks a manifest; {@code where} names the file in errors. Everything a reader relies
   * on is checked here, on the driver, before any task starts: the sample shape's rank and size, the
   * signs of every count, the counts against each other (class counts against the count, shard rows
   * against the count and their own class counts), per-channel statistics against the channels, and
   * every shard path confined to the shard set (relative, without {@code ..}).
   *
   * @throws DataException one line naming {@code where}, the field and the problem
   */
  public static Manifest parse(byte[] json, String where) {
    Manifest m;
    try {
      m = JSON.readValue(json, Manifest.class);
    } catch (IOException e) {
      throw new DataException(where + ": not a valid manifest: " + e.getMessage().lines().findFirst().orElse(""), e);
    }
    if (m == null) {
      throw new DataException(where + ": not a valid manifest: empty");
    }
    m.check(where);
    return m;
  }

  private void check(String where) {
    if (version != 1 && version != VERSION) {
      throw new DataException(where + ": unsupported manifest version " + version);
    }
    if (shards == null || classes == null || sampleShape == null || encoding == null) {
      throw new DataException(where + ": manifest lacks shards, classes or sample_shape");
    }
    if (!RAW.equals(encoding) && !JPEG.equals(encoding)) {
      throw new DataException(where + ": unknown encoding " + encoding);
    }
    if (target != null) {
      target.check(where);
    }
    if (sampleShape.size() != 3 || sampleShape.contains(null)) {
      throw new DataException(where + ": sample_shape " + sampleShape + " must be (C, H, W): three integers");
    }
    int c = sampleShape.get(0);
    if (c < 1 || sampleShape.get(1) < 0 || sampleShape.get(2) < 0) {
      throw new DataException(where + ": sample_shape " + sampleShape + " has a negative or zero channel count");
    }
    if (RAW.equals(encoding)) {
      if (sampleShape.get(1) < 1 || sampleShape.get(2) < 1) {
        throw new DataException(where + ": sample_shape " + sampleShape + " of a raw-uint8 set needs H and W >= 1");
      }
      Sizes.arrayLength(where, "sample_shape", Sizes.MAX_ARRAY, DataException::new, c, sampleShape.get(1),
          sampleShape.get(2));
    }
    if (classes.isEmpty() || classes.contains(null)) {
      throw new DataException(where + ": classes must be a non-empty list of names");
    }
    if (count < 0) {
      throw new DataException(where + ": count " + count + " is negative");
    }
    checkClassCounts(where, "class_counts", classCounts, count);
    if (mean != null && (mean.size() != c || mean.contains(null))) {
      throw new DataException(where + ": mean has " + mean.size() + " values for " + c + " channels");
    }
    if (std != null && (std.size() != c || std.contains(null))) {
      throw new DataException(where + ": std has " + std.size() + " values for " + c + " channels");
    }
    long rows = 0;
    java.util.Set<String> files = new java.util.HashSet<>();
    for (int i = 0; i < shards.size(); i++) {
      ShardEntry e = shards.get(i);
      String field = "shards[" + i + "]";
      if (e == null || e.file() == null || e.crc32() == null) {
        throw new DataException(where + ": " + field + " lacks file or crc32");
      }
      checkConfined(where, field + ".file", e.file());
      if (!files.add(e.file())) {
        throw new DataException(where + ": " + field + ".file '" + e.file() + "' is listed twice");
      }
      if (e.rows() < 0) {
        throw new DataException(where + ": " + field + ".rows " + e.rows() + " is negative");
      }
      // A shard is read whole into one array.
      Sizes.count(where, field + ".bytes", e.bytes(), 1, Long.MAX_VALUE, Sizes.MAX_ARRAY, DataException::new);
      if (!e.crc32().matches("[0-9a-f]{8}")) {
        throw new DataException(where + ": " + field + ".crc32 '" + e.crc32() + "' is not 8 hex digits");
      }
      if (e.classCounts() != null && !e.classCounts().isEmpty()) {
        checkClassCounts(where, field + ".class_counts", e.classCounts(), e.rows());
      }
      rows += e.rows(); // both non-negative: a sum past Long.MAX_VALUE turns negative
      if (rows < 0 || rows > count) {
        throw new DataException(where + ": shards[0.." + i + "].rows add up to more than count " + count);
      }
    }
    if (rows != count) {
      throw new DataException(where + ": shards[].rows add up to " + rows + ", count says " + count);
    }
  }

  private void checkClassCounts(String where, String field, List<Long> counts, long total) {
    if (counts == null) {
      return;
    }
    if (counts.size() != classes.size()) {
      throw new DataException(where + ": " + field + " has " + counts.size() + " entries for " + classes.size()
          + " classes");
    }
    long sum = 0;
    for (int k = 0; k < counts.size(); k++) {
      Long n = counts.get(k);
      if (n == null || n < 0) {
        throw new DataException(where + ": " + field + "[" + k + "] " + n + " is not a count");
      }
      if (sum > Long.MAX_VALUE - n) {
        throw new DataException(where + ": " + field + " add up to more than " + Long.MAX_VALUE + ", not " + total);
      }
      sum += n;
    }
    if (sum != total) {
      throw new DataException(where + ": " + field + " add up to " + sum + ", not " + total);
    }
  }

  /**
   * A shard path must name a file inside the shard set: relative, in plain segments (no {@code ..},
   * {@code .}, empty segments, backslashes, URI schemes or control characters). Checked before any
   * file is opened, so neither data nor size nor CRC of a file elsewhere reaches a message.
   */
  private static void checkConfined(String where, String field, String file) {
    boolean ok = !file.isEmpty() && !file.startsWith("/") && file.indexOf('\\') < 0 && file.indexOf(':') < 0
        && file.chars().noneMatch(ch -> ch < 0x20 || ch == 0x7f);
    if (ok) {
      for (String seg : file.split("/", -1)) {
        if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
          ok = false;
        }
      }
    }
    if (!ok) {
      throw new DataException(where + ": " + field + " '" + file + "' is not a path inside the shard set "
          + "(relative, without '..', '.', '//', ':' or '\\')");
    }
  }

  /** SHA-256 of the manifest's JSON, recorded as the data provenance of a model. */
  public String sha256() {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(toJson()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return new String(toJson(), StandardCharsets.UTF_8);
  }
}
