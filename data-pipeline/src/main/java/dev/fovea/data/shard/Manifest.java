package dev.fovea.data.shard;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.fovea.data.DataException;
import dev.fovea.kernels.Shape;
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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(int version, String name, String created, String source, long seed, String encoding,
    List<Integer> sampleShape, List<String> classes, long count, List<Long> classCounts, List<Double> mean,
    List<Double> std, List<ShardEntry> shards, Map<String, String> options, Report report)
    implements java.io.Serializable {

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
        mean, std, slim, options, null);
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT);

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

  /** Parses a manifest; {@code where} names the file in errors. */
  public static Manifest parse(byte[] json, String where) {
    try {
      Manifest m = JSON.readValue(json, Manifest.class);
      if (m.version != 1 && m.version != VERSION) {
        throw new DataException(where + ": unsupported manifest version " + m.version);
      }
      if (m.shards == null || m.classes == null || m.sampleShape == null || m.encoding == null) {
        throw new DataException(where + ": manifest lacks shards, classes or sample_shape");
      }
      if (!RAW.equals(m.encoding) && !JPEG.equals(m.encoding)) {
        throw new DataException(where + ": unknown encoding " + m.encoding);
      }
      return m;
    } catch (IOException e) {
      throw new DataException(where + ": not a valid manifest: " + e.getMessage().lines().findFirst().orElse(""), e);
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
