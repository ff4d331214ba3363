package dev.fovea.nn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Sizes;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Networks as JSON (or YAML, {@link #parseYaml}), the architecture part of a model file and a way
 * to describe a network without Java. Every layer is a record; its JSON object holds {@code type}, {@code name}, optionally {@code
 * inputs} (default: the layer before it, or the input) and one field per record component:
 *
 * <pre>{@code
 * {"input_shape": [1, 28, 28],
 *  "layers": [
 *    {"type": "convolution", "name": "conv1", "filters": 8, "kernel": [3, 3], "padding": [1, 1]},
 *    {"type": "activation", "name": "relu1", "function": "relu"},
 *    {"type": "convolution", "name": "conv2", "filters": 8, "kernel": [3, 3], "padding": [1, 1]},
 *    {"type": "add", "name": "res", "inputs": ["conv2", "relu1"]},
 *    {"type": "global_pooling", "name": "gap", "kind": "avg"},
 *    {"type": "dense", "name": "fc", "units": 10}],
 *  "output": "fc", "aux_outputs": [{"node": "...", "weight": 0.3}]}
 * }</pre>
 *
 * <p>{@code "loss"} names the loss training minimises ({@link Loss#id()}: {@code
 * softmax_cross_entropy}, the default, {@code sigmoid_bce}, {@code mse}, {@code l1} or {@code
 * pixel_softmax_cross_entropy}); it is
 * written only when it is not the default, so descriptions of class networks are unchanged.
 *
 * <p>Types: {@code convolution, deconvolution, pooling, global_pooling, batch_norm, dropout, lrn,
 * prelu, rrelu, activation, dense, flatten, concat, add, zero_padding, upsampling, max_unpooling,
 * channel_pooling, adaptive_pooling} and
 * LeNet's {@code conv2d, maxpool2d}. A {@code max_unpooling} layer names its max-pooling layer in
 * {@code pool} and reads the values to unpool ({@code paired}, the pool's definition, is filled in
 * when the network is built and may be left out). Fields left out take these defaults (one per field): {@code stride} and
 * {@code dilation} ones, {@code padding} and {@code outputPadding} zeros, {@code same} false,
 * {@code groups} 1, {@code bias} true, {@code inChannels} 0 (inferred), {@code init}
 * glorot_uniform (Keras's default), {@code epsilon} 1e-5, {@code momentum} 0.1, {@code scale} and
 * {@code center} true, {@code spatial} false, {@code perChannel} true, {@code scales} [] (all ones),
 * LRN {@code alpha} 1e-4, {@code beta} 0.75, {@code k} 1 (PyTorch's); every other field is
 * required. A number where a per-axis array is expected applies to every axis of the kernel. An
 * activation may be written as its kind ({@code "relu"}) for its default parameters, or as {@code
 * {"kind": ..., "alpha": ..., "beta": ..., "gamma": ...}} where a parameter left out takes the kind's
 * default ({@code Activation.of}); Keras's {@code relu(x, negative_slope, max_value, threshold)} is
 * {@code {"kind": "keras_relu", "alpha": negative_slope, "beta": max_value, "gamma": threshold}}
 * (no {@code beta}: no maximum). A layer's {@code init} is a name ({@code "glorot_uniform"}, {@code
 * "orthogonal"}, {@code "lecun_normal"}, ...) or an object {@code {"kind": "random_normal", "a":
 * mean, "b": stddev}}: the names of Fovea's original constants ({@code zeros, ones, he_normal,
 * glorot_uniform, quarter}) keep their meaning ({@code he_normal} untruncated, as PyTorch), every
 * other Keras name and every object is Keras's ({@code WeightInit}; {@code {"kind": "he_normal"}} is
 * Keras's truncated He normal). Enum values
 * are case-insensitive.
 */
public final class NetworkJson {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Class<? extends Layer>> TYPES = new LinkedHashMap<>();

