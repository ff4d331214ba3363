package dev.fovea.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Sizes;
import dev.fovea.kernels.Tensor;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Fovea's model file: self-describing, versioned and checksummed, read without Java
 * deserialization. This build writes format version 2 and reads versions 1 and 2.
 *
 * <pre>
 *   8 bytes   magic "FOVEAMDL"
 *   int32     format version (2)
 *   int32     header length L, then L bytes of UTF-8 JSON:
 *               {"architecture": the network as {@link NetworkJson} writes it,
 *                "zoo": the zoo name or null, "class_names": [...],
 *                "layout": [{"name", "shape", "offset"}], "parameters": P,
 *                "buffer_layout": [{"name", "shape", "offset"}], "buffers": B,
 *                "optimizer": null or {"description", "step", "state_size": S},
 *                "provenance": {"configuration", "dataset_manifest_hash", "code_version", "backend", ...}}
 *   int32     P, then P float32 parameters (big-endian)
 *   int32     B, then B float32 buffers
 *   int32     S, then S float32 optimizer state values
 *   int64     CRC-32 of every byte before it
 * </pre>
 *
 * Version 1 (written by Fovea before networks were graphs, kept as the fixture {@code
 * model-files/lenet-v1.fovea}) names a zoo architecture instead of describing it and has neither
 * buffers nor optimizer state.
 *
 * <p>The whole file is read and its checksum verified before anything is parsed, and every slice of
 * the layout is checked against the rebuilt network before a {@link Model} is returned, so a damaged
 * file is rejected whole and nothing is half-loaded.
 */
public final class ModelFile {
  static final byte[] MAGIC = "FOVEAMDL".getBytes(StandardCharsets.US_ASCII);
  /** The format version this build writes. */
  public static final int VERSION = 2;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The largest model file read: a Java array's limit (ResNet-50 with Adam state is about 300 MB). */
  static final int MAX_FILE_BYTES = Sizes.MAX_ARRAY - 1;
  /** The largest JSON header read (ResNet-50's is about 60 KB). */
  static final int MAX_HEADER_BYTES = 64 << 20;

  private ModelFile() {}

  /**
   * Optimizer state saved from training, so that a run can continue where it stopped.
   *
   * @param description the optimizer and its hyperparameters, e.g. its record's {@code toString()}
   * @param step the number of steps taken
   * @param state the optimizer's flat state vector ({@code Optimizer.stateSize(P)} values)
   */
  public record OptimizerState(String description, long step, float[] state) {}

  /**
   * One class and its probability, as {@link Model#predict} returns them.
   *
   * @param index the class index (the position in the logits)
   * @param name the class name
   * @param probability the softmax probability, in [0, 1]
   */
  public record Prediction(int index, String name, double probability) {}

