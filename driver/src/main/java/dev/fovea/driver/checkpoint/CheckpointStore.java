package dev.fovea.driver.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints in a folder of any Hadoop file system: {@code round-000000123.ckpt}. A checkpoint is
 * written under a temporary name, synced to disk and renamed into place when complete
 * ({@link DurableFiles}); only then are older ones removed (the newest {@link #KEEP} are kept), so
 * a good checkpoint exists at every moment.
 */
public final class CheckpointStore {
  /** How many complete checkpoints are kept. */
  public static final int KEEP = 2;
  private static final String SUFFIX = ".ckpt";

  private final Configuration conf;
  private final Path dir;

  public CheckpointStore(Configuration conf, String dir) {
    this.conf = conf;
    this.dir = new Path(dir);
  }

  public String dir() {
    return dir.toString();
  }

  private static String name(long round) {
    return String.format("round-%09d%s", round, SUFFIX);
  }

  /**
   * Writes {@code c} atomically and durably ({@link DurableFiles}), prunes older checkpoints and
   * removes temporary files that interrupted writes left behind; returns its path.
   */
  public String save(Checkpoint c) {
    try {
      Path target = DurableFiles.replace(conf, dir, name(c.round()), c.encode());
      FileSystem fs = dir.getFileSystem(conf);
      List<Path> all = list(fs);
      for (int i = 0; i < all.size() - KEEP; i++) {
        fs.delete(all.get(i), false);
      }
      removeLeftovers(fs);
      return target.toString();
    } catch (IOException e) {
      throw new IllegalStateException(dir + ": cannot write checkpoint: " + e.getMessage(), e);
    }
  }

  /** Deletes {@code _round-….ckpt.tmp} files: checkpoints whose writing was interrupted (a killed driver). */
  private void removeLeftovers(FileSystem fs) throws IOException {
    if (!fs.exists(dir)) {
      return;
    }
    for (FileStatus st : fs.listStatus(dir)) {
      String n = st.getPath().getName();
      if (n.startsWith("_round-") && n.endsWith(SUFFIX + ".tmp")) {
        fs.delete(st.getPath(), false);
      }
    }
  }

  private List<Path> list(FileSystem fs) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!fs.exists(dir)) {
      return out;
    }
    for (FileStatus st : fs.listStatus(dir)) {
      String n = st.getPath().getName();
      if (n.startsWith("round-") && n.endsWith(SUFFIX)) {
        out.add(st.getPath());
      }
    }
    out.sort(Comparator.comparing(Path::getName));
    return out;
  }

  /** A checkpoint that read back whole, and the file it was read from. */
  public record Found(Checkpoint checkpoint, String path) {}

  /**
   * The newest checkpoint that reads back whole, or null when the folder holds none. A damaged
   * newer one (whatever its decoding throws) is reported through {@code warn} and passed over;
   * leftovers of interrupted writes are removed.
   *
   * @throws IllegalStateException when checkpoints exist but every one of them is damaged
   */
  public Found latest(Consumer<String> warn) {
    try {
      FileSystem fs = dir.getFileSystem(conf);
      removeLeftovers(fs);
      List<Path> all = list(fs);
      String firstProblem = null;
      for (int i = all.size() - 1; i >= 0; i--) {
        String problem;
        try (InputStream in = fs.open(all.get(i))) {
          return new Found(Checkpoint.decode(in.readAllBytes(), all.get(i).toString()), all.get(i).toString());
        } catch (IOException e) {
          problem = e.getMessage();
        } catch (RuntimeException e) { // a crafted or damaged field that the checksum did not catch
          problem = all.get(i) + ": cannot decode: " + e;
        }
        warn.accept("skipping damaged checkpoint: " + problem);
        firstProblem = firstProblem == null ? problem : firstProblem;
      }
      if (!all.isEmpty()) {
        throw new IllegalStateException(dir + ": " + (all.size() == 1 ? "the only checkpoint is" : "all " + all.size()
            + " checkpoints are") + " damaged (newest: " + firstProblem + ")");
      }
      return null;
    } catch (IOException e) {
      throw new IllegalStateException(dir + ": cannot list checkpoints: " + e.getMessage(), e);
    }
  }

  /** Path of the newest complete checkpoint, or null. */
  public String latestPath() {
    try {
      List<Path> all = list(dir.getFileSystem(conf));
      return all.isEmpty() ? null : all.get(all.size() - 1).toString();
    } catch (IOException e) {
      return null;
    }
  }
}