  static {
    TYPES.put("convolution", Convolution.class);
    TYPES.put("deconvolution", Deconvolution.class);
    TYPES.put("pooling", Pooling.class);
    TYPES.put("global_pooling", GlobalPooling.class);
    TYPES.put("batch_norm", BatchNorm.class);
    TYPES.put("dropout", Dropout.class);
    TYPES.put("lrn", Lrn.class);
    TYPES.put("prelu", Prelu.class);
    TYPES.put("rrelu", Rrelu.class);
    TYPES.put("activation", ActivationLayer.class);
    TYPES.put("dense", Dense.class);
    TYPES.put("flatten", Flatten.class);
    TYPES.put("concat", Concat.class);
    TYPES.put("add", Add.class);
    TYPES.put("zero_padding", ZeroPadding.class);
    TYPES.put("upsampling", Upsampling.class);
    TYPES.put("max_unpooling", MaxUnpooling.class);
    TYPES.put("channel_pooling", ChannelPooling.class);
    TYPES.put("adaptive_pooling", AdaptivePooling.class);
    TYPES.put("conv2d", Conv2d.class);
    TYPES.put("maxpool2d", MaxPool2d.class);
  }

  private NetworkJson() {}

  /**
   * Loaded on first use only: jackson-dataformat-yaml is an optional dependency (Spark ships it), so
   * JSON and model files work without it on the class path.
   */
  private static final class Yaml {
    static final ObjectMapper MAPPER = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();
  }

