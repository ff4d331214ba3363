package dev.fovea.driver.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints in a folder of any Hadoop file system: {@code round-000000123.ckpt}. A checkpoint is
 * written under a temporary name and renamed into place when complete; only then are older ones
 * removed (the newest {@link #KEEP} are kept), so a good checkpoint exists at every moment.
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

  /** Writes {@code c} atomically and prunes older checkpoints; returns its path. */
  public String save(Checkpoint c) {
    try {
      FileSystem fs = dir.getFileSystem(conf);
      fs.mkdirs(dir);
      Path tmp = new Path(dir, "_" + name(c.round()) + ".tmp");
      Path target = new Path(dir, name(c.round()));
      try (OutputStream out = fs.create(tmp, true)) {
        out.write(c.encode());
      }
      FileContext.getFileContext(dir.toUri(), conf).rename(tmp, target, Options.Rename.OVERWRITE);
      List<Path> all = list(fs);
      for (int i = 0; i < all.size() - KEEP; i++) {
        fs.delete(all.get(i), false);
      }
      return target.toString();
    } catch (IOException e) {
      throw new IllegalStateException(dir + ": cannot write checkpoint: " + e.getMessage(), e);
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

  /**
   * The newest checkpoint that reads back whole, or null when there is none. A damaged newer one
   * is reported through {@code warn} and passed over.
   */
  public Checkpoint latest(Consumer<String> warn) {
    try {
      FileSystem fs = dir.getFileSystem(conf);
      List<Path> all = list(fs);
      for (int i = all.size() - 1; i >= 0; i--) {
        try (InputStream in = fs.open(all.get(i))) {
          return Checkpoint.decode(in.readAllBytes(), all.get(i).toString());
        } catch (IOException e) {
          warn.accept("skipping damaged checkpoint: " + e.getMessage());
        }
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
