package dev.fovea.data.shard;

import dev.fovea.data.DataException;
import dev.fovea.kernels.Sizes;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;

/**
 * The executor-side reader of a shard set: reads the manifest, and any range of samples in shard
 * order, verifying each shard's size and CRC-32 before parsing it. Works on any Hadoop file system.
 */
public final class ShardReader {
  private ShardReader() {}

  /**
   * The manifest of the shard set in {@code dir}.
   *
   * @throws DataException when there is none (the set is incomplete) or it does not parse
   */
  public static Manifest readManifest(Configuration conf, String dir) {
    Path p = new Path(dir, Manifest.FILE_NAME);
    try {
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p)) {
        throw new DataException(dir + ": no " + Manifest.FILE_NAME + ", so not a complete shard set");
      }
      try (InputStream in = fs.open(p)) {
        return Manifest.parse(in.readAllBytes(), p.toString());
      }
    } catch (IOException e) {
      throw new DataException(p + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Whether {@code dir} holds a manifest (without validating it). */
  public static boolean hasManifest(Configuration conf, String dir) {
    Path p = new Path(dir, Manifest.FILE_NAME);
    try {
      return p.getFileSystem(conf).exists(p);
    } catch (IOException e) {
      throw new DataException(p + ": cannot check: " + e.getMessage(), e);
    }
  }

  /**
   * Reads one whole shard of a {@code raw-uint8} set, checking its size and checksum against the
   * manifest.
   *
   * @throws DataException naming the shard when it is missing, of the wrong size or checksum, or
   *     malformed, or when the set is not {@code raw-uint8} (use {@link #readRows} for JPEG sets)
   */
  public static SampleBlock readShard(Configuration conf, String dir, Manifest m, Manifest.ShardEntry e) {
    if (!Manifest.RAW.equals(m.encoding())) {
      throw new DataException(dir + ": a " + m.encoding() + " shard set has no fixed-size samples; read it with "
          + "ShardReader.readRows or dev.fovea.data.stream.ShardStream");
    }
    Rows rows = readRows(conf, dir, m, e);
    int sampleSize = m.shape().size();
    byte[] pixels = new byte[Sizes.arrayLength("shard " + new Path(dir, e.file()), "rows x sample size", Sizes.MAX_ARRAY,
        DataException::new, rows.count(), sampleSize)];
    for (int i = 0; i < rows.count(); i++) {
      if (rows.images()[i].length != sampleSize) {
        throw new DataException("shard " + new Path(dir, e.file()) + ": row " + i + " has an image of "
            + rows.images()[i].length + " bytes, expected " + sampleSize);
      }
      System.arraycopy(rows.images()[i], 0, pixels, i * sampleSize, sampleSize);
    }
    return new SampleBlock(pixels, rows.labels(), sampleSize);
  }

  /**
   * The rows of one shard as stored: each image's bytes (a JPEG file, or (C, H, W) raw pixels), its
   * class and, in a set with a {@link TargetSpec} target, its stored target.
   *
   * @param images one stored image per row
   * @param labels class index per row
   * @param targets one stored target per row ({@link TargetSpec#bytesPerSample()} bytes each); null
   *     for a set of class targets
   */
  public record Rows(byte[][] images, int[] labels, byte[][] targets) {
    public Rows(byte[][] images, int[] labels) {
      this(images, labels, null);
    }

    public int count() {
      return labels.length;
    }
  }

  /**
   * Reads one whole shard of any encoding, verifying its size and CRC-32 against the manifest
   * before parsing it.
   *
   * @throws DataException naming the shard when it is missing, of the wrong size or checksum, or
   *     malformed
   */
  public static Rows readRows(Configuration conf, String dir, Manifest m, Manifest.ShardEntry e) {
    Path p = new Path(dir, e.file());
    byte[] bytes;
    try {
      FileSystem fs = p.getFileSystem(conf);
      // The size first: a shard that is not the manifest's is refused before it is read.
      long length = fs.getFileStatus(p).getLen();
      if (length != e.bytes()) {
        throw new DataException("shard " + p + ": size " + length + " bytes, the manifest says " + e.bytes());
      }
      try (InputStream in = fs.open(p)) {
        bytes = Sizes.readAtMost(in, Sizes.count("shard " + p, "bytes", e.bytes(), 1, Long.MAX_VALUE,
            Sizes.MAX_ARRAY - 1, DataException::new));
      }
    } catch (org.apache.hadoop.fs.ChecksumException ex) {
      throw new DataException("shard " + p + ": checksum mismatch reported by the file system at byte "
          + ex.getPos(), ex);
    } catch (java.io.FileNotFoundException ex) {
      throw new DataException("shard " + p + ": missing", ex);
    } catch (IOException ex) {
      throw new DataException("shard " + p + ": cannot read: " + ex.getMessage(), ex);
    }
    if (bytes.length != e.bytes()) {
      throw new DataException("shard " + p + ": size " + bytes.length + " bytes, the manifest says " + e.bytes());
    }
    String crc = crc32(bytes, bytes.length);
    if (!crc.equals(e.crc32())) {
      throw new DataException("shard " + p + ": checksum mismatch (CRC-32 " + crc + ", manifest " + e.crc32() + ")");
    }
    int rows = Sizes.count("shard " + p, "rows", e.rows(), 0, 0, Sizes.MAX_ARRAY, DataException::new);
    // Sized as rows arrive, not from the manifest's word (dictionary-encoded rows can be tiny).
    byte[][] images = new byte[Math.min(rows, 1 << 12)][];
    int[] labels = new int[images.length];
    TargetSpec spec = m.targetSpec();
    byte[][] targets = spec.isClass() ? null : new byte[images.length][];
    int row = 0;
    try (ParquetFileReader r = ParquetFileReader.open(new ByteArrayInputFile(bytes))) {
      MessageType schema = r.getFooter().getFileMetaData().getSchema();
      PageReadStore pages;
      while ((pages = r.readNextRowGroup()) != null) {
        RecordReader<Group> rr = new ColumnIOFactory().getColumnIO(schema)
            .getRecordReader(pages, new GroupRecordConverter(schema));
        for (long i = 0; i < pages.getRowCount(); i++, row++) {
          Group g = rr.read();
          if (row >= rows) {
            throw new DataException("shard " + p + ": more rows than the " + rows + " the manifest says");
          }
          if (row == labels.length) {
            int grown = (int) Math.min(rows, 2L * row);
            images = java.util.Arrays.copyOf(images, grown);
            labels = java.util.Arrays.copyOf(labels, grown);
            targets = targets == null ? null : java.util.Arrays.copyOf(targets, grown);
          }
          int label = g.getInteger(ShardFormat.LABEL, 0);
          if (label < 0 || label >= m.classes().size()) {
            throw new DataException("shard " + p + ": row " + row + " has label " + label + " outside the "
                + m.classes().size() + " classes");
          }
          labels[row] = label;
          images[row] = g.getBinary(ShardFormat.IMAGE, 0).getBytes();
          if (targets != null) {
            if (g.getFieldRepetitionCount(ShardFormat.TARGET) != 1) {
              throw new DataException("shard " + p + ": row " + row + " has no target, the manifest says "
                  + spec.describe());
            }
            targets[row] = g.getBinary(ShardFormat.TARGET, 0).getBytes();
            if (targets[row].length != spec.bytesPerSample()) {
              throw new DataException("shard " + p + ": row " + row + " has a target of " + targets[row].length
                  + " bytes, " + spec.describe() + " needs " + spec.bytesPerSample());
            }
          }
        }
      }
    } catch (IOException | RuntimeException ex) {
      if (ex instanceof DataException de) {
        throw de;
      }
      throw new DataException("shard " + p + ": not a readable shard: " + ex.getMessage(), ex);
    }
    if (row != rows) {
      throw new DataException("shard " + p + ": " + row + " rows, the manifest says " + rows);
    }
    return new Rows(images, labels, targets);
  }

  /**
   * Samples {@code [from, to)} of the shard set in manifest order, reading only the shards that
   * overlap the range.
   */
  public static SampleBlock readRange(Configuration conf, String dir, Manifest m, long from, long to) {
    if (from < 0 || to > m.count() || from > to) {
      throw new IllegalArgumentException("range [" + from + ", " + to + ") outside the " + m.count() + " samples");
    }
    int sampleSize = m.shape().size();
    int n = Sizes.count(dir, "samples [" + from + ", " + to + ")", to - from, 0, 0, Sizes.MAX_ARRAY,
        DataException::new);
    byte[] pixels = new byte[Sizes.arrayLength(dir, "samples [" + from + ", " + to + ") x sample size",
        Sizes.MAX_ARRAY, DataException::new, n, sampleSize)];
    int[] labels = new int[n];
    long start = 0;
    for (Manifest.ShardEntry e : m.shards()) {
      long end = start + e.rows();
      long lo = Math.max(from, start);
      long hi = Math.min(to, end);
      if (lo < hi) {
        SampleBlock shard = readShard(conf, dir, m, e);
        int src = (int) (lo - start);
        int dst = (int) (lo - from);
        int len = (int) (hi - lo);
        System.arraycopy(shard.pixels, src * sampleSize, pixels, dst * sampleSize, len * sampleSize);
        System.arraycopy(shard.labels, src, labels, dst, len);
      }
      start = end;
    }
    return new SampleBlock(pixels, labels, sampleSize);
  }

  static String crc32(byte[] bytes, int length) {
    CRC32 c = new CRC32();
    c.update(bytes, 0, length);
    return String.format("%08x", c.getValue());
  }
}
