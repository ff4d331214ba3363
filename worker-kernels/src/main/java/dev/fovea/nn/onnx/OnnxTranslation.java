package dev.fovea.nn.onnx;

import static dev.fovea.nn.onnx.OnnxImport.count;
import static dev.fovea.nn.onnx.OnnxImport.floats;
import static dev.fovea.nn.onnx.OnnxImport.longs;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ActivationLayer;
import dev.fovea.nn.Add;
import dev.fovea.nn.BatchNorm;
import dev.fovea.nn.Concat;
import dev.fovea.nn.Convolution;
import dev.fovea.nn.Deconvolution;
import dev.fovea.nn.Dense;
import dev.fovea.nn.Flatten;
import dev.fovea.nn.GlobalPooling;
import dev.fovea.nn.Initializer;
import dev.fovea.nn.Layer;
import dev.fovea.nn.Lrn;
import dev.fovea.nn.ModelFile.ModelFileException;
import dev.fovea.nn.Network;
import dev.fovea.nn.Pooling;
import dev.fovea.nn.Prelu;
import dev.fovea.nn.Upsampling;
import dev.fovea.nn.ZeroPadding;
import dev.fovea.nn.onnx.proto.Onnx.AttributeProto;
import dev.fovea.nn.onnx.proto.Onnx.GraphProto;
import dev.fovea.nn.onnx.proto.Onnx.NodeProto;
import dev.fovea.nn.onnx.proto.Onnx.TensorProto;
import dev.fovea.nn.onnx.proto.Onnx.TensorShapeProto;
import dev.fovea.nn.onnx.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The node-by-node translation of an ONNX graph into Fovea layers, for {@link OnnxImport}: each
 * node becomes a layer (or is folded into one, or is an alias of its input), and the weights it
 * reads become the layer's parameter values. Errors name the file, the node and its op type.
 */
final class OnnxTranslation {
  final GraphProto g;
  final Map<String, TensorProto> consts;
  final String file;
  final Network.Builder builder;
  final Shape inputShape;
  /** ONNX value → the Fovea node that produces it ({@link Network#INPUT} for the input). */
  final Map<String, String> producer = new HashMap<>();
  /** Fovea node → its per-sample output shape. */
  final Map<String, Shape> shapes = new HashMap<>();
  /** ONNX values that hold (N, C, 1, 1) where Fovea has flattened to (N, C). */
  final Set<String> pooled = new HashSet<>();
  final Set<String> names = new HashSet<>();
  final Map<String, float[]> values = new LinkedHashMap<>();
  final Map<String, List<NodeProto>> consumers = new HashMap<>();
  final Set<String> graphOutputs = new HashSet<>();
  final Set<NodeProto> done = new HashSet<>();
  /** Outputs of a Mul by a scalar that feeds only sums: the value scaled, and the scale (a weighted add). */
  final Map<String, Object[]> scaled = new HashMap<>();

