package dev.fovea.nn.dl4j;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fovea.kernels.Activation;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ActivationLayer;
import dev.fovea.nn.Add;
import dev.fovea.nn.BatchNorm;
import dev.fovea.nn.Concat;
import dev.fovea.nn.Convolution;
import dev.fovea.nn.Dense;
import dev.fovea.nn.Dropout;
import dev.fovea.nn.Flatten;
import dev.fovea.nn.GlobalPooling;
import dev.fovea.nn.Initializer;
import dev.fovea.nn.Layer;
import dev.fovea.nn.Lrn;
import dev.fovea.nn.ModelFile.ModelFileException;
import dev.fovea.nn.Network;
import dev.fovea.nn.Pooling;
import dev.fovea.nn.ZeroPadding;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A DL4J configuration (MultiLayerNetwork or ComputationGraph JSON) and its flat parameter vector
 * translated into Fovea layers, for {@link Dl4jImport}. Both kinds become one list of vertices in
 * the order DL4J lays out their parameters (a MultiLayerNetwork's layer index, a ComputationGraph's
 * topological order); each vertex becomes Fovea layers, taking its parameters from the vector in
 * DL4J's order for that layer: convolution bias then weights {@code (out, in, kH, kW)} in 'c' order;
 * dense weights {@code (in, out)} in 'f' order (which is Fovea's {@code (units, K)} in row-major
 * order) then bias; batch norm gamma, beta, mean, then the variance or log10 of the standard
 * deviation. Errors name the file and the layer.
 */
final class Dl4jTranslation {
  /** One DL4J vertex: a layer (with its input preprocessor) or a graph vertex. */
  record Vertex(String name, JsonNode layer, JsonNode vertex, JsonNode preProcessor, List<String> inputs) {}

  final String file;
  final boolean graph;
  final List<Vertex> vertices = new ArrayList<>();
  String output;
  final float[] flat;
  int offset;

  final Map<String, String> producer = new HashMap<>();
  final Map<String, Shape> shapes = new HashMap<>();
  final Map<String, float[]> values = new LinkedHashMap<>();
  final Set<String> names = new HashSet<>();
  Network.Builder builder;
  /** A flatten of NHWC data (H, W, C) whose dense layer must have its weight rows reordered. */
  Shape nhwcFlattened;

  Dl4jTranslation(JsonNode conf, float[] flat, String file) throws ModelFileException {
    this.file = file;
    this.flat = flat;
    if (conf.has("confs")) {
      graph = false;
      JsonNode confs = conf.get("confs");
      JsonNode pre = conf.get("inputPreProcessors");
      if (!confs.isArray() || confs.isEmpty()) {
        throw bad("the MultiLayerNetwork configuration has no layers");
      }
      String prev = Network.INPUT;
      for (int i = 0; i < confs.size(); i++) {
        JsonNode layer = confs.get(i).get("layer");
        if (layer == null || !layer.isObject()) {
          throw bad("layer " + i + " of the configuration has no 'layer' object");
        }
        String name = text(layer, "layerName", "layer" + i);
        JsonNode p = pre != null && pre.isObject() ? pre.get(Integer.toString(i)) : null;
        vertices.add(new Vertex(name, layer, null, p, List.of(prev)));
        prev = name;
      }
      output = prev;
    } else if (conf.has("vertices")) {
      graph = true;
      JsonNode ins = conf.get("networkInputs");
      JsonNode outs = conf.get("networkOutputs");
      if (ins == null || !ins.isArray() || ins.size() != 1) {
        throw bad("the ComputationGraph has " + (ins == null ? 0 : ins.size())
            + " inputs; Fovea's networks read one image batch");
      }
      if (outs == null || !outs.isArray() || outs.size() != 1) {
        throw bad("the ComputationGraph has " + (outs == null ? 0 : outs.size())
            + " outputs; Fovea imports graphs with one output");
      }
      String input = ins.get(0).asText();
      output = outs.get(0).asText();
      JsonNode vs = conf.get("vertices");
      JsonNode vi = conf.get("vertexInputs");
      if (!vs.isObject() || vi == null || !vi.isObject()) {
        throw bad("the ComputationGraph configuration has no 'vertices' and 'vertexInputs' objects");
      }
      List<String> order = new ArrayList<>();
      JsonNode topo = conf.get("topologicalOrderStr");
      if (topo != null && topo.isArray()) {
        topo.forEach(t -> order.add(t.asText()));
      } else {
        order.addAll(topologicalOrder(input, vs, vi));
      }
      for (String name : order) {
        if (name.equals(input)) {
          continue;
        }
        JsonNode v = vs.get(name);
        if (v == null) {
          throw bad("vertex '" + name + "' of the topological order is not among the vertices");
        }
        List<String> from = new ArrayList<>();
        JsonNode in = vi.get(name);
        if (in == null || !in.isArray() || in.isEmpty()) {
          throw bad("vertex '" + name + "' has no inputs");
        }
        in.forEach(x -> from.add(x.asText().equals(input) ? Network.INPUT : x.asText()));
        boolean layer = simpleClass(v).equals("LayerVertex");
        JsonNode l = layer && v.get("layerConf") != null ? v.get("layerConf").get("layer") : null;
        if (layer && (l == null || !l.isObject())) {
          throw bad("layer vertex '" + name + "' has no layer configuration");
        }
        vertices.add(new Vertex(name, l, v, layer ? v.get("preProcessor") : null, from));
      }
    } else {
      throw bad("configuration.json is neither a MultiLayerNetwork ('confs') nor a ComputationGraph"
          + " ('vertices') configuration");
    }
  }

