package dev.fovea.nn.dl4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Sizes;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.ModelFile.ModelFileException;
import dev.fovea.nn.Network;
import dev.fovea.nn.ParamLayout;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads a Deeplearning4j model zip, as DL4J's {@code ModelSerializer} writes it, into a Fovea
 * model: {@code configuration.json} (a MultiLayerNetwork or ComputationGraph configuration) and
 * {@code coefficients.bin} (the flat parameter vector); the updater state and normalizer entries
 * are skipped. Layers: ConvolutionLayer (Truncate, Strict or Same mode; stride, padding,
 * dilation), SubsamplingLayer (max, average), BatchNormalization, DenseLayer, OutputLayer and
 * LossLayer with softmax, ActivationLayer, DropoutLayer, GlobalPoolingLayer,
 * LocalResponseNormalization, ZeroPaddingLayer, MergeVertex, ElementWiseVertex (Add, Average,
 * Subtract), and the CNN-to-dense and dense-to-CNN input preprocessors; NCHW and NHWC layers (an
 * NHWC network takes the same images channels first). See docs/dl4j.md.
 *
 * <p>DL4J's configuration does not record the input size. Fovea takes it from its own entry
 * {@code fovea.json} (which {@link Dl4jExport} writes), else from a dense-to-CNN preprocessor on the
 * first layer, else as the smallest height and width that give the sizes recorded by the
 * CNN-to-dense preprocessors (LeNet's 4×4×50 before its dense layer: 28×28); a network with none
 * (one ending in global pooling) needs it given, {@link #read(byte[], String, Shape)}.
 *
 * <p>The zip is untrusted: at most {@link #MAX_BYTES} bytes, {@link #MAX_ENTRIES} entries, the
 * configuration at most {@link #MAX_CONFIG_BYTES} bytes uncompressed, and all entries together at
 * most {@code 64 MiB + 100 ×} the zip's size uncompressed; every problem is a {@link
 * ModelFileException} whose one-line message names the file (and the layer).
 */
public final class Dl4jImport {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The largest zip read. */
  public static final int MAX_BYTES = Sizes.MAX_ARRAY - 1;
  /** The most entries a zip may have. */
  public static final int MAX_ENTRIES = 1024;
  /** The largest configuration.json (and fovea.json) read, uncompressed. */
  public static final int MAX_CONFIG_BYTES = 16 << 20;
  /** Fovea's own entry: the input shape, class names and provenance. */
  static final String FOVEA_ENTRY = "fovea.json";

  private Dl4jImport() {}

  /** Whether {@code file} is read as a DL4J model zip: its name ends in {@code .zip}. */
  public static boolean isDl4jFile(String file) {
    return file.toLowerCase(Locale.ROOT).endsWith(".zip");
  }

  /** Reads {@code file}. */
  public static ModelFile.Model read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, Files.size(file), file.toString());
    }
  }

  /**
   * Reads the zip of {@code length} bytes (-1: unknown) in {@code in}: a file over {@link #MAX_BYTES}
   * is refused from its length before any of it is read, and memory grows with the bytes that
   * arrive.
   */
  public static ModelFile.Model read(InputStream in, long length, String name) throws IOException {
    if (length > MAX_BYTES) {
      throw new ModelFileException(name + ": " + length + " bytes; a DL4J model zip may have at most " + MAX_BYTES);
    }
    byte[] bytes = Sizes.readAtMost(in, MAX_BYTES);
    if (bytes.length > MAX_BYTES) {
      throw new ModelFileException(name + ": more than " + MAX_BYTES + " bytes; a DL4J model zip may have at most "
          + MAX_BYTES);
    }
    return read(bytes, name, null);
  }

  /** Reads the DL4J model zip in {@code bytes}; {@code name} (the file) is named in every error. */
  public static ModelFile.Model read(byte[] bytes, String name) throws ModelFileException {
    return read(bytes, name, null);
  }

  /**
   * Reads the DL4J model zip in {@code bytes} for input samples of {@code input} ({@code (C, H, W)}
   * or {@code (K)}; null: the size the file states or implies).
   */
  public static ModelFile.Model read(byte[] bytes, String name, Shape input) throws ModelFileException {
    Map<String, byte[]> entries = entries(bytes, name);
    byte[] config = entries.get("configuration.json");
    if (config == null) {
      throw new ModelFileException(name + ": not a DL4J model zip (no configuration.json entry; truncated?)");
    }
    byte[] coefficients = entries.get("coefficients.bin");
    if (coefficients == null) {
      throw new ModelFileException(name + ": no coefficients.bin entry (a DL4J model saved without parameters, or"
          + " truncated)");
    }
    JsonNode conf = json(config, name, "configuration.json");
    JsonNode fovea = entries.containsKey(FOVEA_ENTRY) ? json(entries.get(FOVEA_ENTRY), name, FOVEA_ENTRY) : null;
    String dtype = conf.path("dataType").asText("FLOAT");
    if (!dtype.equals("FLOAT") && !dtype.equals("DOUBLE")) {
      throw new ModelFileException(name + ": network data type " + dtype + "; Fovea reads FLOAT and DOUBLE");
    }
    float[] flat = Nd4jArrays.read(coefficients, name + ": coefficients.bin", Sizes.MAX_ARRAY).values();
    Dl4jTranslation t = new Dl4jTranslation(conf, flat, name);
    Shape in = input;
    if (in == null && fovea != null && fovea.path("input").isArray()) {
      int[] d = new int[fovea.get("input").size()];
      for (int i = 0; i < d.length; i++) {
        d[i] = Sizes.jsonInt(fovea.get("input").get(i), name + ": fovea.json input", ModelFileException::new);
        if (d[i] < 1 || d[i] > Dl4jTranslation.MAX_SIDE) {
          throw new ModelFileException(name + ": fovea.json input " + fovea.get("input") + " is out of range");
        }
      }
      if (d.length != 1 && d.length != 3) {
        throw new ModelFileException(name + ": fovea.json input " + fovea.get("input") + " is not (C, H, W) or (K)");
      }
      in = Shape.of(d);
    }
    if (in == null) {
      in = t.inferInput();
    }
    if (in == null) {
      throw new ModelFileException(name + ": the configuration does not record the input's height and width (no"
          + " flatten before a dense layer); give the input shape, Dl4jImport.read(bytes, name, input)");
    }
    Network net = t.translate(in);
    float[] params = new float[net.layout().size()];
    float[] buffers = new float[net.bufferLayout().size()];
    fill(net.layout(), t.values, params, name);
    fill(net.bufferLayout(), t.values, buffers, name);
    List<String> classes = new ArrayList<>();
    if (fovea != null && fovea.path("classNames").isArray()) {
      fovea.get("classNames").forEach(c -> classes.add(c.asText()));
    }
    if (classes.size() != net.numClasses()) {
      classes.clear();
      for (int i = 0; i < net.numClasses(); i++) {
        classes.add(Integer.toString(i));
      }
    }
    Map<String, String> prov = new LinkedHashMap<>();
    if (fovea != null && fovea.path("provenance").isObject()) {
      fovea.get("provenance").properties().forEach(e -> prov.put(e.getKey(), e.getValue().asText()));
    }
    prov.put("dl4j_source", name);
    prov.put("dl4j_configuration", t.graph ? "ComputationGraph" : "MultiLayerNetwork");
    String zoo = fovea != null && fovea.path("zoo").isTextual() ? fovea.get("zoo").asText() : null;
    return new ModelFile.Model(net, zoo, classes, params, buffers, null, prov);
  }

  private static void fill(ParamLayout layout, Map<String, float[]> values, float[] into, String name)
      throws ModelFileException {
    for (ParamLayout.Slice s : layout.slices()) {
      float[] v = values.get(s.name());
      if (v == null || v.length != s.size()) {
        throw new ModelFileException(name + ": parameter '" + s.name() + "' has " + (v == null ? 0 : v.length)
            + " values; the layer needs " + s.shape() + " (" + s.size() + ")");
      }
      System.arraycopy(v, 0, into, s.offset(), v.length);
    }
  }

  private static JsonNode json(byte[] b, String name, String entry) throws ModelFileException {
    try {
      JsonNode n = JSON.readTree(new String(b, StandardCharsets.UTF_8));
      if (n == null || !n.isObject()) {
        throw new ModelFileException(name + ": " + entry + " is not a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw new ModelFileException(name + ": " + entry + " is not valid JSON (" + e.getOriginalMessage() + ")");
    }
  }

  /**
   * Whether the zip's end-of-central-directory record (signature {@code PK\5\6}, 22 bytes plus a
   * comment of at most 65,535) is where a whole zip has it: entries are read front to back, and a
   * zip cut anywhere, even after its last entry, lacks this record.
   */
  static boolean hasEndRecord(byte[] b) {
    for (int i = b.length - 22; i >= 0 && i >= b.length - 22 - 65_535; i--) {
      if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 5 && b[i + 3] == 6
          && i + 22 + ((b[i + 20] & 0xff) | (b[i + 21] & 0xff) << 8) == b.length) {
        return true;
      }
    }
    return false;
  }

  /**
   * The entries Fovea reads (configuration.json, coefficients.bin, fovea.json), bounded as the class
   * documentation says; other entries are read through and dropped.
   */
  static Map<String, byte[]> entries(byte[] bytes, String name) throws ModelFileException {
    if (!hasEndRecord(bytes)) {
      throw new ModelFileException(name + ": not a zip file (no end-of-central-directory record; truncated?)");
    }
    Map<String, byte[]> out = new HashMap<>();
    long budget = (64L << 20) + 100L * bytes.length;
    int count = 0;
    try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(bytes))) {
      ZipEntry e;
      while ((e = z.getNextEntry()) != null) {
        if (++count > MAX_ENTRIES) {
          throw new ModelFileException(name + ": more than " + MAX_ENTRIES + " zip entries");
        }
        String n = e.getName();
        long limit = switch (n) {
          case "configuration.json", FOVEA_ENTRY -> MAX_CONFIG_BYTES;
          case "coefficients.bin" -> MAX_BYTES - 1;
          default -> -1;
        };
        if (out.containsKey(n)) {
          throw new ModelFileException(name + ": entry " + n + " appears twice");
        }
        if (limit < 0) {
          byte[] skip = new byte[8192];
          for (int r; (r = z.read(skip)) > 0; ) {
            budget -= r;
            if (budget < 0) {
              throw new ModelFileException(name + ": the zip's entries hold more than " + ((64L << 20)
                  + 100L * bytes.length) + " bytes uncompressed (a zip bomb?)");
            }
          }
          continue;
        }
        byte[] b = Sizes.readAtMost(z, (int) Math.min(limit, Math.max(budget, 0)));
        if (b.length > limit) {
          throw new ModelFileException(name + ": entry " + n + " holds more than " + limit + " bytes");
        }
        budget -= b.length;
        if (budget < 0) {
          throw new ModelFileException(name + ": the zip's entries hold more than " + ((64L << 20)
              + 100L * bytes.length) + " bytes uncompressed (a zip bomb?)");
        }
        out.put(n, b);
      }
    } catch (ModelFileException e) {
      throw e;
    } catch (IOException | IllegalArgumentException e) {
      throw new ModelFileException(name + ": not a readable DL4J model zip (truncated or corrupt: " + e.getMessage()
          + ")");
    }
    return out;
  }
}
