package dev.fovea.driver.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * Whole files put into place atomically and durably on any Hadoop file system: written under a
 * temporary name ({@code _NAME.tmp}), flushed to disk ({@code hflush} and {@code hsync}: on HDFS the
 * DataNodes' disks, on a local disk {@code fsync}), then renamed over {@code NAME}. A reader sees
 * the old file or the whole new one, also after a power cut. On a local disk the folder is synced
 * after the rename as well.
 */
public final class DurableFiles {
  private DurableFiles() {}

  /** The temporary name under which {@code name} is written before it is renamed into place. */
  public static String temporaryName(String name) {
    return "_" + name + ".tmp";
  }

  /** Writes {@code bytes} as {@code dir/name}, replacing any file of that name; returns its path. */
  public static Path replace(Configuration conf, Path dir, String name, byte[] bytes) throws IOException {
    FileSystem fs = dir.getFileSystem(conf);
    // Hadoop's checksummed local file system cannot sync (its stream is not Syncable): write through the raw one
    FileSystem raw = fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
    raw.mkdirs(dir);
    Path tmp = new Path(dir, temporaryName(name));
    Path target = new Path(dir, name);
    try (FSDataOutputStream out = raw.create(tmp, true)) {
      out.write(bytes);
      out.hflush();
      out.hsync();
    }
    FileContext.getFileContext(dir.toUri(), conf).rename(tmp, target, Options.Rename.OVERWRITE);
    if (fs instanceof LocalFileSystem local) {
      java.io.File folder = local.pathToFile(dir);
      try (FileChannel d = FileChannel.open(folder.toPath(), StandardOpenOption.READ)) {
        d.force(true); // the rename itself reaches the disk
      }
    }
    return target;
  }
}