  private List<String> topologicalOrder(String input, JsonNode vs, JsonNode vi) throws ModelFileException {
    List<String> order = new ArrayList<>();
    Set<String> done = new HashSet<>(List.of(input));
    List<String> pending = new ArrayList<>();
    vs.fieldNames().forEachRemaining(pending::add);
    while (!pending.isEmpty()) {
      boolean progress = false;
      for (Iterator<String> it = pending.iterator(); it.hasNext(); ) {
        String v = it.next();
        JsonNode in = vi.get(v);
        boolean ready = in != null && in.isArray();
        if (ready) {
          for (JsonNode x : in) {
            ready &= done.contains(x.asText());
          }
        }
        if (ready) {
          order.add(v);
          done.add(v);
          it.remove();
          progress = true;
        }
      }
      if (!progress) {
        throw bad("the graph's vertices " + pending + " read vertices that do not exist, or form a cycle");
      }
    }
    return order;
  }

  ModelFileException bad(String why) {
    return new ModelFileException(file + ": " + why);
  }

  ModelFileException unsupported(Vertex v, String why) {
    return new ModelFileException(file + ": layer '" + v.name + "' (" + kind(v) + ") is not supported: " + why);
  }

  static String kind(Vertex v) {
    return v.layer != null ? simpleClass(v.layer) : simpleClass(v.vertex);
  }

  /** The class name after the last dot of a JSON object's {@code @class}, or "" without one. */
  static String simpleClass(JsonNode n) {
    JsonNode c = n == null ? null : n.get("@class");
    if (c == null || !c.isTextual()) {
      return "";
    }
    String s = c.asText();
    return s.substring(s.lastIndexOf('.') + 1);
  }