  /** A network description that cannot be read; the message names the source, the layer and the problem. */
  public static final class NetworkJsonException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public NetworkJsonException(String message, Throwable cause) {
      super(dev.fovea.kernels.OneLine.of(message), cause);
    }
  }

  /** The layer type names this reader knows. */
  public static List<String> types() {
    return List.copyOf(TYPES.keySet());
  }

  /** The JSON description of {@code net}, every field written out. */
  public static ObjectNode toJson(Network net) {
    ObjectNode o = JSON.createObjectNode();
    ArrayNode in = o.putArray("input_shape");
    Arrays.stream(net.inputShape().dims()).forEach(in::add);
    ArrayNode layers = o.putArray("layers");
    for (Network.Node node : net.nodes()) {
      ObjectNode l = layers.addObject();
      l.put("type", typeName(node.layer()));
      ArrayNode inputs = l.putArray("inputs");
      node.inputs().forEach(inputs::add);
      Record r = (Record) node.layer();
      for (RecordComponent c : r.getClass().getRecordComponents()) {
        l.set(c.getName(), encode(value(c, r)));
      }
    }
    o.put("output", net.outputName());
    ArrayNode aux = o.putArray("aux_outputs");
    for (Network.AuxHead h : net.auxHeads()) {
      aux.addObject().put("node", h.node()).put("weight", h.weight());
    }
    if (net.loss() != Loss.SOFTMAX_CROSS_ENTROPY) {
      o.put("loss", net.loss().id());
    }
    return o;
  }

  /** {@link #toJson} as an indented string. */
  public static String toJsonString(Network net) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(net));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses a network description; {@code source} (a file name) is named in every error. */
  public static Network parse(String json, String source) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new NetworkJsonException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
    }
    return fromJson(root, source);
  }

  /**
   * Parses a network description written in YAML, with the same fields as the JSON form; {@code
   * source} is named in every error. Needs jackson-dataformat-yaml on the class path (an optional
   * dependency of this module; Spark's distribution has it).
   */
  public static Network parseYaml(String yaml, String source) {
    JsonNode root;
    try {
      root = Yaml.MAPPER.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new NetworkJsonException(source + ": not valid YAML: " + e.getOriginalMessage(), e);
    }
    return fromJson(root, source);
  }

  /** The network {@code root} describes; {@code source} is named in every error. */
  public static Network fromJson(JsonNode root, String source) {
    JsonNode in = root.path("input_shape");
    if (!in.isArray() || in.isEmpty()) {
      throw new NetworkJsonException(source + ": missing \"input_shape\" (an array such as [1, 28, 28])", null);
    }
    int[] shape = new int[in.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = Sizes.jsonInt(in.get(i), source + ": input_shape[" + i + "]", NetworkJson::error);
      if (shape[i] < 1) {
        throw error(source + ": input_shape[" + i + "]: dimension " + shape[i] + " must be at least 1");
      }
    }
    JsonNode layers = root.path("layers");
    if (!layers.isArray() || layers.isEmpty()) {
      throw new NetworkJsonException(source + ": missing \"layers\" (a non-empty array)", null);
    }
    Network.Builder b = Network.builder(Shape.of(shape));
    for (int i = 0; i < layers.size(); i++) {
      JsonNode l = layers.get(i);
      String where = source + ": layer " + (i + 1) + " ('" + l.path("name").asText("?") + "')";
      String type = l.path("type").asText(null);
      Class<? extends Layer> cls = type == null ? null : TYPES.get(type.toLowerCase(Locale.ROOT));
      if (cls == null) {
        throw new NetworkJsonException(where + ": unknown layer type '" + type + "'; known: "
            + String.join(", ", TYPES.keySet()), null);
      }
      Layer layer = (Layer) decode(cls.asSubclass(Record.class), l, where);
      JsonNode inputs = l.path("inputs");
      if (inputs.isArray() && !inputs.isEmpty()) {
        String[] names = new String[inputs.size()];
        for (int j = 0; j < names.length; j++) {
          names[j] = inputs.get(j).asText();
        }
        b.add(layer, names);
      } else {
        b.then(layer);
      }
    }
    if (root.hasNonNull("output")) {
      b.output(root.get("output").asText());
    }
    for (JsonNode a : root.path("aux_outputs")) {
      b.auxOutput(a.path("node").asText(), a.path("weight").asDouble(0.3));
    }
    if (root.has("loss")) {
      try {
        b.loss(Loss.parse(root.get("loss").isTextual() ? root.get("loss").asText() : root.get("loss").toString()));
      } catch (IllegalArgumentException e) {
        throw new NetworkJsonException(source + ": loss: " + e.getMessage(), e);
      }
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new NetworkJsonException(source + ": " + e.getMessage(), e);
    }
  }

  private static String typeName(Layer layer) {
    for (Map.Entry<String, Class<? extends Layer>> e : TYPES.entrySet()) {
      if (e.getValue() == layer.getClass()) {
        return e.getKey();
      }
    }
    throw new IllegalArgumentException(layer.name() + ": layer class " + layer.getClass().getName()
        + " has no JSON type name");
  }

  private static Object value(RecordComponent c, Record r) {
    try {
      return c.getAccessor().invoke(r);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode encode(Object v) {
    if (v == null) {
      return JSON.getNodeFactory().nullNode();
    } else if (v instanceof String s) {
      return JSON.getNodeFactory().textNode(s);
    } else if (v instanceof Integer i) {
      return JSON.getNodeFactory().numberNode(i);
    } else if (v instanceof Double d) {
      return JSON.getNodeFactory().numberNode(d);
    } else if (v instanceof Boolean z) {
      return JSON.getNodeFactory().booleanNode(z);
    } else if (v instanceof Enum<?> e) {
      return JSON.getNodeFactory().textNode(e.name().toLowerCase(Locale.ROOT));
    } else if (v instanceof int[] a) {
      ArrayNode n = JSON.createArrayNode();
      Arrays.stream(a).forEach(n::add);
      return n;
    } else if (v instanceof double[] a) {
      ArrayNode n = JSON.createArrayNode();
      Arrays.stream(a).forEach(n::add);
      return n;
    } else if (v instanceof Record r) {
      ObjectNode o = JSON.createObjectNode();
      for (RecordComponent c : r.getClass().getRecordComponents()) {
        o.set(c.getName(), encode(value(c, r)));
      }
      return o;
    }
    throw new IllegalArgumentException("cannot write a " + (v == null ? "null" : v.getClass().getName()));
  }

  private static Object defaultValue(String field, Class<?> type, int rank) {
    int[] ones = new int[rank];
    Arrays.fill(ones, 1);
    return switch (field) {
      case "stride", "dilation" -> ones;
      case "padding", "outputPadding" -> new int[rank];
      case "same", "spatial" -> false;
      case "groups" -> 1;
      case "bias", "scale", "center", "perChannel" -> true;
      case "inChannels" -> 0;
      case "init" -> Initializer.GLOROT_UNIFORM;
      case "epsilon" -> 1e-5;
      case "momentum" -> 0.1;
      case "scales" -> new double[0];
      case "alpha" -> 1e-4;
      case "beta" -> 0.75;
      case "k" -> 1.0;
      default -> null;
    };
  }

  private static <T extends Record> T decode(Class<T> cls, JsonNode l, String where) {
    RecordComponent[] cs = cls.getRecordComponents();
    int rank = l.path("kernel").isArray() ? l.path("kernel").size() : l.path("size").isArray() ? l.path("size").size()
        : 2;
    Object[] args = new Object[cs.length];
    Class<?>[] types = new Class<?>[cs.length];
    for (int i = 0; i < cs.length; i++) {
      types[i] = cs[i].getType();
      JsonNode v = l.get(cs[i].getName());
      if (v == null || v.isNull()) {
        args[i] = defaultValue(cs[i].getName(), types[i], rank);
        if (args[i] instanceof int[] a && types[i] == int.class) {
          args[i] = a.length > 0 ? a[0] : 0;
        }
        if (args[i] == null && !cs[i].getName().equals("paired")) {
          throw new NetworkJsonException(where + ": missing field '" + cs[i].getName() + "'", null);
        }
      } else {
        args[i] = decodeValue(types[i], v, rank, where + ": field '" + cs[i].getName() + "'");
      }
    }
    try {
      Constructor<T> k = cls.getDeclaredConstructor(types);
      return k.newInstance(args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw new NetworkJsonException(where + ": " + cause.getMessage(), cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object decodeValue(Class<?> type, JsonNode v, int rank, String where) {
    if (type == String.class) {
      return v.asText();
    } else if (type == int.class) {
      return Sizes.jsonInt(v, where, NetworkJson::error);
    } else if (type == double.class) {
      requireNumber(v, where);
      return v.asDouble();
    } else if (type == boolean.class) {
      if (!v.isBoolean()) {
        throw new NetworkJsonException(where + ": expects true or false, got " + v, null);
      }
      return v.asBoolean();
    } else if (type == int[].class) {
      if (v.isNumber()) {
        int[] a = new int[rank];
        Arrays.fill(a, Sizes.jsonInt(v, where, NetworkJson::error));
        return a;
      }
      if (!v.isArray()) {
        throw error(where + ": expects an integer or an array of integers, got " + v.getNodeType());
      }
      int[] a = new int[v.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = Sizes.jsonInt(v.get(i), where + "[" + i + "]", NetworkJson::error);
      }
      return a;
    } else if (type == double[].class) {
      if (!v.isArray()) {
        throw error(where + ": expects an array of numbers, got " + v.getNodeType());
      }
      double[] a = new double[v.size()];
      for (int i = 0; i < a.length; i++) {
        requireNumber(v.get(i), where);
        a[i] = v.get(i).asDouble();
      }
      return a;
    } else if (type.isEnum()) {
      for (Object c : type.getEnumConstants()) {
        if (((Enum<?>) c).name().equalsIgnoreCase(v.asText())) {
          return c;
        }
      }
      throw new NetworkJsonException(where + ": unknown value '" + v.asText() + "'; known: "
          + Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT), null);
    } else if (type == ParamInit.class) {
      return decodeInit(v, where);
    } else if (type == Pooling.class) {
      return decode(Pooling.class, v, where);
    } else if (type == Activation.class) {
      if (v.isTextual()) {
        return Activation.of((Activation.Kind) decodeValue(Activation.Kind.class, v, rank, where));
      }
      Activation d = Activation.of((Activation.Kind) decodeValue(Activation.Kind.class, v.path("kind"), rank, where));
      try {
        return new Activation(d.kind(), v.path("alpha").asDouble(d.alpha()), v.path("beta").asDouble(d.beta()),
            v.path("gamma").asDouble(d.gamma()));
      } catch (IllegalArgumentException e) {
        throw new NetworkJsonException(where + ": " + e.getMessage(), e);
      }
    }
    throw new IllegalStateException(where + ": no JSON reader for " + type);
  }

  /**
   * An initialiser: a name of one of Fovea's original constants ({@link Initializer}: {@code
   * he_normal} is PyTorch's plain normal), else of a Keras initialiser with Keras's defaults ({@link
   * WeightInit}); an object {@code {"kind": ..., "a": ..., "b": ...}} is always Keras's, its
   * arguments defaulting to Keras's.
   */
  private static ParamInit decodeInit(JsonNode v, String where) {
    if (v.isTextual()) {
      for (Initializer i : Initializer.values()) {
        if (i.name().equalsIgnoreCase(v.asText())) {
          return i;
        }
      }
    }
    JsonNode kind = v.isTextual() ? v : v.path("kind");
    WeightInit d = WeightInit.of((WeightInit.Kind) decodeValue(WeightInit.Kind.class, kind, 0, where));
    try {
      return new WeightInit(d.kind(), v.path("a").asDouble(d.a()), v.path("b").asDouble(d.b()));
    } catch (IllegalArgumentException e) {
      throw new NetworkJsonException(where + ": " + e.getMessage(), e);
    }
  }

  private static NetworkJsonException error(String message) {
    return new NetworkJsonException(message, null);
  }

  private static void requireNumber(JsonNode v, String where) {
    if (v == null || !v.isNumber()) {
      throw new NetworkJsonException(where + ": expects a number, got " + v, null);
    }
  }
}