  /**
   * A model: the network, its parameter and buffer values, the names of its classes, optionally the
   * optimizer state, and where it came from.
   *
   * @param network the architecture
   * @param zoo the zoo name it was built from, or null for a network described otherwise
   * @param classNames name of each output class, {@code network.numClasses()} of them (for a network
   *     trained towards target tensors, the classes of the data it was trained on)
   * @param params the flat parameter vector, laid out as {@code network.layout()}
   * @param buffers the flat buffer vector, laid out as {@code network.bufferLayout()}
   * @param optimizer the optimizer state when saved from training, or null
   * @param provenance configuration, dataset manifest hash, code version, backend
   */
  public record Model(Network network, String zoo, List<String> classNames, float[] params, float[] buffers,
      OptimizerState optimizer, Map<String, String> provenance) {

    public Model {
      classNames = List.copyOf(classNames);
      provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
      // a network trained towards target tensors keeps its data's class names, which are not its outputs
      if (network.loss().readsLabels() && classNames.size() != network.numClasses()) {
        throw new IllegalArgumentException("model: " + classNames.size() + " class names for a network with "
            + network.numClasses() + " classes");
      }
      if (params.length != network.layout().size()) {
        throw new IllegalArgumentException("model: the network needs " + network.layout().size()
            + " parameters, got " + params.length);
      }
      if (buffers.length != network.bufferLayout().size()) {
        throw new IllegalArgumentException("model: the network needs " + network.bufferLayout().size()
            + " buffer values, got " + buffers.length);
      }
    }

    /**
     * A zoo model without buffers' training state or optimizer state (the form of format version 1):
     * the buffers start fresh.
     */
    public Model(String zoo, Shape inputShape, List<String> classNames, float[] params,
        Map<String, String> provenance) {
      this(Zoo.build(zoo, inputShape, classNames.size()), zoo, classNames, params,
          Zoo.build(zoo, inputShape, classNames.size()).bufferLayout().initialize(0), null, provenance);
    }

    /** {@code (C, H, W)} of one input. */
    public Shape inputShape() {
      return network.inputShape();
    }

    /** This model with other parameter and buffer values (and no optimizer state). */
    public Model withValues(float[] newParams, float[] newBuffers) {
      return new Model(network, zoo, classNames, newParams, newBuffers, null, provenance);
    }

    /**
     * The {@code k} most probable classes of each sample of {@code src (N, C, H, W)}, most probable
     * first, in evaluation mode.
     */
    public List<List<Prediction>> predict(Backend backend, Tensor src, int k) {
      if (k < 1) {
        throw new IllegalArgumentException("predict: k must be >= 1, got " + k);
      }
      Tensor logits = network.forward(backend, params, buffers, src);
      Tensor probs = Tensor.zeros(logits.shape(), logits.dtype());
      backend.softmaxForward(false, logits, probs);
      int n = logits.shape().dim(0);
      int classes = logits.shape().dim(1);
      List<List<Prediction>> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Integer[] order = new Integer[classes];
        for (int c = 0; c < classes; c++) {
          order[c] = c;
        }
        final int row = i * classes;
        Arrays.sort(order, (a, b) -> {
          int cmp = Double.compare(probs.get(row + b), probs.get(row + a));
          return cmp != 0 ? cmp : Integer.compare(a, b);
        });
        List<Prediction> top = new ArrayList<>();
        for (int j = 0; j < Math.min(k, classes); j++) {
          top.add(new Prediction(order[j], classNames.get(order[j]), probs.get(row + order[j])));
        }
        out.add(List.copyOf(top));
      }
      return out;
    }
  }

  private static void putLayout(ArrayNode a, ParamLayout layout) {
    for (ParamLayout.Slice s : layout.slices()) {
      ObjectNode o = a.addObject();
      o.put("name", s.name());
      ArrayNode shape = o.putArray("shape");
      Arrays.stream(s.shape().dims()).forEach(shape::add);
      o.put("offset", s.offset());
    }
  }

  private static void putFloats(DataOutputStream d, float[] values) throws IOException {
    d.writeInt(values.length);
    ByteBuffer floats = ByteBuffer.allocate(4 * values.length);
    floats.asFloatBuffer().put(values);
    d.write(floats.array());
  }

  /** Writes {@code model} to {@code out} (not closed) in format version {@value #VERSION}. */
  public static void write(Model model, OutputStream out) throws IOException {
    Network net = model.network();
    ObjectNode h = JSON.createObjectNode();
    h.set("architecture", NetworkJson.toJson(net));
    if (model.zoo() == null) {
      h.putNull("zoo");
    } else {
      h.put("zoo", model.zoo());
    }
    ArrayNode names = h.putArray("class_names");
    model.classNames().forEach(names::add);
    putLayout(h.putArray("layout"), net.layout());
    h.put("parameters", net.layout().size());
    putLayout(h.putArray("buffer_layout"), net.bufferLayout());
    h.put("buffers", net.bufferLayout().size());
    OptimizerState opt = model.optimizer();
    if (opt == null) {
      h.putNull("optimizer");
    } else {
      h.putObject("optimizer").put("description", opt.description()).put("step", opt.step())
          .put("state_size", opt.state().length);
    }
    ObjectNode prov = h.putObject("provenance");
    model.provenance().forEach(prov::put);
    byte[] header = JSON.writeValueAsBytes(h);

    float[] state = opt == null ? new float[0] : opt.state();
    ByteArrayOutputStream buf = new ByteArrayOutputStream(
        header.length + 4 * (model.params().length + model.buffers().length + state.length) + 64);
    DataOutputStream d = new DataOutputStream(buf);
    d.write(MAGIC);
    d.writeInt(VERSION);
    d.writeInt(header.length);
    d.write(header);
    putFloats(d, model.params());
    putFloats(d, model.buffers());
    putFloats(d, state);
    d.flush();
    CRC32 crc = new CRC32();
    crc.update(buf.toByteArray());
    d.writeLong(crc.getValue());
    d.flush();
    buf.writeTo(out);
    out.flush();
  }

  /**
   * Reads a model of format version 1 or 2; {@code name} (the file's path) is named in every error.
   *
   * @throws ModelFileException when the file is truncated, corrupt, of another format or version,
   *     names an unknown layer type, or describes a layout that does not match its architecture
   */
  public static Model read(InputStream in, String name) throws IOException {
    return read(in, -1, name);
  }

  /**
   * {@link #read(InputStream, String)} of a file whose size is known ({@code length} bytes; -1 when
   * not): a file larger than a model file can be is refused before it is read.
   */
  public static Model read(InputStream in, long length, String name) throws IOException {
    if (length > MAX_FILE_BYTES) {
      throw new ModelFileException(name + ": " + length + " bytes, larger than the limit of " + MAX_FILE_BYTES
          + " bytes for a model file");
    }
    // The magic number first: a large file of another kind is rejected before it is read.
    BufferedInputStream bin = new BufferedInputStream(in, MAGIC.length);
    bin.mark(MAGIC.length);
    byte[] magic = bin.readNBytes(MAGIC.length);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new ModelFileException(name + ": not a Fovea model file (wrong magic number)");
    }
    bin.reset();
    byte[] all = Sizes.readAtMost(bin, MAX_FILE_BYTES);
    if (all.length > MAX_FILE_BYTES) {
      throw new ModelFileException(name + ": larger than the limit of " + MAX_FILE_BYTES + " bytes for a model file");
    }
    int minimum = MAGIC.length + 4 + 4 + 4 + 8;
    if (all.length < minimum) {
      throw new ModelFileException(name + ": truncated (" + all.length + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    CRC32 crc = new CRC32();
    crc.update(all, 0, all.length - 8);
    long stored = b.getLong(all.length - 8);
    b.position(MAGIC.length);
    int version = b.getInt();
    if (version != 1 && version != 2) {
      throw new ModelFileException(name + ": format version " + version + " is not supported (this build reads 1 and "
          + VERSION + ")");
    }
    int headerLength = Sizes.count(name + ": offset " + (MAGIC.length + 4), "header length", b.getInt(), 1,
        all.length - minimum, MAX_HEADER_BYTES, ModelFileException::new);
    if (stored != crc.getValue()) {
      throw new ModelFileException(name + ": checksum mismatch: the file is corrupt or truncated");
    }
    JsonNode h;
    try {
      h = JSON.readTree(Arrays.copyOfRange(all, b.position(), b.position() + headerLength));
    } catch (IOException e) {
      throw new ModelFileException(name + ": header is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (!h.isObject()) {
      throw new ModelFileException(name + ": header is not a JSON object");
    }
    b.position(b.position() + headerLength);
    float[] params = floats(b, all.length - 8, name, "parameter");
    float[] buffers = version == 1 ? null : floats(b, all.length - 8, name, "buffer");
    float[] state = version == 1 ? null : floats(b, all.length - 8, name, "optimizer state");
    if (b.position() != all.length - 8) {
      throw new ModelFileException(name + ": " + (all.length - 8 - b.position()) + " unexpected bytes after the values");
    }
    List<String> classNames = new ArrayList<>();
    h.path("class_names").forEach(n -> classNames.add(n.asText()));
    Map<String, String> prov = new LinkedHashMap<>();
    h.path("provenance").properties().forEach(e -> prov.put(e.getKey(), e.getValue().asText()));

    Network net;
    String zoo;
    if (version == 1) {
      JsonNode arch = h.path("architecture");
      zoo = arch.path("zoo").asText(null);
      if (zoo == null || !Zoo.names().contains(zoo)) {
        throw new ModelFileException(name + ": unknown architecture '" + zoo + "'");
      }
      Shape input = shape(arch.path("input_shape"), name + ": architecture: input_shape");
      try {
        net = Zoo.build(zoo, input, classNames.size());
      } catch (IllegalArgumentException e) {
        throw new ModelFileException(name + ": architecture does not build: " + e.getMessage());
      }
      buffers = net.bufferLayout().initialize(0);
    } else {
      zoo = h.path("zoo").isTextual() ? h.path("zoo").asText() : null;
      try {
        net = NetworkJson.fromJson(h.path("architecture"), name + ": architecture");
      } catch (IllegalArgumentException e) {
        throw new ModelFileException(e.getMessage());
      }
      checkLayout(name, "buffer", h.path("buffer_layout"), net.bufferLayout(), buffers.length);
    }
    checkLayout(name, "parameter", h.path("layout"), net.layout(), params.length);
    if (net.loss().readsLabels() && classNames.size() != net.numClasses()) {
      throw new ModelFileException(name + ": " + classNames.size() + " class names for " + net.numClasses()
          + " outputs");
    }
    OptimizerState opt = null;
    if (version == 2 && h.path("optimizer").isObject()) {
      JsonNode o = h.path("optimizer");
      if (Sizes.jsonLong(o.path("state_size"), name + ": optimizer: state_size", ModelFileException::new)
          != state.length) {
        throw new ModelFileException(name + ": optimizer state has " + state.length + " values, the header says "
            + o.path("state_size"));
      }
      opt = new OptimizerState(o.path("description").asText(""),
          Sizes.jsonLong(o.path("step"), name + ": optimizer: step", ModelFileException::new), state);
    } else if (state != null && state.length != 0) {
      throw new ModelFileException(name + ": optimizer state values without an optimizer description");
    }
    return new Model(net, zoo, classNames, params, buffers, opt, prov);
  }

  /** A shape stored as a JSON array of exact, non-negative ints. */
  private static Shape shape(JsonNode a, String where) throws ModelFileException {
    if (!a.isArray()) {
      throw new ModelFileException(where + ": missing (an array of dimensions is required)");
    }
    int[] v = new int[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = Sizes.jsonInt(a.get(i), where + "[" + i + "]", ModelFileException::new);
      if (v[i] < 0) {
        throw new ModelFileException(where + "[" + i + "]: negative dimension " + v[i]);
      }
    }
    Shape s = Shape.of(v);
    try {
      s.size();
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(where + ": " + e.getMessage());
    }
    return s;
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }

  private static float[] floats(ByteBuffer b, int end, String name, String what) throws ModelFileException {
    if (end - b.position() < 4) {
      throw new ModelFileException(name + ": truncated before the " + what + " values");
    }
    int at = b.position();
    int count = Sizes.count(name + ": offset " + at, what + " count", b.getInt(), 4, end - at - 4, Sizes.MAX_ARRAY,
        ModelFileException::new);
    float[] v = new float[count];
    b.asFloatBuffer().get(v);
    b.position(b.position() + 4 * count);
    return v;
  }

  /** Checks the stored layout slice by slice against the rebuilt network's. */
  private static void checkLayout(String name, String what, JsonNode stored, ParamLayout expected, int count)
      throws ModelFileException {
    if (!stored.isArray()) {
      throw new ModelFileException(name + ": the " + what + " layout is missing");
    }
    long next = 0;
    Shape[] shapes = new Shape[stored.size()];
    long[] offsets = new long[stored.size()];
    for (int i = 0; i < stored.size(); i++) {
      String where = name + ": " + what + " layout[" + i + "]";
      shapes[i] = shape(stored.get(i).path("shape"), where + ": shape");
      offsets[i] = Sizes.jsonLong(stored.get(i).path("offset"), where + ": offset", ModelFileException::new);
    }
    for (int i = 0; i < stored.size(); i++) {
      JsonNode o = stored.get(i);
      Shape shape = shapes[i];
      long offset = offsets[i];
      long end = i + 1 < stored.size() ? offsets[i + 1] : count;
      if (offset != next || end - offset != shape.size()) {
        throw new ModelFileException(name + ": " + what + " slice '" + o.path("name").asText() + "' has shape "
            + shape + " (" + shape.size() + " values) but occupies " + (end - offset) + " values at offset " + offset);
      }
      next = end;
    }
    List<ParamLayout.Slice> slices = expected.slices();
    if (stored.size() != slices.size()) {
      throw new ModelFileException(name + ": the " + what + " layout has " + stored.size()
          + " slices, the architecture has " + slices.size());
    }
    for (int i = 0; i < slices.size(); i++) {
      ParamLayout.Slice s = slices.get(i);
      JsonNode o = stored.get(i);
      Shape shape = shapes[i];
      if (!s.name().equals(o.path("name").asText()) || !s.shape().equals(shape) || s.offset() != offsets[i]) {
        throw new ModelFileException(name + ": " + what + " slice '" + o.path("name").asText() + "' " + shape + " at "
            + offsets[i] + " does not match the architecture's " + s.name() + " " + s.shape() + " at "
            + s.offset());
      }
    }
    if (count != expected.size()) {
      throw new ModelFileException(name + ": " + count + " " + what + " values, the architecture needs "
          + expected.size());
    }
  }

  /** A model file that cannot be read; the message names the file and the problem. */
  public static final class ModelFileException extends IOException {
    private static final long serialVersionUID = 1L;

    public ModelFileException(String message) {
      super(dev.fovea.kernels.OneLine.of(message));
    }
  }
}
