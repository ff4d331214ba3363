package dev.fovea.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.kernels.Shape;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Fovea's model file, format version 1: self-describing and checksummed, read without Java
 * deserialization.
 *
 * <pre>
 *   8 bytes   magic "FOVEAMDL"
 *   int32     format version (1)
 *   int32     header length L, then L bytes of UTF-8 JSON:
 *               {"architecture": {"zoo", "input_shape", "classes"}, "class_names",
 *                "layout": [{"name", "shape", "offset"}], "parameters", "provenance": {...}}
 *   int32     parameter count P, then P float32 values (big-endian)
 *   int64     CRC-32 of every byte before it
 * </pre>
 *
 * The whole file is read and its checksum verified before anything is parsed, so a damaged file
 * is rejected whole and nothing is half-loaded.
 */
public final class ModelFile {
  static final byte[] MAGIC = "FOVEAMDL".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelFile() {}

  /**
   * A model: the architecture to rebuild, its parameter values and where it came from.
   *
   * @param zoo the zoo architecture name
   * @param inputShape {@code (C, H, W)} of one input
   * @param classNames name of each output class
   * @param params the flat parameter vector, laid out as {@code network().layout()}
   * @param provenance configuration, data manifest hash, code version, backend
   */
  public record Model(String zoo, Shape inputShape, List<String> classNames, float[] params,
      Map<String, String> provenance) {

    /** The network this model's parameters belong to. */
    public Network network() {
      return Zoo.build(zoo, inputShape, classNames.size());
    }
  }

  /** Writes {@code model} to {@code out} (not closed). */
  public static void write(Model model, OutputStream out) throws IOException {
    Network net = model.network();
    if (model.params().length != net.layout().size()) {
      throw new IllegalArgumentException("model " + model.zoo() + " needs " + net.layout().size()
          + " parameters, got " + model.params().length);
    }
    ObjectNode h = JSON.createObjectNode();
    ObjectNode arch = h.putObject("architecture");
    arch.put("zoo", model.zoo());
    ArrayNode in = arch.putArray("input_shape");
    Arrays.stream(model.inputShape().dims()).forEach(in::add);
    arch.put("classes", model.classNames().size());
    ArrayNode names = h.putArray("class_names");
    model.classNames().forEach(names::add);
    ArrayNode layout = h.putArray("layout");
    for (ParamLayout.Slice s : net.layout().slices()) {
      ObjectNode o = layout.addObject();
      o.put("name", s.name());
      ArrayNode shape = o.putArray("shape");
      Arrays.stream(s.shape().dims()).forEach(shape::add);
      o.put("offset", s.offset());
    }
    h.put("parameters", net.layout().size());
    ObjectNode prov = h.putObject("provenance");
    model.provenance().forEach(prov::put);
    byte[] header = JSON.writeValueAsBytes(h);

    ByteArrayOutputStream buf = new ByteArrayOutputStream(header.length + 4 * model.params().length + 64);
    DataOutputStream d = new DataOutputStream(buf);
    d.write(MAGIC);
    d.writeInt(VERSION);
    d.writeInt(header.length);
    d.write(header);
    d.writeInt(model.params().length);
    ByteBuffer floats = ByteBuffer.allocate(4 * model.params().length);
    floats.asFloatBuffer().put(model.params());
    d.write(floats.array());
    d.flush();
    CRC32 crc = new CRC32();
    crc.update(buf.toByteArray());
    d.writeLong(crc.getValue());
    d.flush();
    buf.writeTo(out);
    out.flush();
  }

  /**
   * Reads a model; {@code name} (the file's path) is named in every error.
   *
   * @throws ModelFileException when the file is truncated, corrupt, of another format or version,
   *     or describes a layout that does not match its architecture
   */
  public static Model read(InputStream in, String name) throws IOException {
    byte[] all = in.readAllBytes();
    int minimum = MAGIC.length + 4 + 4 + 4 + 8;
    if (all.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC)) {
      throw new ModelFileException(name + ": not a Fovea model file (wrong magic number)");
    }
    if (all.length < minimum) {
      throw new ModelFileException(name + ": truncated (" + all.length + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    CRC32 crc = new CRC32();
    crc.update(all, 0, all.length - 8);
    long stored = b.getLong(all.length - 8);
    b.position(MAGIC.length);
    int version = b.getInt();
    if (version != VERSION) {
      throw new ModelFileException(name + ": format version " + version + " is not supported (this build reads "
          + VERSION + ")");
    }
    int headerLength = b.getInt();
    if (headerLength < 0 || headerLength > all.length - minimum) {
      throw new ModelFileException(name + ": truncated or corrupt (header length " + headerLength + ")");
    }
    if (stored != crc.getValue()) {
      throw new ModelFileException(name + ": checksum mismatch: the file is corrupt or truncated");
    }
    JsonNode h = JSON.readTree(Arrays.copyOfRange(all, b.position(), b.position() + headerLength));
    b.position(b.position() + headerLength);
    int count = b.getInt();
    if (count < 0 || (long) count * 4 != all.length - 8 - b.position()) {
      throw new ModelFileException(name + ": parameter count " + count + " does not match the file size");
    }
    float[] params = new float[count];
    b.asFloatBuffer().get(params);

    JsonNode arch = h.path("architecture");
    String zoo = arch.path("zoo").asText(null);
    if (zoo == null || !Zoo.names().contains(zoo)) {
      throw new ModelFileException(name + ": unknown architecture '" + zoo + "'");
    }
    int[] input = new int[arch.path("input_shape").size()];
    for (int i = 0; i < input.length; i++) {
      input[i] = arch.path("input_shape").get(i).asInt();
    }
    List<String> classNames = new ArrayList<>();
    h.path("class_names").forEach(n -> classNames.add(n.asText()));
    Network net;
    try {
      net = Zoo.build(zoo, Shape.of(input), classNames.size());
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(name + ": architecture does not build: " + e.getMessage());
    }
    List<ParamLayout.Slice> expected = net.layout().slices();
    JsonNode layout = h.path("layout");
    if (layout.size() != expected.size()) {
      throw new ModelFileException(name + ": layout has " + layout.size() + " slices, " + zoo + " has "
          + expected.size());
    }
    for (int i = 0; i < expected.size(); i++) {
      ParamLayout.Slice s = expected.get(i);
      JsonNode o = layout.get(i);
      int[] shape = new int[o.path("shape").size()];
      for (int j = 0; j < shape.length; j++) {
        shape[j] = o.path("shape").get(j).asInt();
      }
      if (!s.name().equals(o.path("name").asText()) || !s.shape().equals(Shape.of(shape))
          || s.offset() != o.path("offset").asInt()) {
        throw new ModelFileException(name + ": parameter slice '" + o.path("name").asText() + "' " + Shape.of(shape)
            + " at " + o.path("offset").asInt() + " does not match " + zoo + "'s " + s.name() + " " + s.shape()
            + " at " + s.offset());
      }
    }
    if (count != net.layout().size()) {
      throw new ModelFileException(name + ": " + count + " parameters, " + zoo + " needs " + net.layout().size());
    }
    Map<String, String> prov = new java.util.LinkedHashMap<>();
    h.path("provenance").properties().forEach(e -> prov.put(e.getKey(), e.getValue().asText()));
    return new Model(zoo, Shape.of(input), classNames, params, prov);
  }

  /** A model file that cannot be read; the message names the file and the problem. */
  public static final class ModelFileException extends IOException {
    private static final long serialVersionUID = 1L;

    public ModelFileException(String message) {
      super(message);
    }
  }
}