  static String text(JsonNode n, String field, String def) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? def : v.asText();
  }

  double real(Vertex v, String field, double def) throws ModelFileException {
    JsonNode x = v.layer.get(field);
    if (x == null || x.isNull()) {
      return def;
    }
    if (!x.isNumber()) {
      throw unsupported(v, "'" + field + "' is not a number");
    }
    return x.asDouble();
  }

  int integer(Vertex v, String field) throws ModelFileException {
    JsonNode x = v.layer.get(field);
    return dev.fovea.kernels.Sizes.jsonInt(x, file + ": layer '" + v.name + "' field '" + field + "'",
        ModelFileException::new);
  }

  int[] pair(Vertex v, String field, int def) throws ModelFileException {
    JsonNode x = v.layer.get(field);
    if (x == null || x.isNull()) {
      return new int[] {def, def};
    }
    if (!x.isArray() || x.size() != 2) {
      throw unsupported(v, "'" + field + "' must give 2 values (2D), got " + abbreviate(x.toString()));
    }
    int[] r = new int[2];
    for (int i = 0; i < 2; i++) {
      r[i] = dev.fovea.kernels.Sizes.jsonInt(x.get(i), file + ": layer '" + v.name + "' field '" + field + "'",
          ModelFileException::new);
      if (r[i] < 0 || r[i] > 1 << 16) {
        throw unsupported(v, "'" + field + "' value " + r[i] + " is out of range");
      }
    }
    return r;
  }

  static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }

  String layerName(String base) {
    String b = base.replaceAll("[^A-Za-z0-9_.]+", "_").replaceAll("^[_.]+|[_.]+$", "");
    if (b.isEmpty()) {
      b = "layer";
    }
    String name = b;
    for (int i = 2; names.contains(name); i++) {
      name = b + "_" + i;
    }
    names.add(name);
    return name;
  }

  float[] take(Vertex v, String what, long n) throws ModelFileException {
    if (n < 0 || n > flat.length - (long) offset) {
      throw bad("coefficients.bin holds " + flat.length + " values, too few for the configuration: layer '" + v.name
          + "' needs " + n + " for its " + what + " from offset " + offset);
    }
    float[] r = Arrays.copyOfRange(flat, offset, offset + (int) n);
    offset += (int) n;
    return r;
  }

  /** Adds {@code layer} reading Fovea node {@code x}; its output shape is checked here, naming the DL4J layer. */
  String add(Vertex v, Layer layer, String... xs) throws ModelFileException {
    List<Shape> in = new ArrayList<>();
    for (String x : xs) {
      in.add(shapes.get(x));
    }
    Shape out;
    try {
      out = layer.outputShape(in);
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(file + ": layer '" + v.name + "' (" + kind(v) + ") does not fit: " + e.getMessage());
    }
    builder.add(layer, xs);
    shapes.put(layer.name(), out);
    return layer.name();
  }

  /** The Fovea network for input samples of {@code input}; the parameter values are in {@link #values}. */
  Network translate(Shape input) throws ModelFileException {
    builder = Network.builder(input);
    shapes.put(Network.INPUT, input);
    names.add(Network.INPUT);
    producer.put(Network.INPUT, Network.INPUT);
    for (Vertex v : vertices) {
      List<String> xs = new ArrayList<>();
      for (String in : v.inputs) {
        String p = producer.get(in);
        if (p == null) {
          throw bad("vertex '" + v.name + "' reads '" + in + "', which comes later or does not exist");
        }
        xs.add(p);
      }
      if (v.preProcessor != null && !v.preProcessor.isNull()) {
        xs.set(0, preprocess(v, v.preProcessor, xs.get(0)));
      }
      String out;
      if (v.layer != null) {
        if (v.name.equals(output) != isOutputLayer(v)) {
          throw unsupported(v, isOutputLayer(v) ? "an output layer inside the network"
              : "the network must end in an OutputLayer or LossLayer with softmax");
        }
        out = layer(v, xs.get(0));
      } else {
        out = vertex(v, xs);
      }
      producer.put(v.name, out);
    }
    if (offset != flat.length) {
      throw bad("coefficients.bin holds " + flat.length + " values; the configuration's layers need " + offset);
    }
    String main = producer.get(output);
    if (main == null || main.equals(Network.INPUT)) {
      throw bad("the output '" + output + "' is not a translated layer");
    }
    builder.output(main);
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw bad("the translated network does not build: " + e.getMessage());
    }
  }

  static boolean isOutputLayer(Vertex v) {
    String c = simpleClass(v.layer);
    return c.equals("OutputLayer") || c.equals("LossLayer");
  }

  String preprocess(Vertex v, JsonNode p, String x) throws ModelFileException {
    String c = simpleClass(p);
    Shape s = shapes.get(x);
    switch (c) {
      case "CnnToFeedForwardPreProcessor" -> {
        if (s.rank() == 1) {
          return x; // a global pool already gave (C)
        }
        if (s.rank() != 3) {
          throw unsupported(v, "a CNN-to-dense preprocessor on a per-sample input " + s);
        }
        int h = dev.fovea.kernels.Sizes.jsonInt(p.get("inputHeight"), file + ": '" + v.name + "' preprocessor inputHeight",
            ModelFileException::new);
        int w = dev.fovea.kernels.Sizes.jsonInt(p.get("inputWidth"), file + ": '" + v.name + "' preprocessor inputWidth",
            ModelFileException::new);
        int ch = dev.fovea.kernels.Sizes.jsonInt(p.get("numChannels"), file + ": '" + v.name
            + "' preprocessor numChannels", ModelFileException::new);
        if (s.dim(0) != ch || s.dim(1) != h || s.dim(2) != w) {
          throw new ModelFileException(file + ": layer '" + v.name + "' (" + c + ") does not fit: it flattens ("
              + ch + ", " + h + ", " + w + "), the layers before give " + s);
        }
        if (text(p, "format", "NCHW").equals("NHWC")) {
          nhwcFlattened = s;
        }
        String name = layerName(v.name + "_flatten");
        return add(v, new Flatten(name), x);
      }
      case "FeedForwardToCnnPreProcessor" -> {
        if (!x.equals(Network.INPUT) || s.rank() != 3) {
          throw unsupported(v, "a dense-to-CNN reshape inside the network");
        }
        if (text(p, "format", "NCHW").equals("NHWC")) {
          throw unsupported(v, "a flat NHWC input (H, W, C order); Fovea reads flat inputs in (C, H, W) order");
        }
        return x; // the flat input is read as the (C, H, W) image it describes
      }
      default -> throw unsupported(v, "input preprocessor " + c);
    }
  }

  String vertex(Vertex v, List<String> xs) throws ModelFileException {
    String c = simpleClass(v.vertex);
    String name = layerName(v.name);
    String[] in = xs.toArray(new String[0]);
    switch (c) {
      case "MergeVertex" -> {
        JsonNode axis = v.vertex.get("mergeAxis");
        if (axis != null && !axis.isNull() && axis.asInt() != 1) {
          throw unsupported(v, "merging along axis " + axis.asInt() + "; Fovea concatenates channels (axis 1)");
        }
        return in.length == 1 ? in[0] : add(v, new Concat(name), in);
      }
      case "ElementWiseVertex" -> {
        String op = text(v.vertex, "op", "");
        double[] w = new double[in.length];
        switch (op) {
          case "Add" -> Arrays.fill(w, 1);
          case "Average" -> Arrays.fill(w, 1.0 / in.length);
          case "Subtract" -> {
            if (in.length != 2) {
              throw unsupported(v, "Subtract of " + in.length + " inputs");
            }
            w = new double[] {1, -1};
          }
          default -> throw unsupported(v, "element-wise '" + op + "'; Fovea has Add, Average and Subtract");
        }
        if (in.length == 1) {
          return in[0];
        }
        return add(v, op.equals("Add") ? Add.of(name) : new Add(name, w), in);
      }
      case "PreprocessorVertex" -> {
        return preprocess(v, v.vertex.get("preProcessor"), in[0]);
      }
      default -> throw new ModelFileException(file + ": vertex '" + v.name + "' (" + c
          + ") is not supported: Fovea has no layer for it");
    }
  }

  /** Fovea layers for DL4J layer {@code v} reading {@code x}; returns the node that gives its output. */
  String layer(Vertex v, String x) throws ModelFileException {
    String c = simpleClass(v.layer);
    Shape s = shapes.get(x);
    JsonNode drop = v.layer.get("idropout");
    if (drop != null && !drop.isNull() && !c.equals("DropoutLayer")) {
      x = dropout(v, drop, x, layerName(v.name + "_dropout"));
    }
    switch (c) {
      case "ConvolutionLayer", "Convolution2D" -> {
        dataFormat(v, "cnn2dDataFormat");
        int[] k = pair(v, "kernelSize", 1);
        int[] st = pair(v, "stride", 1);
        int[] pad = pair(v, "padding", 0);
        int[] dil = pair(v, "dilation", 1);
        String mode = text(v.layer, "convolutionMode", "Truncate");
        boolean same = mode.equals("Same");
        if (!same && !mode.equals("Truncate") && !mode.equals("Strict")) {
          throw unsupported(v, "convolution mode " + mode + "; Fovea has Truncate, Strict and Same");
        }
        int nIn = integer(v, "nin");
        int nOut = integer(v, "nout");
        if (nIn < 1 || nOut < 1) {
          throw unsupported(v, "nIn " + nIn + " and nOut " + nOut + " must be at least 1");
        }
        boolean bias = !v.layer.has("hasBias") || v.layer.get("hasBias").asBoolean(true);
        String name = layerName(v.name);
        Convolution conv;
        try {
          conv = new Convolution(name, nOut, k, st, same ? new int[2] : pad, same, dil, 1, bias, nIn,
              Initializer.HE_NORMAL);
        } catch (IllegalArgumentException e) {
          throw unsupported(v, e.getMessage());
        }
        if (bias) {
          values.put(name + ".bias", take(v, "bias", nOut));
        }
        values.put(name + ".weights", take(v, "weights", dev.fovea.kernels.Sizes.multiply(file, "weights of " + v.name,
            ModelFileException::new, nOut, nIn, k[0], k[1])));
        return activation(v, add(v, conv, x));
      }
      case "SubsamplingLayer" -> {
        dataFormat(v, "cnn2dDataFormat");
        String type = text(v.layer, "poolingType", "MAX");
        if (!type.equals("MAX") && !type.equals("AVG")) {
          throw unsupported(v, "pooling type " + type + "; Fovea has MAX and AVG");
        }
        int[] k = pair(v, "kernelSize", 1);
        int[] st = pair(v, "stride", 1);
        int[] pad = pair(v, "padding", 0);
        int[] dil = pair(v, "dilation", 1);
        if (dil[0] != 1 || dil[1] != 1) {
          throw unsupported(v, "dilated pooling");
        }
        String mode = text(v.layer, "convolutionMode", "Truncate");
        boolean same = mode.equals("Same");
        if (!same && !mode.equals("Truncate") && !mode.equals("Strict")) {
          throw unsupported(v, "convolution mode " + mode + "; Fovea has Truncate, Strict and Same");
        }
        boolean padded = same || pad[0] != 0 || pad[1] != 0;
        JsonNode inc = v.layer.get("avgPoolIncludePadInDivisor");
        if (type.equals("AVG") && padded && inc != null && inc.asBoolean(false)) {
          throw unsupported(v, "average pooling that counts padded cells (avgPoolIncludePadInDivisor); Fovea's never"
              + " does");
        }
        Pooling p = new Pooling(layerName(v.name), type.equals("MAX") ? PoolParams.Kind.MAX : PoolParams.Kind.AVG,
            k, st, same ? new int[2] : pad, same);
        return add(v, p, x);
      }
      case "BatchNormalization" -> {
        dataFormat(v, "cnn2DFormat");
        int ch = s.rank() >= 1 ? s.dim(0) : 0;
        JsonNode nOutField = v.layer.get("nout");
        if (nOutField != null && nOutField.asInt() > 0 && nOutField.asInt() != ch) {
          throw new ModelFileException(file + ": layer '" + v.name + "' (" + c + ") does not fit: it normalises "
              + nOutField.asInt() + " channels, the input " + s + " has " + ch);
        }
        boolean lock = v.layer.has("lockGammaBeta") && v.layer.get("lockGammaBeta").asBoolean(false);
        if (lock && (real(v, "gamma", 1) != 1 || real(v, "beta", 0) != 0)) {
          throw unsupported(v, "locked gamma " + real(v, "gamma", 1) + " and beta " + real(v, "beta", 0)
              + "; Fovea's batch norm without scale and shift has gamma 1 and beta 0");
        }
        double eps = real(v, "eps", 1e-5);
        double decay = real(v, "decay", 0.9);
        BatchNorm bn;
        try {
          bn = new BatchNorm(layerName(v.name), eps,
              BigDecimal.ONE.subtract(new BigDecimal(Double.toString(decay))).doubleValue(), !lock, !lock);
        } catch (IllegalArgumentException e) {
          throw unsupported(v, e.getMessage());
        }
        if (!lock) {
          values.put(bn.name() + ".gamma", take(v, "gamma", ch));
          values.put(bn.name() + ".beta", take(v, "beta", ch));
        }
        values.put(bn.name() + ".mean", take(v, "mean", ch));
        float[] var = take(v, "variance", ch);
        if (v.layer.has("useLogStd") && v.layer.get("useLogStd").asBoolean(false)) {
          // DL4J keeps log10 of the standard deviation and normalises with sqrt(std² + eps) (checked against
          // DL4J's output(): subtracting eps here is off by eps / 2 relatively)
          for (int i = 0; i < var.length; i++) {
            var[i] = (float) Math.pow(10, 2.0 * var[i]);
          }
        }
        values.put(bn.name() + ".variance", var);
        return add(v, bn, x);
      }
      case "DenseLayer", "OutputLayer" -> {
        if (v.layer.has("hasLayerNorm") && v.layer.get("hasLayerNorm").asBoolean(false)) {
          throw unsupported(v, "layer normalisation");
        }
        int nIn = integer(v, "nin");
        int nOut = integer(v, "nout");
        if (s.rank() != 1 || s.dim(0) != nIn) {
          throw new ModelFileException(file + ": layer '" + v.name + "' (" + c + ") does not fit: it takes " + nIn
              + " inputs, the layers before give " + s + (s.rank() == 1 ? "" : " (no flattening preprocessor)"));
        }
        if (nOut < 1) {
          throw unsupported(v, "nOut " + nOut);
        }
        boolean bias = !v.layer.has("hasBias") || v.layer.get("hasBias").asBoolean(true);
        String name = layerName(v.name);
        float[] w = take(v, "weights", dev.fovea.kernels.Sizes.multiply(file, "weights of " + v.name,
            ModelFileException::new, nIn, nOut));
        if (nhwcFlattened != null) {
          w = fromNhwc(w, nOut, nhwcFlattened);
          nhwcFlattened = null;
        }
        values.put(name + ".weights", w);
        values.put(name + ".bias", bias ? take(v, "bias", nOut) : new float[nOut]);
        String d = add(v, new Dense(name, nOut, Initializer.GLOROT_UNIFORM), x);
        if (c.equals("OutputLayer")) {
          softmaxOutput(v);
          return d;
        }
        return activation(v, d);
      }
      case "LossLayer" -> {
        softmaxOutput(v);
        return x;
      }
      case "ActivationLayer" -> {
        return activation(v, x, layerName(v.name));
      }
      case "DropoutLayer" -> {
        return drop == null || drop.isNull() ? x : dropout(v, drop, x, layerName(v.name));
      }
      case "GlobalPoolingLayer" -> {
        String type = text(v.layer, "poolingType", "MAX");
        if (!type.equals("MAX") && !type.equals("AVG")) {
          throw unsupported(v, "pooling type " + type + "; Fovea has MAX and AVG");
        }
        JsonNode dims = v.layer.get("poolingDimensions");
        if (dims != null && dims.isArray() && !(dims.size() == 2 && (dims.get(0).asInt() == 2
            && dims.get(1).asInt() == 3 || dims.get(0).asInt() == 1 && dims.get(1).asInt() == 2))) {
          throw unsupported(v, "pooling over dimensions " + dims + "; Fovea pools over H and W ((2, 3) in NCHW,"
              + " (1, 2) in NHWC)");
        }
        return add(v, new GlobalPooling(layerName(v.name), type.equals("MAX") ? PoolParams.Kind.MAX
            : PoolParams.Kind.AVG), x);
      }
      case "LocalResponseNormalization" -> {
        dataFormat(v, "dataFormat");
        double n = real(v, "n", 5);
        int half = (int) Math.floor(n / 2);
        int size = 2 * half + 1;
        // DL4J divides by (k + alpha · Σ x²) over channels c - ⌊n/2⌋ … c + ⌊n/2⌋; Fovea (PyTorch) by
        // (k + alpha / size · Σ x²) over a window of size channels
        return add(v, new Lrn(layerName(v.name), size, real(v, "alpha", 1e-4) * size, real(v, "beta", 0.75),
            real(v, "k", 2)), x);
      }
      case "ZeroPaddingLayer" -> {
        dataFormat(v, "dataFormat");
        JsonNode p = v.layer.get("padding");
        if (p == null || !p.isArray() || p.size() != 4) {
          throw unsupported(v, "padding must give (top, bottom, left, right)");
        }
        int[] q = new int[4];
        for (int i = 0; i < 4; i++) {
          q[i] = p.get(i).asInt();
          if (q[i] < 0 || q[i] > 1 << 16) {
            throw unsupported(v, "padding " + p);
          }
        }
        return add(v, new ZeroPadding(layerName(v.name), new int[] {q[0], q[2]}, new int[] {q[1], q[3]}), x);
      }
      default -> throw unsupported(v, "Fovea has no layer for it");
    }
  }

  /**
   * Checks the layer's data format. NHWC layers keep DL4J's weight layouts (a convolution's weights
   * are (out, in, kH, kW) in both), so they are read as NCHW layers: the Fovea network takes the
   * same images as (C, H, W), and only a flatten of NHWC activations, which orders a dense layer's
   * inputs (H, W, C), needs its weights reordered (the CNN-to-dense preprocessor says so).
   */
  void dataFormat(Vertex v, String field) throws ModelFileException {
    String f = text(v.layer, field, "NCHW");
    if (!f.equals("NCHW") && !f.equals("NHWC")) {
      throw unsupported(v, "data format " + f + "; Fovea reads NCHW and NHWC layers");
    }
  }

  void softmaxOutput(Vertex v) throws ModelFileException {
    String act = simpleClass(v.layer.get("activationFn"));
    if (!act.equals("ActivationSoftmax")) {
      throw unsupported(v, "output activation " + act + "; Fovea's networks are classifiers whose outputs go"
          + " through softmax");
    }
    String loss = simpleClass(v.layer.get("lossFn"));
    if (!loss.isEmpty() && !loss.equals("LossMCXENT") && !loss.equals("LossNegativeLogLikelihood")) {
      throw unsupported(v, "loss " + loss + "; Fovea trains classifiers with cross-entropy (MCXENT or"
          + " NEGATIVELOGLIKELIHOOD)");
    }
  }

  String dropout(Vertex v, JsonNode drop, String x, String name) throws ModelFileException {
    String c = simpleClass(drop);
    if (!c.equals("Dropout") && !c.equals("SpatialDropout")) {
      return x; // Gaussian or alpha dropout: the identity at inference, not trained by Fovea
    }
    JsonNode p = drop.get("p");
    double retain = p == null || !p.isNumber() ? 0.5 : p.asDouble();
    if (!(retain > 0 && retain <= 1)) {
      throw unsupported(v, "dropout retain probability " + retain);
    }
    if (retain == 1) {
      return x;
    }
    return add(v, new Dropout(name, 1 - retain, c.equals("SpatialDropout")), x);
  }

  String activation(Vertex v, String x) throws ModelFileException {
    return activation(v, x, null);
  }

  String activation(Vertex v, String x, String name) throws ModelFileException {
    JsonNode fn = v.layer.get("activationFn");
    Activation f = Dl4jActivations.toFovea(fn);
    if (f == null) {
      throw unsupported(v, "activation " + simpleClass(fn) + " has no Fovea equivalent");
    }
    if (f.kind() == Activation.Kind.IDENTITY) {
      return x;
    }
    return add(v, new ActivationLayer(name != null ? name : layerName(v.name + "_"
        + f.kind().name().toLowerCase(java.util.Locale.ROOT)), f), x);
  }

  /** Dense weights whose K axis is (H, W, C) order, reordered to Fovea's (C, H, W) flatten. */
  static float[] fromNhwc(float[] w, int units, Shape chw) {
    int c = chw.dim(0);
    int h = chw.dim(1);
    int wd = chw.dim(2);
    int k = c * h * wd;
    float[] r = new float[w.length];
    for (int u = 0; u < units; u++) {
      for (int ci = 0; ci < c; ci++) {
        for (int y = 0; y < h; y++) {
          for (int xx = 0; xx < wd; xx++) {
            r[u * k + (ci * h + y) * wd + xx] = w[u * k + (y * wd + xx) * c + ci];
          }
        }
      }
    }
    return r;
  }

  // ---- the input size, when the file does not state it ----

  /**
   * The input (C, H, W) or (K) the configuration implies: the dense-to-CNN preprocessor of the first
   * layer, or else the channels of the first layer and the smallest height and width that give every
   * CNN-to-dense preprocessor the size it records. Null when nothing records a spatial size (a
   * network ending in global pooling).
   */
  Shape inferInput() throws ModelFileException {
    Vertex first = null;
    for (Vertex v : vertices) {
      if (v.inputs.contains(Network.INPUT)) {
        first = v;
        break;
      }
    }
    if (first == null) {
      throw bad("no layer reads the network's input");
    }
    if (first.preProcessor != null && simpleClass(first.preProcessor).equals("FeedForwardToCnnPreProcessor")) {
      JsonNode p = first.preProcessor;
      return Shape.of(p.path("numChannels").asInt(), p.path("inputHeight").asInt(), p.path("inputWidth").asInt());
    }
    int channels = 0;
    for (Vertex v : vertices) {
      if (v.layer == null) {
        continue;
      }
      String c = simpleClass(v.layer);
      if (c.equals("DenseLayer") || c.equals("OutputLayer")) {
        if (v == first) {
          return Shape.of(integer(v, "nin"));
        }
        break;
      }
      if ((c.equals("ConvolutionLayer") || c.equals("Convolution2D") || c.equals("BatchNormalization"))
          && v.layer.path("nin").asInt() > 0) {
        channels = v.layer.path("nin").asInt();
        break;
      }
    }
    if (channels < 1) {
      throw bad("cannot tell the input's channels: no convolution or dense layer states its nIn");
    }
    int h = smallestFitting(0);
    int w = smallestFitting(1);
    if (h == 0 && w == 0) {
      return null;
    }
    if (h < 0 || w < 0) {
      throw bad("no input size gives the sizes the configuration's flatten preprocessors record");
    }
    return Shape.of(channels, h, w);
  }

  static final int MAX_SIDE = 16384;

  /** The smallest input size along {@code axis} (0 = H, 1 = W) that fits; 0 without constraints, -1 when none fits. */
  int smallestFitting(int axis) throws ModelFileException {
    for (int in = 1; in <= MAX_SIDE; in++) {
      int r = fits(axis, in);
      if (r == 1) {
        return in;
      }
      if (r == 2) {
        return 0;
      }
    }
    return -1;
  }

  /** 1: input size {@code in} fits every recorded size; 0: it does not; 2: nothing is recorded. */
  int fits(int axis, int in) throws ModelFileException {
    Map<String, Integer> size = new HashMap<>();
    size.put(Network.INPUT, in);
    boolean any = false;
    for (Vertex v : vertices) {
      int x = size.getOrDefault(v.inputs.get(0), -1);
      JsonNode pre = v.preProcessor != null && !v.preProcessor.isNull() ? v.preProcessor
          : v.vertex != null && simpleClass(v.vertex).equals("PreprocessorVertex") ? v.vertex.get("preProcessor") : null;
      if (pre != null && simpleClass(pre).equals("CnnToFeedForwardPreProcessor") && x > 0) {
        any = true;
        if (x != pre.path(axis == 0 ? "inputHeight" : "inputWidth").asInt()) {
          return 0;
        }
        x = -1;
      }
      if (v.layer != null && x > 0) {
        String c = simpleClass(v.layer);
        if (c.equals("ConvolutionLayer") || c.equals("Convolution2D") || c.equals("SubsamplingLayer")) {
          int k = pair(v, "kernelSize", 1)[axis];
          int s = Math.max(1, pair(v, "stride", 1)[axis]);
          int p = pair(v, "padding", 0)[axis];
          int d = Math.max(1, pair(v, "dilation", 1)[axis]);
          if (text(v.layer, "convolutionMode", "Truncate").equals("Same")) {
            x = (x + s - 1) / s;
          } else {
            long span = (long) x + 2L * p - ((long) d * (k - 1) + 1);
            x = span < 0 ? 0 : (int) (span / s + 1);
          }
          if (x < 1) {
            return 0; // too small an input for this layer
          }
        } else if (c.equals("ZeroPaddingLayer")) {
          JsonNode q = v.layer.get("padding");
          if (q != null && q.isArray() && q.size() == 4) {
            x += q.get(2 * axis).asInt() + q.get(2 * axis + 1).asInt();
          }
        } else if (c.equals("GlobalPoolingLayer") || c.equals("DenseLayer") || c.equals("OutputLayer")) {
          x = -1;
        }
      }
      size.put(v.name, x);
    }
    return any ? 1 : 2;
  }
}
