package dev.fovea.nn.onnx;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.fovea.kernels.Activation;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ActivationLayer;
import dev.fovea.nn.AdaptivePooling;
import dev.fovea.nn.Add;
import dev.fovea.nn.BatchNorm;
import dev.fovea.nn.Concat;
import dev.fovea.nn.Conv2d;
import dev.fovea.nn.Convolution;
import dev.fovea.nn.Deconvolution;
import dev.fovea.nn.Dense;
import dev.fovea.nn.Dropout;
import dev.fovea.nn.Flatten;
import dev.fovea.nn.GlobalPooling;
import dev.fovea.nn.Layer;
import dev.fovea.nn.Lrn;
import dev.fovea.nn.MaxPool2d;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.NetworkJson;
import dev.fovea.nn.ParamLayout;
import dev.fovea.nn.Pooling;
import dev.fovea.nn.Prelu;
import dev.fovea.nn.Rrelu;
import dev.fovea.nn.Upsampling;
import dev.fovea.nn.ZeroPadding;
import dev.fovea.nn.onnx.proto.Onnx.AttributeProto;
import dev.fovea.nn.onnx.proto.Onnx.GraphProto;
import dev.fovea.nn.onnx.proto.Onnx.ModelProto;
import dev.fovea.nn.onnx.proto.Onnx.NodeProto;
import dev.fovea.nn.onnx.proto.Onnx.OperatorSetIdProto;
import dev.fovea.nn.onnx.proto.Onnx.StringStringEntryProto;
import dev.fovea.nn.onnx.proto.Onnx.TensorProto;
import dev.fovea.nn.onnx.proto.Onnx.TensorShapeProto;
import dev.fovea.nn.onnx.proto.Onnx.TypeProto;
import dev.fovea.nn.onnx.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Fovea model as an ONNX model (opset {@value #OPSET}) for inference: the graph computes
 * the network's evaluation-mode forward pass, batch norm with its running statistics and dropout
 * as identity, on a dynamic batch axis {@code N}. The first graph output is the main output's
 * logits (Fovea's forward has no softmax; neither has the graph); auxiliary heads follow as further
 * outputs. Parameters and buffers become initializers named as in Fovea's layout ({@code
 * conv1.weights}, {@code bn1.mean}), and the metadata keeps Fovea's architecture and class names
 * so that {@link OnnxImport} gives the same model back.
 *
 * <p>See docs/interop.md for the operator each layer becomes. A layer ONNX cannot express (an
 * activation without an ONNX operator, LRN over an even window) is refused with an {@link
 * UnsupportedException} naming the layer, its type and why; nothing is written then.
 */
public final class OnnxExport {
  /** The ONNX operator set the graph is written for. */
  public static final int OPSET = 17;
  /** IR version 8 goes with opset 17 (ONNX 1.12). */
  static final long IR_VERSION = 8;
  /** Metadata key of Fovea's architecture JSON. */
  static final String META_ARCHITECTURE = "fovea.architecture";
  /** Metadata key of the class names, a JSON array. */
  static final String META_CLASSES = "fovea.class_names";
  /** Metadata key of the zoo name, when the model came from the zoo. */
  static final String META_ZOO = "fovea.zoo";
  static final String BATCH = "N";

  private static final ObjectMapper JSON = new ObjectMapper();

  private OnnxExport() {}

  /** A layer that has no ONNX form; the message names the layer, its type and why. */
  public static final class UnsupportedException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnsupportedException(String message) {
      super(message);
    }
  }

  /** Writes {@code model} to {@code out} (not closed) as an ONNX file; nothing is written when a layer is refused. */
  public static void write(ModelFile.Model model, OutputStream out) throws IOException {
    byte[] bytes = toProto(model).toByteArray();
    out.write(bytes);
    out.flush();
  }

  /** The ONNX model of {@code network} with these parameter and buffer values and class names. */
  public static ModelProto toProto(Network network, float[] params, float[] buffers, List<String> classNames) {
    return toProto(new ModelFile.Model(network, null, classNames, params, buffers, null, Map.of()));
  }

  /** The ONNX model of {@code model}. */
  public static ModelProto toProto(ModelFile.Model model) {
    Network net = model.network();
    Graph g = new Graph(net);
    for (ParamLayout.Slice s : net.layout().slices()) {
      g.initializers.put(s.name(), floats(s.name(), s.shape().dims(), model.params(), s.offset()));
    }
    for (ParamLayout.Slice s : net.bufferLayout().slices()) {
      g.initializers.put(s.name(), floats(s.name(), s.shape().dims(), model.buffers(), s.offset()));
    }
    for (Network.Node node : net.nodes()) {
      if (g.needed(node.layer().name())) {
        g.layer(node);
      }
    }
    GraphProto.Builder graph = GraphProto.newBuilder().setName(model.zoo() == null ? "fovea" : model.zoo());
    graph.addAllNode(g.nodes);
    graph.addAllInitializer(g.initializers.values());
    graph.addInput(value(Network.INPUT, net.inputShape()));
    graph.addOutput(value(net.outputName(), net.outputShape(net.outputName())));
    for (Network.AuxHead aux : net.auxHeads()) {
      graph.addOutput(value(aux.node(), net.outputShape(aux.node())));
    }
    ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("Fovea")
        .setProducerVersion(version()).setDomain("dev.fovea").setModelVersion(1).setGraph(graph)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
    m.addMetadataProps(entry(META_ARCHITECTURE, NetworkJson.toJsonString(net)));
    try {
      m.addMetadataProps(entry(META_CLASSES, JSON.writeValueAsString(model.classNames())));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    if (model.zoo() != null) {
      m.addMetadataProps(entry(META_ZOO, model.zoo()));
    }
    model.provenance().forEach((k, v) -> m.addMetadataProps(entry("fovea.provenance." + k, v)));
    return m.build();
  }

  private static String version() {
    String v = OnnxExport.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  /** A float tensor of {@code dims} from {@code values} at {@code offset}, little-endian raw data. */
  static TensorProto floats(String name, int[] dims, float[] values, int offset) {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values, offset, n);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(b.array()));
    for (int d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  static TensorProto longs(String name, long... values) {
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
        .addDims(values.length).addAllInt64Data(Arrays.stream(values).boxed().toList()).build();
  }

  private static ValueInfoProto value(String name, Shape sample) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    s.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH));
    for (int d : sample.dims()) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
  }

  static AttributeProto ints(String name, int... v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (int x : v) {
      a.addInts(x);
    }
    return a.build();
  }

  static AttributeProto integer(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  static AttributeProto real(String name, double v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF((float) v)
        .build();
  }

  static AttributeProto string(String name, String v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(v)).build();
  }

  private static int[] concat(int[] a, int[] b) {
    int[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  /** The graph under construction: nodes, initializers and the per-sample shape of every value. */
  private static final class Graph {
    final Network net;
    final List<NodeProto> nodes = new ArrayList<>();
    final Map<String, TensorProto> initializers = new java.util.LinkedHashMap<>();
    final Map<String, Boolean> need = new HashMap<>();

    Graph(Network net) {
      this.net = net;
      List<String> roots = new ArrayList<>();
      roots.add(net.outputName());
      net.auxHeads().forEach(a -> roots.add(a.node()));
      Map<String, Network.Node> byName = new HashMap<>();
      net.nodes().forEach(n -> byName.put(n.layer().name(), n));
      List<String> stack = new ArrayList<>(roots);
      while (!stack.isEmpty()) {
        String s = stack.remove(stack.size() - 1);
        if (!Network.INPUT.equals(s) && need.put(s, true) == null) {
          stack.addAll(byName.get(s).inputs());
        }
      }
    }

    boolean needed(String layer) {
      return need.containsKey(layer);
    }

    Shape in(Network.Node node, int i) {
      String from = node.inputs().get(i);
      return Network.INPUT.equals(from) ? net.inputShape() : net.outputShape(from);
    }

    NodeProto.Builder node(String op, String name, List<String> inputs, String output) {
      NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output);
      return n;
    }

    void emit(NodeProto.Builder n) {
      nodes.add(n.build());
    }

    String constant(String name, float... v) {
      initializers.put(name, floats(name, new int[] {v.length}, v, 0));
      return name;
    }

    String scalar(String name, float v) {
      initializers.put(name, floats(name, new int[0], new float[] {v}, 0));
      return name;
    }

    /**
     * Adaptive pooling for the known input size {@code s} (C, spatial...): output cell i of an axis
     * pools input [floor(i·In/Out), ceil((i+1)·In/Out)), PyTorch's windows. Where the input is a
     * multiple of the output every window has the same size and step: a plain pool with kernel =
     * stride = In / Out. Otherwise each output cell is a Slice of its window reduced by ReduceMean or
     * ReduceMax, and the cells are concatenated axis by axis (1D and 2D; 3D is refused).
     */
    void adaptivePooling(AdaptivePooling p, String x, Shape s) {
      String name = p.name();
      int r = p.size().length;
      boolean uniform = true;
      int[] k = new int[r];
      for (int i = 0; i < r; i++) {
        uniform &= s.dim(1 + i) % p.size()[i] == 0;
        k[i] = s.dim(1 + i) / Math.max(1, p.size()[i]);
      }
      boolean max = p.kind() == PoolParams.Kind.MAX;
      if (uniform) {
        emit(node(max ? "MaxPool" : "AveragePool", name, List.of(x), name).addAttribute(ints("kernel_shape", k))
            .addAttribute(ints("strides", k)).addAttribute(ints("pads", new int[2 * r]))
            .addAttribute(integer("ceil_mode", 0)));
        return;
      }
      if (r > 2) {
        throw refuse(p, "3D adaptive pooling with uneven windows has no ONNX form here");
      }
      int oh = p.size()[0];
      int ow = r == 2 ? p.size()[1] : 1;
      int inH = s.dim(1);
      int inW = r == 2 ? s.dim(2) : 1;
      int[] axes = r == 2 ? new int[] {2, 3} : new int[] {2};
      initializers.put(name + "/axes", longs(name + "/axes", r == 2 ? new long[] {2, 3} : new long[] {2}));
      List<String> rows = new ArrayList<>();
      for (int i = 0; i < oh; i++) {
        List<String> cells = new ArrayList<>();
        for (int j = 0; j < ow; j++) {
          String cell = name + "/cell_" + i + "_" + j;
          long h0 = (long) i * inH / oh;
          long h1 = ((long) (i + 1) * inH + oh - 1) / oh;
          long w0 = (long) j * inW / ow;
          long w1 = ((long) (j + 1) * inW + ow - 1) / ow;
          initializers.put(cell + "/starts", longs(cell + "/starts", r == 2 ? new long[] {h0, w0} : new long[] {h0}));
          initializers.put(cell + "/ends", longs(cell + "/ends", r == 2 ? new long[] {h1, w1} : new long[] {h1}));
          emit(node("Slice", cell + "/slice", List.of(x, cell + "/starts", cell + "/ends", name + "/axes"),
              cell + "/window"));
          emit(node(max ? "ReduceMax" : "ReduceMean", cell, List.of(cell + "/window"), cell)
              .addAttribute(ints("axes", axes)).addAttribute(integer("keepdims", 1)));
          cells.add(cell);
        }
        String row = name + "/row_" + i;
        if (r == 1) {
          rows.add(cells.get(0));
        } else {
          emit(node("Concat", row, cells, row).addAttribute(integer("axis", 3)));
          rows.add(row);
        }
      }
      emit(node("Concat", name, rows, name).addAttribute(integer("axis", 2)));
    }

    UnsupportedException refuse(Layer l, String why) {
      return new UnsupportedException("layer '" + l.name() + "' (" + l.type() + ") cannot be exported to ONNX: " + why);
    }

    void layer(Network.Node node) {
      Layer l = node.layer();
      String name = l.name();
      List<String> ins = node.inputs();
      String x = ins.get(0);
      Shape s = in(node, 0);
      if (l instanceof Convolution c) {
        ConvParams p = convParams(c, s);
        NodeProto.Builder n = node("Conv", name, c.bias() ? List.of(x, name + ".weights", name + ".bias")
            : List.of(x, name + ".weights"), name);
        n.addAttribute(ints("kernel_shape", c.kernel())).addAttribute(ints("strides", p.stride()))
            .addAttribute(ints("pads", concat(p.padBegin(), p.padEnd())))
            .addAttribute(ints("dilations", p.dilation())).addAttribute(integer("group", c.groups()));
        emit(n);
      } else if (l instanceof Conv2d c) {
        emit(node("Conv", name, List.of(x, name + ".weights", name + ".bias"), name)
            .addAttribute(ints("kernel_shape", c.kernel(), c.kernel()))
            .addAttribute(ints("strides", c.stride(), c.stride()))
            .addAttribute(ints("pads", c.padding(), c.padding(), c.padding(), c.padding())));
      } else if (l instanceof Deconvolution d) {
        emit(node("ConvTranspose", name, d.bias() ? List.of(x, name + ".weights", name + ".bias")
            : List.of(x, name + ".weights"), name)
            .addAttribute(ints("kernel_shape", d.kernel())).addAttribute(ints("strides", d.stride()))
            .addAttribute(ints("pads", concat(d.padding(), d.padding())))
            .addAttribute(ints("output_padding", d.outputPadding()))
            .addAttribute(ints("dilations", ones(d.kernel().length)))
            .addAttribute(integer("group", 1)));
      } else if (l instanceof Dense d) {
        emit(node("Gemm", name, List.of(x, name + ".weights", name + ".bias"), name)
            .addAttribute(integer("transB", 1)));
      } else if (l instanceof Pooling p) {
        PoolParams pp = poolParams(p, s);
        NodeProto.Builder n = node(p.kind() == PoolParams.Kind.MAX ? "MaxPool" : "AveragePool", name, List.of(x), name)
            .addAttribute(ints("kernel_shape", pp.kernel())).addAttribute(ints("strides", pp.stride()))
            .addAttribute(ints("pads", concat(pp.padBegin(), pp.padEnd()))).addAttribute(integer("ceil_mode", 0));
        if (p.kind() == PoolParams.Kind.AVG) {
          n.addAttribute(integer("count_include_pad", 0));
        }
        emit(n);
      } else if (l instanceof MaxPool2d p) {
        emit(node("MaxPool", name, List.of(x), name)
            .addAttribute(ints("kernel_shape", p.size(), p.size())).addAttribute(ints("strides", p.size(), p.size())));
      } else if (l instanceof AdaptivePooling p) {
        adaptivePooling(p, x, s);
      } else if (l instanceof GlobalPooling p) {
        emit(node(p.kind() == PoolParams.Kind.MAX ? "GlobalMaxPool" : "GlobalAveragePool", name, List.of(x),
            name + "/pooled"));
        emit(node("Flatten", name + "/flatten", List.of(name + "/pooled"), name).addAttribute(integer("axis", 1)));
      } else if (l instanceof BatchNorm b) {
        int c = s.dim(0);
        String gamma = b.scale() ? name + ".gamma" : constant(name + "/ones", filled(c, 1));
        String beta = b.center() ? name + ".beta" : constant(name + "/zeros", filled(c, 0));
        emit(node("BatchNormalization", name, List.of(x, gamma, beta, name + ".mean", name + ".variance"), name)
            .addAttribute(real("epsilon", b.epsilon())).addAttribute(real("momentum", 1 - b.momentum())));
      } else if (l instanceof Dropout d) {
        emit(node("Identity", name, List.of(x), name));
      } else if (l instanceof Flatten f) {
        emit(node("Flatten", name, List.of(x), name).addAttribute(integer("axis", 1)));
      } else if (l instanceof ActivationLayer a) {
        activation(l, a.function(), x, name);
      } else if (l instanceof Rrelu r) {
        emit(node("LeakyRelu", name, List.of(x), name)
            .addAttribute(real("alpha", (r.lower() + r.upper()) / 2)));
      } else if (l instanceof Prelu p) {
        // ONNX broadcasts the slope from the trailing axes: (C) must become (C, 1, 1) for (N, C, H, W).
        TensorProto slope = initializers.get(name + ".slope");
        int[] dims = new int[s.rank()];
        Arrays.fill(dims, 1);
        dims[0] = (int) slope.getDims(0);
        if (!p.perChannel()) {
          dims = new int[] {1};
        }
        TensorProto.Builder t = slope.toBuilder().clearDims();
        for (int d : dims) {
          t.addDims(d);
        }
        initializers.put(name + ".slope", t.build());
        emit(node("PRelu", name, List.of(x, name + ".slope"), name));
      } else if (l instanceof Lrn r) {
        if (r.size() % 2 == 0) {
          throw refuse(l, "ONNX's LRN window for an even size " + r.size()
              + " extends the other way (Fovea sums size/2 channels below, ONNX (size-1)/2)");
        }
        emit(node("LRN", name, List.of(x), name).addAttribute(integer("size", r.size()))
            .addAttribute(real("alpha", r.alpha())).addAttribute(real("beta", r.beta()))
            .addAttribute(real("bias", r.k())));
      } else if (l instanceof Upsampling u) {
        String scales = constant(name + "/scales", 1, 1, u.scale(), u.scale());
        NodeProto.Builder n = node("Resize", name, List.of(x, "", scales), name);
        if (u.kind() == ResamplingParams.Kind.NEAREST) {
          n.addAttribute(string("mode", "nearest")).addAttribute(string("coordinate_transformation_mode", "asymmetric"))
              .addAttribute(string("nearest_mode", "floor"));
        } else {
          n.addAttribute(string("mode", "linear"))
              .addAttribute(string("coordinate_transformation_mode", "pytorch_half_pixel"));
        }
        emit(n);
      } else if (l instanceof ZeroPadding z) {
        long[] pads = new long[2 * (z.padBegin().length + 2)];
        int r = z.padBegin().length + 2;
        for (int i = 0; i < z.padBegin().length; i++) {
          pads[2 + i] = z.padBegin()[i];
          pads[r + 2 + i] = z.padEnd()[i];
        }
        initializers.put(name + "/pads", longs(name + "/pads", pads));
        emit(node("Pad", name, List.of(x, name + "/pads"), name).addAttribute(string("mode", "constant")));
      } else if (l instanceof Add a) {
        double[] w = a.scales();
        List<String> terms = new ArrayList<>();
        for (int i = 0; i < ins.size(); i++) {
          if (w.length == 0 || w[i] == 1) {
            terms.add(ins.get(i));
          } else {
            String k = scalar(name + "/scale" + i, (float) w[i]);
            emit(node("Mul", name + "/mul" + i, List.of(ins.get(i), k), name + "/scaled" + i));
            terms.add(name + "/scaled" + i);
          }
        }
        emit(node("Sum", name, terms, name));
      } else if (l instanceof Concat c) {
        emit(node("Concat", name, ins, name).addAttribute(integer("axis", 1)));
      } else {
        throw refuse(l, "no ONNX mapping for this layer type");
      }
    }

    private static int[] ones(int n) {
      int[] o = new int[n];
      Arrays.fill(o, 1);
      return o;
    }

    private static float[] filled(int n, float v) {
      float[] f = new float[n];
      Arrays.fill(f, v);
      return f;
    }

    /** One activation: an ONNX operator where one exists, else a few primitive ones composed. */
    void activation(Layer l, Activation f, String x, String name) {
      double a = f.alpha();
      switch (f.kind()) {
        case IDENTITY -> emit(node("Identity", name, List.of(x), name));
        case RELU -> emit(a == 0 ? node("Relu", name, List.of(x), name)
            : node("LeakyRelu", name, List.of(x), name).addAttribute(real("alpha", a)));
        case SIGMOID -> emit(node("Sigmoid", name, List.of(x), name));
        case TANH -> emit(node("Tanh", name, List.of(x), name));
        case ATAN -> emit(node("Atan", name, List.of(x), name));
        case RRELU -> emit(node("LeakyRelu", name, List.of(x), name).addAttribute(real("alpha", (a + f.beta()) / 2)));
        case ELU -> emit(node("Elu", name, List.of(x), name).addAttribute(real("alpha", a)));
        case SELU -> emit(node("Selu", name, List.of(x), name).addAttribute(real("alpha", 1.6732632423543772))
            .addAttribute(real("gamma", 1.0507009873554805)));
        case SOFTPLUS -> emit(node("Softplus", name, List.of(x), name));
        case SOFTSIGN -> emit(node("Softsign", name, List.of(x), name));
        case HARD_SIGMOID -> emit(node("HardSigmoid", name, List.of(x), name).addAttribute(real("alpha", 1.0 / 6))
            .addAttribute(real("beta", 0.5)));
        case HARD_SWISH -> emit(node("HardSwish", name, List.of(x), name));
        case HARD_TANH -> emit(node("Clip", name, List.of(x, scalar(name + "/min", -1), scalar(name + "/max", 1)),
            name));
        case RELU6 -> emit(node("Clip", name, List.of(x, scalar(name + "/min", 0), scalar(name + "/max", 6)), name));
        case SWISH -> {
          String ax = x;
          if (a != 1) {
            emit(node("Mul", name + "/scale", List.of(x, scalar(name + "/alpha", (float) a)), name + "/ax"));
            ax = name + "/ax";
          }
          emit(node("Sigmoid", name + "/sigmoid", List.of(ax), name + "/gate"));
          emit(node("Mul", name, List.of(x, name + "/gate"), name));
        }
        case MISH -> {
          emit(node("Softplus", name + "/softplus", List.of(x), name + "/sp"));
          emit(node("Tanh", name + "/tanh", List.of(name + "/sp"), name + "/gate"));
          emit(node("Mul", name, List.of(x, name + "/gate"), name));
        }
        case GELU_ERF -> {
          // x / 2 · (1 + erf(x / √2))
          emit(node("Mul", name + "/scale", List.of(x, scalar(name + "/rsqrt2", (float) (1 / Math.sqrt(2)))),
              name + "/xs"));
          emit(node("Erf", name + "/erf", List.of(name + "/xs"), name + "/erf"));
          halfTimesOnePlus(x, name, name + "/erf");
        }
        case GELU_TANH -> {
          // x / 2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))
          emit(node("Mul", name + "/sq", List.of(x, x), name + "/x2"));
          emit(node("Mul", name + "/cube", List.of(name + "/x2", x), name + "/x3"));
          emit(node("Mul", name + "/c", List.of(name + "/x3", scalar(name + "/k", 0.044715f)), name + "/cx3"));
          emit(node("Add", name + "/inner", List.of(x, name + "/cx3"), name + "/in"));
          emit(node("Mul", name + "/scale", List.of(name + "/in",
              scalar(name + "/sqrt2pi", (float) Math.sqrt(2 / Math.PI))), name + "/arg"));
          emit(node("Tanh", name + "/tanh", List.of(name + "/arg"), name + "/t"));
          halfTimesOnePlus(x, name, name + "/t");
        }
        case ISRU -> {
          // x / √(1 + alpha · x²)
          emit(node("Mul", name + "/sq", List.of(x, x), name + "/x2"));
          emit(node("Mul", name + "/alpha", List.of(name + "/x2", scalar(name + "/a", (float) a)), name + "/ax2"));
          emit(node("Add", name + "/one", List.of(name + "/ax2", scalar(name + "/1", 1)), name + "/d2"));
          emit(node("Sqrt", name + "/sqrt", List.of(name + "/d2"), name + "/d"));
          emit(node("Div", name, List.of(x, name + "/d"), name));
        }
        default -> throw refuse(l, "activation " + f.kind() + " has no ONNX operator and is not composed from ONNX's");
      }
    }

    private void halfTimesOnePlus(String x, String name, String t) {
      emit(node("Add", name + "/plus1", List.of(t, scalar(name + "/one", 1)), name + "/1pt"));
      emit(node("Mul", name + "/half", List.of(x, scalar(name + "/0.5", 0.5f)), name + "/hx"));
      emit(node("Mul", name, List.of(name + "/hx", name + "/1pt"), name));
    }
  }

  /** Explicit padding of a convolution for this input: Keras 'same' resolved to begin/end cells. */
  static ConvParams convParams(Convolution c, Shape input) {
    if (c.same()) {
      return ConvParams.same(c.kernel(), c.stride(), c.dilation(),
          Arrays.copyOfRange(input.dims(), 1, input.rank()), c.groups());
    }
    return new ConvParams(c.stride(), c.padding(), c.padding(), c.dilation(), c.groups());
  }

  static PoolParams poolParams(Pooling p, Shape input) {
    if (p.same()) {
      return PoolParams.same(p.kind(), p.kernel(), p.stride(), Arrays.copyOfRange(input.dims(), 1, input.rank()));
    }
    return new PoolParams(p.kind(), p.kernel(), p.stride(), p.padding(), p.padding(), false);
  }
}
