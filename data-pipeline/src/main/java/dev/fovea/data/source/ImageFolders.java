package dev.fovea.data.source;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import dev.fovea.data.image.Codecs;
import dev.fovea.data.image.Image;
import dev.fovea.data.image.ImageCodec;
import dev.fovea.kernels.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One split of a folder source read whole into memory, for targets paired with its images by file
 * name ({@code fovea shard --source folder --target multi_hot|float_vector|mask|self}): {@code
 * dir/<class>/<file>}, the classes the sorted folders (hidden ones and those starting with {@code _}
 * left out), the images in each sorted by name. Every image is decoded on the driver to the given
 * channels and must have the size of the first; an image that does not decode or differs in size
 * is a {@link DataException} naming it. Files that are not images by name are skipped.
 */
public final class ImageFolders {
  private ImageFolders() {}

  /**
   * A split read whole.
   *
   * @param data the images, in (C, H, W), labelled by their class folder
   * @param paths each image's path relative to the split folder ({@code <class>/<file>}), in sample
   *     order: the key its targets pair with
   */
  public record Loaded(ImageDataset data, List<String> paths) {}

  /**
   * Reads {@code dir}.
   *
   * @param classes the classes by index (a test split takes the training split's), or null for its
   *     own class folders
   * @param channels 1 (grey) or 3 (RGB)
   */
  public static Loaded load(String dir, String name, List<String> classes, int channels, Configuration conf) {
    ImageCodec codec = Codecs.best();
    Path root = new Path(dir);
    List<String> cls = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    java.io.ByteArrayOutputStream pixels = new java.io.ByteArrayOutputStream();
    int[] hw = null;
    String first = null;
    try {
      FileSystem fs = root.getFileSystem(conf);
      if (!fs.getFileStatus(root).isDirectory()) {
        throw new DataException(dir + ": not a folder");
      }
      List<FileStatus> dirs = new ArrayList<>();
      for (FileStatus st : fs.listStatus(root)) {
        if (st.isDirectory() && !hidden(st.getPath().getName())) {
          dirs.add(st);
        }
      }
      dirs.sort(null);
      for (FileStatus d : dirs) {
        String c = d.getPath().getName();
        if (classes == null) {
          cls.add(c);
        } else if (!classes.contains(c)) {
          throw new DataException(d.getPath() + ": class folder " + c + " is not one of the training split's "
              + classes);
        }
        int label = classes == null ? cls.size() - 1 : classes.indexOf(c);
        List<FileStatus> files = new ArrayList<>(List.of(fs.listStatus(d.getPath())));
        files.sort(null);
        for (FileStatus f : files) {
          String n = f.getPath().getName();
          if (!f.isFile() || hidden(n) || !Codecs.isImageName(n)) {
            continue;
          }
          byte[] bytes;
          try (InputStream in = fs.open(f.getPath())) {
            bytes = in.readAllBytes();
          }
          Image img;
          try {
            img = codec.decode(bytes, channels).toInterleaved().toPlanar();
          } catch (ImageCodec.BadImageException e) {
            throw new DataException(f.getPath() + ": not an image " + codec.name() + " reads: " + e.getMessage());
          }
          if (hw == null) {
            hw = new int[] {img.height(), img.width()};
            first = c + "/" + n;
          } else if (img.height() != hw[0] || img.width() != hw[1]) {
            throw new DataException(f.getPath() + ": a " + img.height() + "x" + img.width() + " image; the first, "
                + first + ", is " + hw[0] + "x" + hw[1] + " (targets paired by name need images of one size)");
          }
          pixels.write(img.pixels());
          paths.add(c + "/" + n);
          labels.add(label);
        }
      }
    } catch (java.io.FileNotFoundException e) {
      throw new DataException(dir + ": no such folder");
    } catch (IOException e) {
      throw new DataException(dir + ": " + e.getMessage(), e);
    }
    if (paths.isEmpty()) {
      throw new DataException(dir + ": no images in class folders (" + dir + "/<class>/<file>)");
    }
    ImageDataset data = new ImageDataset(name, Shape.of(channels, hw[0], hw[1]),
        List.copyOf(classes == null ? cls : classes), pixels.toByteArray(),
        labels.stream().mapToInt(Integer::intValue).toArray(), dir);
    return new Loaded(data, List.copyOf(paths));
  }

  private static boolean hidden(String name) {
    return name.startsWith(".") || name.startsWith("_");
  }
}
