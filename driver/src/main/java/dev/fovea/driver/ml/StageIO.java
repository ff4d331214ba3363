package dev.fovea.driver.ml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.SparkSession;

/**
 * How the stages are saved: the metadata Spark ML's own stages write ({@code <path>/metadata/},
 * one JSON line with the class, uid, Spark version and the parameters that are set, each in its
 * {@code Param.jsonEncode} form), so that {@code PipelineModel.load} finds the class and calls its
 * static {@code read()}, plus the stage's own files beside it. Written through Hadoop's FileSystem
 * API, with no Spark internals, so the same code works on Spark 3.5 and 4.x.
 */
final class StageIO {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Largest metadata file read back: parameters are short. */
  private static final long MAX_METADATA_BYTES = 16L << 20;

  private StageIO() {}

  /** A writer of {@code stage}'s metadata, then of its files by {@code files}. */
  static MLWriter writer(Params stage, Files files) {
    return new MLWriter() {
      @Override
      public void saveImpl(String path) {
        SparkSession spark = sparkSession();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        saveMetadata(stage, path, spark.version(), conf);
        files.write(path, conf);
      }
    };
  }

  /** The stage's own files under its folder. */
  @FunctionalInterface
  interface Files {
    void write(String path, Configuration conf);
  }

  static void saveMetadata(Params stage, String path, String sparkVersion, Configuration conf) {
    ObjectNode m = JSON.createObjectNode();
    m.put("class", stage.getClass().getName());
    m.put("timestamp", System.currentTimeMillis());
    m.put("sparkVersion", sparkVersion);
    m.put("uid", stage.uid());
    ObjectNode set = m.putObject("paramMap");
    ObjectNode defaults = m.putObject("defaultParamMap");
    for (Param<?> p : stage.params()) {
      @SuppressWarnings("unchecked")
      Param<Object> param = (Param<Object>) p;
      try {
        if (stage.isSet(param)) {
          set.set(param.name(), JSON.readTree(param.jsonEncode(stage.getOrDefault(param))));
        } else if (stage.hasDefault(param)) {
          defaults.set(param.name(), JSON.readTree(param.jsonEncode(stage.getOrDefault(param))));
        }
      } catch (IOException e) {
        throw new IllegalStateException(param + ": " + e.getMessage(), e);
      }
    }
    write(conf, new Path(new Path(path, "metadata"), "part-00000"), (m.toString() + "\n")
        .getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The metadata of the stage saved in {@code path}, checked to name {@code expectedClass}.
   *
   * @throws IllegalArgumentException one line naming the folder and the problem
   */
  static JsonNode loadMetadata(String path, Configuration conf, String expectedClass) {
    Path dir = new Path(path, "metadata");
    try {
      FileSystem fs = dir.getFileSystem(conf);
      if (!fs.exists(dir)) {
        throw new IllegalArgumentException(path + ": no saved stage here (no metadata folder)");
      }
      for (FileStatus st : fs.listStatus(dir)) {
        String name = st.getPath().getName();
        if (st.isFile() && name.startsWith("part-") && st.getLen() > 0) {
          String text = new String(read(conf, st.getPath(), MAX_METADATA_BYTES), StandardCharsets.UTF_8);
          JsonNode m = JSON.readTree(text.lines().findFirst().orElse(""));
          String cls = m.path("class").asText("");
          if (!cls.equals(expectedClass)) {
            throw new IllegalArgumentException(path + ": holds a " + (cls.isEmpty() ? "stage of no class" : cls)
                + ", not a " + expectedClass);
          }
          if (!m.path("uid").isTextual()) {
            throw new IllegalArgumentException(path + ": the metadata has no uid");
          }
          return m;
        }
      }
      throw new IllegalArgumentException(path + ": the metadata folder holds no metadata");
    } catch (IOException e) {
      throw new IllegalArgumentException(path + ": cannot read the metadata: " + e.getMessage(), e);
    }
  }

  /** Sets on {@code stage} every parameter the metadata records as set. */
  static void applyParams(Params stage, JsonNode metadata) {
    for (Map.Entry<String, JsonNode> e : metadata.path("paramMap").properties()) {
      if (!stage.hasParam(e.getKey())) {
        throw new IllegalArgumentException(stage.getClass().getSimpleName() + " " + stage.uid() + ": the saved "
            + "parameter '" + e.getKey() + "' is not one of this version's");
      }
      Param<Object> p = stage.getParam(e.getKey());
      stage.set(p, p.jsonDecode(e.getValue().toString()));
    }
  }

  static void write(Configuration conf, Path file, byte[] bytes) {
    try (OutputStream out = file.getFileSystem(conf).create(file, true)) {
      out.write(bytes);
    } catch (IOException e) {
      throw new IllegalStateException(file + ": cannot write: " + e.getMessage(), e);
    }
  }

  /** The whole of {@code file}, refused above {@code limit} bytes before it is read. */
  static byte[] read(Configuration conf, Path file, long limit) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    long length = fs.getFileStatus(file).getLen();
    if (length > limit) {
      throw new IOException(file + ": " + length + " bytes, more than the " + limit + " allowed");
    }
    try (InputStream in = fs.open(file)) {
      return in.readNBytes((int) length);
    }
  }
}