  OnnxTranslation(GraphProto g, Map<String, TensorProto> inits, String file) throws ModelFileException {
    this.g = g;
    this.consts = new HashMap<>(inits);
    this.file = file;
    ValueInfoProto input = null;
    for (ValueInfoProto v : g.getInputList()) {
      if (!inits.containsKey(v.getName())) {
        if (input != null) {
          throw new ModelFileException(file + ": the graph has more than one input ('" + input.getName() + "', '"
              + v.getName() + "'); Fovea's networks read one image batch");
        }
        input = v;
      }
    }
    if (input == null) {
      throw new ModelFileException(file + ": the graph has no input");
    }
    List<TensorShapeProto.Dimension> dims = input.getType().getTensorType().getShape().getDimList();
    if (dims.size() < 3 || dims.size() > 5) {
      throw new ModelFileException(file + ": input '" + input.getName() + "' has rank " + dims.size()
          + "; Fovea reads (N, C, spatial...) images");
    }
    int[] sample = new int[dims.size() - 1];
    for (int i = 1; i < dims.size(); i++) {
      if (!dims.get(i).hasDimValue() || dims.get(i).getDimValue() < 1) {
        throw new ModelFileException(file + ": input '" + input.getName() + "' axis " + i + " is '"
            + dims.get(i).getDimParam() + "'; Fovea needs a fixed sample shape (only the batch axis may vary)");
      }
      sample[i - 1] = (int) dims.get(i).getDimValue();
    }
    inputShape = Shape.of(sample);
    builder = Network.builder(inputShape);
    producer.put(input.getName(), Network.INPUT);
    shapes.put(Network.INPUT, inputShape);
    names.add(Network.INPUT);
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }
    g.getOutputList().forEach(o -> graphOutputs.add(o.getName()));
  }

  Network network() throws ModelFileException {
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(file + ": the translated network does not build: " + e.getMessage());
    }
  }

  ModelFileException unsupported(NodeProto n, String why) {
    return new ModelFileException(file + ": node '" + n.getName() + "' (" + n.getOpType() + ") is not supported: "
        + why);
  }

  /**
   * PyTorch names a node {@code /<scope>/.../<OpType>[_k]} with the modules it sits in, e.g.
   * {@code /layer1/layer1.0/conv1/Conv}: that is module {@code layer1.0.conv1}, the name PyTorch
   * gives its parameters, and the layer's name here. Null for other names.
   */
  static String pytorchModule(NodeProto n) {
    String name = n.getName();
    if (!name.startsWith("/") || !name.matches("/.+/" + java.util.regex.Pattern.quote(n.getOpType()) + "(_\\d+)?")) {
      return null;
    }
    String[] segs = name.substring(1, name.lastIndexOf('/')).split("/");
    String q = "";
    for (String seg : segs) {
      q = q.isEmpty() || seg.startsWith(q + ".") ? seg : q + "." + seg;
    }
    return q.matches("[A-Za-z0-9_.]+") ? q : null;
  }

  String layerName(NodeProto n) {
    String module = pytorchModule(n);
    String base = module != null && !names.contains(module) ? module
        : n.getName().replaceAll("[^A-Za-z0-9_.]+", "_").replaceAll("^[_.]+|[_.]+$", "");
    if (base.isEmpty()) {
      base = n.getOpType().toLowerCase(Locale.ROOT);
    }
    String name = base;
    for (int i = 2; names.contains(name); i++) {
      name = base + "_" + i;
    }
    names.add(name);
    return name;
  }

  String in(NodeProto n, int i) throws ModelFileException {
    String v = n.getInput(i);
    String p = producer.get(v);
    if (p == null) {
      throw new ModelFileException(file + ": node '" + n.getName() + "' (" + n.getOpType() + ") reads '" + v
          + "', which is neither the input nor the output of a translated node");
    }
    return p;
  }

  Shape shapeOf(NodeProto n, int i) throws ModelFileException {
    return shapes.get(in(n, i));
  }

  TensorProto constant(NodeProto n, int i) throws ModelFileException {
    if (n.getInputCount() <= i || n.getInput(i).isEmpty()) {
      return null;
    }
    TensorProto t = consts.get(n.getInput(i));
    if (t == null) {
      throw unsupported(n, "input " + (i + 1) + " '" + n.getInput(i) + "' must be an initializer or a Constant");
    }
    return t;
  }

  void add(NodeProto n, Layer layer, String... inputs) throws ModelFileException {
    List<Shape> in = new ArrayList<>();
    for (String s : inputs) {
      in.add(shapes.get(s));
    }
    Shape out;
    try {
      out = layer.outputShape(in);
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(file + ": node '" + n.getName() + "' (" + n.getOpType() + ") does not fit: "
          + e.getMessage());
    }
    builder.add(layer, inputs);
    shapes.put(layer.name(), out);
    producer.put(n.getOutput(0), layer.name());
  }

  void alias(NodeProto n) throws ModelFileException {
    producer.put(n.getOutput(0), in(n, 0));
  }

  static AttributeProto attr(NodeProto n, String name) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a;
      }
    }
    return null;
  }

  static long i(NodeProto n, String name, long def) {
    AttributeProto a = attr(n, name);
    return a == null ? def : a.getI();
  }

  /**
   * A float attribute as the shortest decimal that rounds to it: ONNX stores attributes in 32
   * bits, and 1e-5 comes back as 1e-5, not 9.99999974e-6.
   */
  static double f(NodeProto n, String name, double def) {
    AttributeProto a = attr(n, name);
    return a == null ? def : Double.parseDouble(Float.toString(a.getF()));
  }

  static String s(NodeProto n, String name, String def) {
    AttributeProto a = attr(n, name);
    return a == null ? def : a.getS().toStringUtf8();
  }

  static int[] ints(NodeProto n, String name, int[] def) {
    AttributeProto a = attr(n, name);
    return a == null ? def : a.getIntsList().stream().mapToInt(Long::intValue).toArray();
  }

  static int[] filled(int r, int v) {
    int[] a = new int[r];
    Arrays.fill(a, v);
    return a;
  }

  void param(String name, float[] v) {
    values.put(name, v);
  }

  void run() throws ModelFileException {
    for (NodeProto n : g.getNodeList()) {
      if (!done.contains(n)) {
        node(n);
      }
    }
    String out = g.getOutput(0).getName();
    String main = producer.get(out);
    if (main == null || Network.INPUT.equals(main)) {
      throw new ModelFileException(file + ": graph output '" + out + "' is not produced by a translated layer");
    }
    builder.output(main);
    for (int k = 1; k < g.getOutputCount(); k++) {
      String aux = producer.get(g.getOutput(k).getName());
      if (aux != null && shapes.get(aux).rank() == 1) {
        builder.auxOutput(aux, 0.3);
      }
    }
  }

  void node(NodeProto n) throws ModelFileException {
    String op = n.getOpType();
    if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
      throw unsupported(n, "operator domain '" + n.getDomain() + "' is not the standard ONNX one");
    }
    switch (op) {
      case "Constant" -> {
        AttributeProto a = attr(n, "value");
        if (a == null || !a.hasT()) {
          throw unsupported(n, "only a Constant with a tensor 'value' is read");
        }
        consts.put(n.getOutput(0), a.getT().toBuilder().setName(n.getOutput(0)).build());
      }
      case "Conv" -> conv(n);
      case "ConvTranspose" -> deconv(n);
      case "Gemm" -> gemm(n);
      case "MatMul" -> matmul(n);
      case "MaxPool", "AveragePool" -> pool(n);
      case "GlobalAveragePool", "GlobalMaxPool" -> {
        String x = in(n, 0);
        if (shapes.get(x).rank() < 2) {
          throw unsupported(n, "expects a (N, C, spatial...) input, got per-sample " + shapes.get(x));
        }
        add(n, new GlobalPooling(layerName(n), op.equals("GlobalMaxPool") ? PoolParams.Kind.MAX
            : PoolParams.Kind.AVG), x);
        pooled.add(n.getOutput(0));
      }
      case "BatchNormalization" -> batchNorm(n);
      case "Relu" -> activation(n, Activation.RELU);
      case "LeakyRelu" -> activation(n, Activation.leakyRelu(f(n, "alpha", 0.01)));
      case "Elu" -> activation(n, new Activation(Activation.Kind.ELU, f(n, "alpha", 1), 0));
      case "Selu" -> {
        if (Math.abs(f(n, "alpha", 1.67326319217681884765625) - 1.6732632423543772) > 1e-6
            || Math.abs(f(n, "gamma", 1.05070102214813232421875) - 1.0507009873554805) > 1e-6) {
          throw unsupported(n, "only SELU's standard alpha and gamma are supported");
        }
        activation(n, Activation.of(Activation.Kind.SELU));
      }
      case "Sigmoid" -> activation(n, Activation.of(Activation.Kind.SIGMOID));
      case "Tanh" -> activation(n, Activation.of(Activation.Kind.TANH));
      case "Atan" -> activation(n, Activation.of(Activation.Kind.ATAN));
      case "Softplus" -> activation(n, Activation.of(Activation.Kind.SOFTPLUS));
      case "Softsign" -> activation(n, Activation.of(Activation.Kind.SOFTSIGN));
      case "HardSwish" -> activation(n, Activation.of(Activation.Kind.HARD_SWISH));
      case "Mish" -> activation(n, Activation.of(Activation.Kind.MISH));
      case "Gelu" -> activation(n, Activation.of(s(n, "approximate", "none").equals("tanh")
          ? Activation.Kind.GELU_TANH : Activation.Kind.GELU_ERF));
      case "HardSigmoid" -> {
        if (Math.abs(f(n, "alpha", 0.2) - 1.0 / 6) > 1e-6 || Math.abs(f(n, "beta", 0.5) - 0.5) > 1e-6) {
          throw unsupported(n, "only alpha 1/6, beta 1/2 (PyTorch's and Keras 3's hard sigmoid) are supported");
        }
        activation(n, Activation.of(Activation.Kind.HARD_SIGMOID));
      }
      case "Clip" -> clip(n);
      case "PRelu" -> {
        float[] slope = floats(constant(n, 1), file);
        Shape x = shapeOf(n, 0);
        boolean perChannel = slope.length != 1;
        if (perChannel && slope.length != x.dim(0)) {
          throw unsupported(n, "slope of " + slope.length + " values for " + x.dim(0) + " channels");
        }
        Prelu p = new Prelu(layerName(n), perChannel);
        param(p.name() + ".slope", slope);
        add(n, p, in(n, 0));
      }
      case "Dropout", "Identity" -> alias(n);
      case "Softmax", "LogSoftmax" -> {
        if (!graphOutputs.contains(n.getOutput(0))) {
          throw unsupported(n, "a softmax inside the network; Fovea's networks apply softmax only to their output");
        }
        alias(n);
      }
      case "Add", "Sum" -> sum(n);
      case "Mul" -> scale(n);
      case "Concat" -> {
        if (i(n, "axis", 1) != 1) {
          throw unsupported(n, "concatenation along axis " + i(n, "axis", 1) + "; Fovea concatenates channels (1)");
        }
        String[] xs = new String[n.getInputCount()];
        for (int k = 0; k < xs.length; k++) {
          xs[k] = in(n, k);
        }
        add(n, new Concat(layerName(n)), xs);
      }
      case "Flatten" -> {
        if (i(n, "axis", 1) != 1) {
          throw unsupported(n, "flattening from axis " + i(n, "axis", 1) + "; Fovea flattens from axis 1");
        }
        flatten(n);
      }
      case "Reshape" -> {
        long[] to = longs(constant(n, 1), file);
        Shape x = shapeOf(n, 0);
        if (to.length != 2 || !(to[1] == -1 || to[1] == x.size())) {
          throw unsupported(n, "only a reshape to (N, -1) (a classifier head's flatten) is supported, got "
              + Arrays.toString(to));
        }
        flatten(n);
      }
      case "Squeeze" -> {
        if (!pooled.contains(n.getInput(0))) {
          throw unsupported(n, "only squeezing a global pool's 1x1 axes is supported");
        }
        alias(n);
      }
      case "LRN" -> {
        int size = (int) i(n, "size", 0);
        if (size % 2 == 0) {
          throw unsupported(n, "an even LRN window (" + size + ") is centred differently in Fovea");
        }
        add(n, new Lrn(layerName(n), size, f(n, "alpha", 1e-4), f(n, "beta", 0.75), f(n, "bias", 1)), in(n, 0));
      }
      case "Resize", "Upsample" -> resize(n);
      case "Pad" -> pad(n);
      default -> throw unsupported(n, "Fovea has no layer for this operator");
    }
  }

  void flatten(NodeProto n) throws ModelFileException {
    Shape x = shapeOf(n, 0);
    if (x.rank() == 1) {
      alias(n);
    } else {
      add(n, new Flatten(layerName(n)), in(n, 0));
    }
  }

  void activation(NodeProto n, Activation f) throws ModelFileException {
    add(n, new ActivationLayer(layerName(n), f), in(n, 0));
    if (pooled.contains(n.getInput(0))) {
      pooled.add(n.getOutput(0));
    }
  }

  void clip(NodeProto n) throws ModelFileException {
    double lo = f(n, "min", Double.NEGATIVE_INFINITY);
    double hi = f(n, "max", Double.POSITIVE_INFINITY);
    TensorProto a = constant(n, 1);
    TensorProto b = constant(n, 2);
    if (a != null) {
      lo = floats(a, file)[0];
    }
    if (b != null) {
      hi = floats(b, file)[0];
    }
    if (lo == 0 && hi == 6) {
      activation(n, Activation.of(Activation.Kind.RELU6));
    } else if (lo == -1 && hi == 1) {
      activation(n, Activation.of(Activation.Kind.HARD_TANH));
    } else if (lo == 0 && hi == Double.POSITIVE_INFINITY) {
      activation(n, Activation.RELU);
    } else {
      throw unsupported(n, "clipping to [" + lo + ", " + hi + "]; Fovea has ReLU6 [0, 6] and hard tanh [-1, 1]");
    }
  }

  void conv(NodeProto n) throws ModelFileException {
    Shape x = shapeOf(n, 0);
    TensorProto w = constant(n, 1);
    float[] weights = floats(w, file);
    int r = w.getDimsCount() - 2;
    if (r < 1 || r > 3 || x.rank() != r + 1) {
      throw unsupported(n, "weights " + w.getDimsList() + " for a per-sample input " + x);
    }
    int[] kernel = new int[r];
    for (int k = 0; k < r; k++) {
      kernel[k] = (int) w.getDims(2 + k);
    }
    int groups = (int) i(n, "group", 1);
    int filters = (int) w.getDims(0);
    int[] stride = ints(n, "strides", filled(r, 1));
    int[] dilation = ints(n, "dilations", filled(r, 1));
    int[] pads = ints(n, "pads", new int[2 * r]);
    String autoPad = s(n, "auto_pad", "NOTSET");
    boolean same = autoPad.equals("SAME_UPPER");
    if (autoPad.equals("SAME_LOWER")) {
      throw unsupported(n, "auto_pad SAME_LOWER (Fovea's 'same' puts the extra cell at the end, SAME_UPPER)");
    }
    if (autoPad.equals("VALID")) {
      pads = new int[2 * r];
    }
    String src = in(n, 0);
    int[] begin = Arrays.copyOfRange(pads, 0, r);
    int[] end = Arrays.copyOfRange(pads, r, 2 * r);
    if (!same && !Arrays.equals(begin, end)) {
      // asymmetric padding (Keras 'same' written out by converters): a zero-padding layer, then a valid convolution
      String padName = layerName(n) + "_pad";
      ZeroPadding z = new ZeroPadding(padName, begin, end);
      builder.add(z, src);
      shapes.put(padName, z.outputShape(x));
      src = padName;
      begin = new int[r];
    }
    TensorProto b = constant(n, 2);
    Convolution c = new Convolution(layerName(n), filters, kernel, stride, same ? new int[r] : begin, same,
        dilation, groups, b != null, 0, Initializer.HE_NORMAL);
    param(c.name() + ".weights", weights);
    if (b != null) {
      param(c.name() + ".bias", floats(b, file));
    }
    add(n, c, src);
  }

  void deconv(NodeProto n) throws ModelFileException {
    TensorProto w = constant(n, 1);
    int r = w.getDimsCount() - 2;
    if (i(n, "group", 1) != 1) {
      throw unsupported(n, "grouped transposed convolution");
    }
    for (int d : ints(n, "dilations", filled(r, 1))) {
      if (d != 1) {
        throw unsupported(n, "dilated transposed convolution");
      }
    }
    if (attr(n, "output_shape") != null || !s(n, "auto_pad", "NOTSET").equals("NOTSET")) {
      throw unsupported(n, "output_shape or auto_pad; Fovea needs explicit pads and output_padding");
    }
    int[] pads = ints(n, "pads", new int[2 * r]);
    if (!Arrays.equals(Arrays.copyOfRange(pads, 0, r), Arrays.copyOfRange(pads, r, 2 * r))) {
      throw unsupported(n, "asymmetric pads " + Arrays.toString(pads));
    }
    int[] kernel = new int[r];
    for (int k = 0; k < r; k++) {
      kernel[k] = (int) w.getDims(2 + k);
    }
    TensorProto b = constant(n, 2);
    Deconvolution d = new Deconvolution(layerName(n), (int) w.getDims(1), kernel, ints(n, "strides", filled(r, 1)),
        Arrays.copyOfRange(pads, 0, r), ints(n, "output_padding", new int[r]), b != null, Initializer.HE_NORMAL);
    param(d.name() + ".weights", floats(w, file));
    if (b != null) {
      param(d.name() + ".bias", floats(b, file));
    }
    add(n, d, in(n, 0));
  }

  void dense(NodeProto n, float[] w, int units, int k, boolean transposed, float[] bias) throws ModelFileException {
    Shape x = shapeOf(n, 0);
    if (x.rank() != 1 || x.dim(0) != k) {
      throw new ModelFileException(file + ": node '" + n.getName() + "' (" + n.getOpType() + ") does not fit: "
          + "weights for " + k + " inputs, per-sample input " + x);
    }
    float[] ws = w;
    if (transposed) {
      ws = new float[w.length];
      for (int a = 0; a < k; a++) {
        for (int u = 0; u < units; u++) {
          ws[u * k + a] = w[a * units + u];
        }
      }
    }
    Dense d = new Dense(layerName(n), units, Initializer.GLOROT_UNIFORM);
    param(d.name() + ".weights", ws);
    param(d.name() + ".bias", bias == null ? new float[units] : bias);
    add(n, d, in(n, 0));
  }

  void gemm(NodeProto n) throws ModelFileException {
    if (i(n, "transA", 0) != 0 || f(n, "alpha", 1) != 1 || f(n, "beta", 1) != 1) {
      throw unsupported(n, "only Gemm with transA 0, alpha 1 and beta 1 (a dense layer) is supported");
    }
    TensorProto w = constant(n, 1);
    boolean transB = i(n, "transB", 0) == 1;
    int units = (int) w.getDims(transB ? 0 : 1);
    int k = (int) w.getDims(transB ? 1 : 0);
    TensorProto c = constant(n, 2);
    float[] bias = c == null ? null : floats(c, file);
    if (bias != null && bias.length != units) {
      throw unsupported(n, "a bias of " + bias.length + " values for " + units + " units");
    }
    dense(n, floats(w, file), units, k, !transB, bias);
  }

  void matmul(NodeProto n) throws ModelFileException {
    TensorProto w = constant(n, 1);
    if (w.getDimsCount() != 2) {
      throw unsupported(n, "only x · W with a 2-D weight initializer is supported");
    }
    int k = (int) w.getDims(0);
    int units = (int) w.getDims(1);
    float[] bias = null;
    List<NodeProto> next = consumers.getOrDefault(n.getOutput(0), List.of());
    NodeProto addNode = null;
    if (next.size() == 1 && next.get(0).getOpType().equals("Add")) {
      NodeProto a = next.get(0);
      String other = a.getInput(0).equals(n.getOutput(0)) ? a.getInput(1) : a.getInput(0);
      TensorProto b = consts.get(other);
      if (b != null && count(b) == units) {
        bias = floats(b, file);
        addNode = a;
      }
    }
    dense(n, floats(w, file), units, k, true, bias);
    if (addNode != null) {
      producer.put(addNode.getOutput(0), producer.get(n.getOutput(0)));
      done.add(addNode);
    }
  }

  void pool(NodeProto n) throws ModelFileException {
    Shape x = shapeOf(n, 0);
    int r = x.rank() - 1;
    int[] kernel = ints(n, "kernel_shape", null);
    if (kernel == null || kernel.length != r) {
      throw unsupported(n, "kernel_shape must give " + r + " spatial sizes");
    }
    for (int d : ints(n, "dilations", filled(r, 1))) {
      if (d != 1) {
        throw unsupported(n, "dilated pooling");
      }
    }
    int[] stride = ints(n, "strides", filled(r, 1));
    int[] pads = ints(n, "pads", new int[2 * r]);
    String autoPad = s(n, "auto_pad", "NOTSET");
    boolean same = autoPad.equals("SAME_UPPER");
    if (autoPad.equals("SAME_LOWER")) {
      throw unsupported(n, "auto_pad SAME_LOWER");
    }
    if (same || autoPad.equals("VALID")) {
      pads = new int[2 * r];
    }
    int[] begin = Arrays.copyOfRange(pads, 0, r);
    if (!Arrays.equals(begin, Arrays.copyOfRange(pads, r, 2 * r))) {
      throw unsupported(n, "asymmetric pads " + Arrays.toString(pads));
    }
    boolean max = n.getOpType().equals("MaxPool");
    boolean anyPad = Arrays.stream(pads).anyMatch(p -> p != 0);
    if (!max && anyPad && i(n, "count_include_pad", 0) != 0) {
      throw unsupported(n, "count_include_pad 1 with padding (Fovea's average never counts padded cells)");
    }
    Pooling p = new Pooling(layerName(n), max ? PoolParams.Kind.MAX : PoolParams.Kind.AVG, kernel, stride, begin, same);
    if (i(n, "ceil_mode", 0) != 0 && !same) {
      // ceil mode is the floor mode where the windows fit exactly
      for (int a = 0; a < r; a++) {
        int span = x.dim(1 + a) + 2 * begin[a] - kernel[a];
        if (span % stride[a] != 0) {
          throw unsupported(n, "ceil_mode 1 where it adds a partial window (Fovea pools in floor mode)");
        }
      }
    }
    add(n, p, in(n, 0));
  }

  void batchNorm(NodeProto n) throws ModelFileException {
    // Fovea writes a batch norm without scale or shift with constants named '<layer>/ones', '<layer>/zeros'
    float[] gamma = floats(constant(n, 1), file);
    float[] beta = floats(constant(n, 2), file);
    boolean scale = !(n.getInput(1).endsWith("/ones") && allEqual(gamma, 1));
    boolean center = !(n.getInput(2).endsWith("/zeros") && allEqual(beta, 0));
    BatchNorm b = new BatchNorm(layerName(n), f(n, "epsilon", 1e-5),
        java.math.BigDecimal.ONE.subtract(java.math.BigDecimal.valueOf(f(n, "momentum", 0.9))).doubleValue(), scale,
        center);
    if (scale) {
      param(b.name() + ".gamma", gamma);
    }
    if (center) {
      param(b.name() + ".beta", beta);
    }
    param(b.name() + ".mean", floats(constant(n, 3), file));
    param(b.name() + ".variance", floats(constant(n, 4), file));
    add(n, b, in(n, 0));
  }

  /** x · c for a scalar constant c, read only as a term of a weighted sum (Fovea's weighted add). */
  void scale(NodeProto n) throws ModelFileException {
    int k = n.getInputCount() == 2 && consts.containsKey(n.getInput(1)) ? 1
        : n.getInputCount() == 2 && consts.containsKey(n.getInput(0)) ? 0 : -1;
    List<NodeProto> next = consumers.getOrDefault(n.getOutput(0), List.of());
    boolean toSums = !next.isEmpty() && next.stream().allMatch(c -> c.getOpType().equals("Sum")
        || c.getOpType().equals("Add"));
    if (k < 0 || count(consts.get(n.getInput(k))) != 1 || !toSums
        || graphOutputs.contains(n.getOutput(0))) {
      throw unsupported(n, "only a scalar weight of a term of a sum (a weighted add) is supported");
    }
    NodeProto.Builder value = n.toBuilder().clearInput().addInput(n.getInput(1 - k));
    double w = floats(consts.get(n.getInput(k)), file)[0];
    scaled.put(n.getOutput(0), new Object[] {in(value.build(), 0), w});
  }

  static boolean allEqual(float[] v, float x) {
    for (float f : v) {
      if (f != x) {
        return false;
      }
    }
    return true;
  }

  void sum(NodeProto n) throws ModelFileException {
    String[] xs = new String[n.getInputCount()];
    double[] w = new double[xs.length];
    boolean weighted = false;
    for (int k = 0; k < xs.length; k++) {
      if (consts.containsKey(n.getInput(k))) {
        throw unsupported(n, "adding a constant (only a MatMul's bias is supported)");
      }
      Object[] t = scaled.get(n.getInput(k));
      xs[k] = t == null ? in(n, k) : (String) t[0];
      w[k] = t == null ? 1 : Double.parseDouble(Float.toString((float) (double) (Double) t[1]));
      weighted |= w[k] != 1;
    }
    if (xs.length == 1 && !weighted) {
      alias(n);
    } else if (xs.length == 1) {
      throw unsupported(n, "a sum of one scaled term");
    } else {
      add(n, weighted ? new Add(layerName(n), w) : Add.of(layerName(n)), xs);
    }
  }

  void resize(NodeProto n) throws ModelFileException {
    Shape x = shapeOf(n, 0);
    if (x.rank() != 3) {
      throw unsupported(n, "Fovea upsamples (C, H, W) inputs, got " + x);
    }
    float[] scales = null;
    if (n.getOpType().equals("Upsample")) {
      scales = attr(n, "scales") != null ? toFloats(attr(n, "scales").getFloatsList())
          : floats(constant(n, 1), file);
    } else if (n.getInputCount() > 2 && !n.getInput(2).isEmpty() && count(constant(n, 2)) > 0) {
      scales = floats(constant(n, 2), file);
    } else if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
      long[] sizes = longs(constant(n, 3), file);
      scales = new float[sizes.length];
      for (int k = 0; k < sizes.length; k++) {
        scales[k] = k < 2 ? 1 : (float) sizes[k] / x.dim(k - 1);
      }
    }
    if (scales == null || scales.length != 4 || scales[0] != 1 || scales[1] != 1 || scales[2] != scales[3]
        || scales[2] != Math.rint(scales[2]) || scales[2] < 1) {
      throw unsupported(n, "only an equal integer scale on H and W is supported, got "
          + (scales == null ? "none" : Arrays.toString(scales)));
    }
    int scale = (int) scales[2];
    String mode = s(n, "mode", "nearest");
    String coord = s(n, "coordinate_transformation_mode", "half_pixel");
    ResamplingParams.Kind kind;
    if (mode.equals("nearest")) {
      String nearest = s(n, "nearest_mode", "round_prefer_floor");
      boolean floor = n.getOpType().equals("Upsample") || (coord.equals("asymmetric") && nearest.equals("floor"))
          || ((coord.equals("half_pixel") || coord.equals("pytorch_half_pixel")) && nearest.startsWith("round"));
      if (!floor) {
        throw unsupported(n, "nearest mode with coordinates '" + coord + "' and rounding '" + nearest + "'");
      }
      kind = ResamplingParams.Kind.NEAREST;
    } else if (mode.equals("linear") && (coord.equals("half_pixel") || coord.equals("pytorch_half_pixel"))) {
      kind = ResamplingParams.Kind.BILINEAR;
    } else {
      throw unsupported(n, "mode '" + mode + "' with coordinates '" + coord + "'");
    }
    add(n, new Upsampling(layerName(n), kind, scale), in(n, 0));
  }

  static float[] toFloats(List<Float> l) {
    float[] f = new float[l.size()];
    for (int k = 0; k < f.length; k++) {
      f[k] = l.get(k);
    }
    return f;
  }

  void pad(NodeProto n) throws ModelFileException {
    Shape x = shapeOf(n, 0);
    if (!s(n, "mode", "constant").equals("constant")) {
      throw unsupported(n, "only constant (zero) padding");
    }
    TensorProto v = constant(n, 2);
    if (v != null && count(v) > 0 && floats(v, file)[0] != 0) {
      throw unsupported(n, "only zero padding");
    }
    long[] pads = attr(n, "pads") != null ? attr(n, "pads").getIntsList().stream().mapToLong(Long::longValue)
        .toArray() : longs(constant(n, 1), file);
    int rank = x.rank() + 1;
    if (pads.length != 2 * rank || pads[0] != 0 || pads[1] != 0 || pads[rank] != 0 || pads[rank + 1] != 0) {
      throw unsupported(n, "pads " + Arrays.toString(pads) + " must leave the batch and channel axes alone");
    }
    int[] begin = new int[rank - 2];
    int[] end = new int[rank - 2];
    for (int k = 0; k < begin.length; k++) {
      begin[k] = (int) pads[2 + k];
      end[k] = (int) pads[rank + 2 + k];
      if (begin[k] < 0 || end[k] < 0) {
        throw unsupported(n, "negative pads (cropping)");
      }
    }
    add(n, new ZeroPadding(layerName(n), begin, end), in(n, 0));
  }
}
