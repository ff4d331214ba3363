package dev.fovea.driver.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.Syncable;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints on a real (local) Hadoop file system: which one a resume uses, leftovers, syncing. */
class CheckpointStoreTest {
  static Checkpoint checkpoint(long round) {
    float[] p = {round, 2, 3};
    return new Checkpoint(round, 0, (int) round, "config", "", "", p, new float[3], new float[] {1});
  }

  /** A checkpoint whose checksum is right but whose header length is absurd: decoding throws no IOException. */
  static byte[] crafted(long round) {
    byte[] b = checkpoint(round).encode();
    ByteBuffer.wrap(b).putInt(12, 0x7ffffff0);
    CRC32 crc = new CRC32();
    crc.update(b, 0, b.length - 8);
    ByteBuffer.wrap(b).putLong(b.length - 8, crc.getValue());
    return b;
  }

  static CheckpointStore store(Path dir) {
    return new CheckpointStore(new Configuration(), dir.toString());
  }

  @Test
  void aCheckpointFailingToDecodeAnyHowIsSkippedForTheOlderGoodOne(@TempDir Path tmp) throws IOException {
    CheckpointStore s = store(tmp);
    s.save(checkpoint(3));
    s.save(checkpoint(6));
    Files.write(tmp.resolve("round-000000006.ckpt"), crafted(6));
    List<String> warnings = new ArrayList<>();
    CheckpointStore.Found f = s.latest(warnings::add);
    assertEquals(3, f.checkpoint().round());
    assertArrayEquals(new float[] {3, 2, 3}, f.checkpoint().params());
    assertTrue(f.path().endsWith("round-000000003.ckpt"), "the path of the one used: " + f.path());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).startsWith("skipping damaged checkpoint: ") && warnings.get(0)
        .contains("round-000000006.ckpt"), warnings.get(0));
  }

  @Test
  void allDamagedIsSaidSoNotNoCheckpoint(@TempDir Path tmp) throws IOException {
    CheckpointStore s = store(tmp);
    assertNull(s.latest(w -> { }), "an empty folder: no checkpoint");
    s.save(checkpoint(3));
    s.save(checkpoint(6));
    Files.write(tmp.resolve("round-000000006.ckpt"), crafted(6));
    byte[] truncated = Files.readAllBytes(tmp.resolve("round-000000003.ckpt"));
    Files.write(tmp.resolve("round-000000003.ckpt"), java.util.Arrays.copyOf(truncated, truncated.length - 5));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.latest(w -> { }));
    assertTrue(e.getMessage().contains(": all 2 checkpoints are damaged (newest: "), e.getMessage());
    assertTrue(e.getMessage().contains("round-000000006.ckpt"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void leftoversOfInterruptedWritesAreRemoved(@TempDir Path tmp) throws IOException {
    CheckpointStore s = store(tmp);
    Files.write(tmp.resolve("_round-000000009.ckpt.tmp"), new byte[] {1, 2, 3}); // a driver killed mid-write
    Files.write(tmp.resolve("notes.txt"), new byte[] {1});
    s.save(checkpoint(3));
    assertFalse(Files.exists(tmp.resolve("_round-000000009.ckpt.tmp")), "removed by the next save");
    assertTrue(Files.exists(tmp.resolve("notes.txt")), "other files are left alone");
    Files.write(tmp.resolve("_round-000000012.ckpt.tmp"), new byte[] {1, 2, 3});
    assertEquals(3, s.latest(w -> { }).checkpoint().round());
    assertFalse(Files.exists(tmp.resolve("_round-000000012.ckpt.tmp")), "removed on resume");
    for (int r = 4; r <= 6; r++) {
      s.save(checkpoint(r));
    }
    try (var files = Files.list(tmp)) {
      assertEquals(List.of("notes.txt", "round-000000005.ckpt", "round-000000006.ckpt"),
          files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList());
    }
  }

  /** Every byte is synced (hflush and hsync) before the rename puts the file into place. */
  @Test
  void filesAreSyncedBeforeTheRename(@TempDir Path tmp) throws IOException {
    Configuration conf = new Configuration();
    conf.set("fs.recording.impl", RecordingFs.class.getName());
    conf.set("fs.AbstractFileSystem.recording.impl", RecordingAfs.class.getName());
    conf.setBoolean("fs.recording.impl.disable.cache", true);
    RecordingFs.EVENTS.clear();
    String dir = "recording://" + tmp.toUri().getPath() + "ckpts";
    new CheckpointStore(conf, dir).save(checkpoint(3));
    List<String> e = new ArrayList<>(RecordingFs.EVENTS);
    int sync = e.indexOf("hsync _round-000000003.ckpt.tmp");
    int rename = e.indexOf("rename _round-000000003.ckpt.tmp round-000000003.ckpt");
    assertTrue(sync >= 0 && rename > sync, "synced, then renamed: " + e);
    assertTrue(e.indexOf("hflush _round-000000003.ckpt.tmp") >= 0 && e.indexOf("hflush _round-000000003.ckpt.tmp")
        < rename, e.toString());
    assertEquals(3, new CheckpointStore(conf, dir).latest(w -> { }).checkpoint().round());
  }

  /** A local file system under the scheme {@code recording:} that records syncs and renames. */
  public static final class RecordingFs extends RawLocalFileSystem {
    static final List<String> EVENTS = Collections.synchronizedList(new ArrayList<>());

    @Override
    public URI getUri() {
      return URI.create("recording:///");
    }

    @Override
    public String getScheme() {
      return "recording";
    }

    @Override
    public FSDataOutputStream create(org.apache.hadoop.fs.Path f, boolean overwrite, int bufferSize,
        short replication, long blockSize, Progressable progress) throws IOException {
      return recorded(super.create(f, overwrite, bufferSize, replication, blockSize, progress), f);
    }

    @Override
    public FSDataOutputStream create(org.apache.hadoop.fs.Path f, FsPermission permission, boolean overwrite,
        int bufferSize, short replication, long blockSize, Progressable progress) throws IOException {
      return recorded(super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress), f);
    }

    private static FSDataOutputStream recorded(FSDataOutputStream out, org.apache.hadoop.fs.Path f)
        throws IOException {
      return new FSDataOutputStream(new Recorder(out, f.getName()), null);
    }

    @Override
    public boolean rename(org.apache.hadoop.fs.Path src, org.apache.hadoop.fs.Path dst) throws IOException {
      EVENTS.add("rename " + src.getName() + " " + dst.getName());
      return super.rename(src, dst);
    }

    private static final class Recorder extends java.io.FilterOutputStream implements Syncable {
      private final FSDataOutputStream out;
      private final String name;

      Recorder(FSDataOutputStream out, String name) {
        super(out);
        this.out = out;
        this.name = name;
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void hflush() throws IOException {
        EVENTS.add("hflush " + name);
        out.hflush();
      }

      @Override
      public void hsync() throws IOException {
        EVENTS.add("hsync " + name);
        out.hsync();
      }
    }
  }

  /** {@link RecordingFs} for FileContext (whose rename puts files into place). */
  public static final class RecordingAfs extends DelegateToFileSystem {
    public RecordingAfs(URI uri, Configuration conf) throws IOException, java.net.URISyntaxException {
      super(uri, new RecordingFs(), conf, "recording", false);
    }
  }
}
