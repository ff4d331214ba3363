package dev.fovea.data.shard;

import dev.fovea.data.DataException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The end of every sharding job, shared by {@link ShardWriter} and {@link ImageShardWriter}: the
 * finished {@code _staging-<run>/} folder becomes {@code shards-<run>/}, leftover task-attempt files
 * are removed, the manifest is written under a temporary name and renamed over {@code
 * manifest.json} in one atomic step, and only then are folders of earlier or interrupted runs
 * deleted. Until the rename, the previous shard set (if any) stays complete and listed.
 */
final class ShardSetCommit {
  private ShardSetCommit() {}

  /**
   * Publishes the shards in {@code staging} and the manifest {@code manifestFor} makes for the
   * published folder's name; returns that manifest.
   */
  static Manifest commit(FileSystem fs, Configuration conf, Path base, Path staging, String run,
      Function<String, Manifest> manifestFor) throws IOException {
    Path finalDir = new Path(base, "shards-" + run);
    if (!fs.rename(staging, finalDir)) {
      throw new DataException(base + ": cannot rename " + staging + " to " + finalDir);
    }
    ImageShardWriter.removeAttempts(fs, finalDir);
    Manifest m = manifestFor.apply(finalDir.getName());
    Path tmp = new Path(base, "_" + Manifest.FILE_NAME + "." + run);
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(m.toJson());
    }
    FileContext.getFileContext(base.toUri(), conf).rename(tmp, new Path(base, Manifest.FILE_NAME),
        org.apache.hadoop.fs.Options.Rename.OVERWRITE);
    removeUnlisted(fs, base, finalDir.getName());
    return m;
  }

  /** Deletes what earlier, interrupted or replaced runs left: anything of ours but the listed folder. */
  private static void removeUnlisted(FileSystem fs, Path base, String keep) throws IOException {
    for (FileStatus st : fs.listStatus(base)) {
      String name = st.getPath().getName();
      boolean ours = name.startsWith("_staging-") || name.startsWith("shards-") || name.startsWith("_manifest.json.");
      if (ours && !name.equals(keep)) {
        fs.delete(st.getPath(), true);
      }
    }
  }
}
