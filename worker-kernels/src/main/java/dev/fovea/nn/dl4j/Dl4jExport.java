package dev.fovea.nn.dl4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ActivationLayer;
import dev.fovea.nn.Add;
import dev.fovea.nn.BatchNorm;
import dev.fovea.nn.Concat;
import dev.fovea.nn.Conv2d;
import dev.fovea.nn.Convolution;
import dev.fovea.nn.Dense;
import dev.fovea.nn.Dropout;
import dev.fovea.nn.Flatten;
import dev.fovea.nn.GlobalPooling;
import dev.fovea.nn.Layer;
import dev.fovea.nn.Lrn;
import dev.fovea.nn.MaxPool2d;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.ParamLayout;
import dev.fovea.nn.Pooling;
import dev.fovea.nn.ZeroPadding;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a Fovea model as a Deeplearning4j model zip that DL4J's {@code ModelSerializer} restores:
 * a {@code MultiLayerNetwork} configuration when the network is a chain of layers, else a {@code
 * ComputationGraph}, and the flat parameter vector in DL4J's order and layouts. The network's
 * output becomes an OutputLayer with softmax and the cross-entropy loss (MCXENT) when it is a dense
 * layer, else a LossLayer with softmax is appended: DL4J's {@code output()} gives the
 * probabilities, softmax of Fovea's logits. Batch norm is written with the variance itself
 * ({@code useLogStd} false); dropout as DL4J's retain probability {@code 1 - rate}; a flatten as
 * the CNN-to-dense preprocessor of the layer after it. The zip also holds {@code fovea.json}
 * (input shape, class names, provenance), which DL4J ignores and {@link Dl4jImport} reads.
 *
 * <p>A layer DL4J has no equivalent for (grouped convolution, 1D/3D layers, upsampling, an
 * activation DL4J computes differently, a weighted add) is refused with an {@link
 * UnsupportedException} naming the layer, its type and why; nothing is written then.
 */
public final class Dl4jExport {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  static final String LAYERS = "org.deeplearning4j.nn.conf.layers.";

  private Dl4jExport() {}

  /** A layer that has no DL4J form; the message names the layer, its type and why. */
  public static final class UnsupportedException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnsupportedException(String message) {
      super(dev.fovea.kernels.OneLine.of(message));
    }
  }

  /** Writes {@code model} to {@code out} (not closed) as a DL4J zip; nothing is written when a layer is refused. */
  public static void write(ModelFile.Model model, OutputStream out) throws IOException {
    out.write(toZip(model));
    out.flush();
  }

  /** The DL4J zip of {@code model}. */
  public static byte[] toZip(ModelFile.Model model) {
    Export e = new Export(model);
    e.run();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      z.putNextEntry(new ZipEntry("configuration.json"));
      z.write(JSON.writeValueAsBytes(e.root));
      z.closeEntry();
      z.putNextEntry(new ZipEntry("coefficients.bin"));
      z.write(Nd4jArrays.write(new long[] {e.flat.size()}, e.flatArray()));
      z.closeEntry();
      z.putNextEntry(new ZipEntry(Dl4jImport.FOVEA_ENTRY));
      z.write(JSON.writeValueAsBytes(e.foveaEntry()));
      z.closeEntry();
    } catch (IOException x) {
      throw new IllegalStateException(x); // a byte array does not fail
    }
    return b.toByteArray();
  }

  /** The configuration.json DL4J reads for {@code model} (for tests and inspection). */
  static String configurationJson(ModelFile.Model model) {
    Export e = new Export(model);
    e.run();
    try {
      return JSON.writeValueAsString(e.root);
    } catch (JsonProcessingException x) {
      throw new IllegalStateException(x);
    }
  }

  private static final class Export {
    final ModelFile.Model model;
    final Network net;
    final List<Network.Node> nodes = new ArrayList<>();
    final boolean chain;
    final ObjectNode root = F.objectNode();
    /** DL4J layers in parameter order: the layer JSON, its name, inputs, preprocessor (or null). */
    final List<Object[]> vertices = new ArrayList<>();
    final FloatList flat = new FloatList();
    /** Fovea node → the DL4J vertex giving its value, and a flatten pending on it (its (C, H, W)). */
    final Map<String, String> alias = new HashMap<>();
    final Map<String, Shape> flattened = new HashMap<>();

    Export(ModelFile.Model model) {
      this.model = model;
      this.net = model.network();
      Map<String, Network.Node> byName = new HashMap<>();
      net.nodes().forEach(n -> byName.put(n.layer().name(), n));
      java.util.Set<String> need = new java.util.HashSet<>();
      List<String> stack = new ArrayList<>(List.of(net.outputName()));
      while (!stack.isEmpty()) {
        String s = stack.remove(stack.size() - 1);
        if (!Network.INPUT.equals(s) && need.add(s)) {
          stack.addAll(byName.get(s).inputs());
        }
      }
      String prev = Network.INPUT;
      boolean c = true;
      for (Network.Node n : net.nodes()) {
        if (need.contains(n.layer().name())) {
          nodes.add(n);
          c &= n.inputs().equals(List.of(prev));
          prev = n.layer().name();
        }
      }
      chain = c;
      if (net.inputShape().rank() != 3 && net.inputShape().rank() != 1) {
        throw new UnsupportedException("the network's input " + net.inputShape() + " cannot be exported to DL4J:"
            + " Fovea exports (C, H, W) images and (K) vectors");
      }
    }

    UnsupportedException refuse(Layer l, String why) {
      return new UnsupportedException("layer '" + l.name() + "' (" + l.type() + ") cannot be exported to DL4J: "
          + why);
    }

    Shape in(Network.Node n, int i) {
      String from = n.inputs().get(i);
      return Network.INPUT.equals(from) ? net.inputShape() : net.outputShape(from);
    }

    String source(String foveaNode) {
      return alias.getOrDefault(foveaNode, foveaNode);
    }

    void params(String layer, String param, boolean buffer) {
      ParamLayout layout = buffer ? net.bufferLayout() : net.layout();
      float[] v = buffer ? model.buffers() : model.params();
      for (ParamLayout.Slice s : layout.slices()) {
        if (s.name().equals(layer + "." + param)) {
          flat.add(v, s.offset(), s.size());
          return;
        }
      }
      throw new IllegalStateException(layer + "." + param + " is not in the layout");
    }

    void constant(int n, float value) {
      for (int i = 0; i < n; i++) {
        flat.add(value);
      }
    }

    void run() {
      for (Network.Node n : nodes) {
        node(n);
      }
      String out = source(net.outputName());
      Layer last = net.layer(net.outputName());
      if (!(last instanceof Dense)) {
        if (net.outputShape(net.outputName()).rank() != 1) {
          throw refuse(last, "the network's output " + net.outputShape(net.outputName()) + " is not a vector of"
              + " class scores");
        }
        String name = unique("output");
        ObjectNode loss = base("LossLayer", name);
        loss.set("activationFn", softmax());
        loss.set("lossFn", mcxent());
        loss.put("nin", 0);
        loss.put("nout", 0);
        vertex(loss, name, List.of(out), null);
        out = name;
      }
      if (chain) {
        root.put("backpropType", "Standard");
        root.put("cacheMode", "NONE");
        ArrayNode confs = root.putArray("confs");
        ObjectNode pre = F.objectNode();
        for (int i = 0; i < vertices.size(); i++) {
          Object[] v = vertices.get(i);
          confs.add(conf((ObjectNode) v[0]));
          if (v[3] != null) {
            pre.set(Integer.toString(i), (ObjectNode) v[3]);
          }
        }
        root.put("dataType", "FLOAT");
        root.put("epochCount", 0);
        root.put("inferenceWorkspaceMode", "ENABLED");
        root.set("inputPreProcessors", pre);
        root.put("iterationCount", 0);
        root.put("tbpttBackLength", 20);
        root.put("tbpttFwdLength", 20);
        root.put("trainingWorkspaceMode", "ENABLED");
        root.put("validateOutputLayerConfig", true);
      } else {
        graph(out);
      }
    }

    final java.util.Set<String> taken = new java.util.HashSet<>();

    String unique(String base) {
      String n = base;
      for (int i = 2; taken.contains(n) || net.nodes().stream().anyMatch(x -> x.layer().name().equals(
          base)) && n.equals(base); i++) {
        n = base + "_" + i;
      }
      taken.add(n);
      return n;
    }

    void graph(String out) {
      root.put("backpropType", "Standard");
      root.put("cacheMode", "NONE");
      root.put("dataType", "FLOAT");
      ObjectNode def = conf(null);
      ArrayNode vars = F.arrayNode();
      ObjectNode vertexNodes = F.objectNode();
      ObjectNode vertexInputs = F.objectNode();
      ArrayNode topo = F.arrayNode();
      ArrayNode topoStr = F.arrayNode();
      topo.add(0);
      topoStr.add(Network.INPUT);
      int index = 1;
      for (Object[] v : vertices) {
        String name = (String) v[1];
        ObjectNode layer = (ObjectNode) v[0];
        ObjectNode vertex;
        if (layer.has("@class") && layer.get("@class").asText().startsWith(LAYERS)) {
          vertex = F.objectNode();
          vertex.put("@class", "org.deeplearning4j.nn.conf.graph.LayerVertex");
          ObjectNode c = conf(layer);
          c.withArray("variables").forEach(x -> vars.add(name + "_" + x.asText()));
          vertex.set("layerConf", c);
          vertex.put("outputVertex", false);
          vertex.set("preProcessor", v[3] == null ? F.nullNode() : (ObjectNode) v[3]);
        } else {
          vertex = layer;
        }
        vertexNodes.set(name, vertex);
        ArrayNode ins = vertexInputs.putArray(name);
        @SuppressWarnings("unchecked")
        List<String> from = (List<String>) v[2];
        from.forEach(ins::add);
        topo.add(index++);
        topoStr.add(name);
      }
      def.set("variables", vars);
      root.set("defaultConfiguration", def);
      root.put("epochCount", 0);
      root.put("inferenceWorkspaceMode", "ENABLED");
      root.put("iterationCount", 0);
      root.putArray("networkInputs").add(Network.INPUT);
      root.putArray("networkOutputs").add(out);
      root.put("tbpttBackLength", 20);
      root.put("tbpttFwdLength", 20);
      root.set("topologicalOrder", topo);
      root.set("topologicalOrderStr", topoStr);
      root.put("trainingWorkspaceMode", "ENABLED");
      root.put("validateOutputLayerConfig", true);
      root.set("vertexInputs", vertexInputs);
      root.set("vertices", vertexNodes);
    }

    /** DL4J's NeuralNetConfiguration around {@code layer} (null for a graph's default configuration). */
    ObjectNode conf(ObjectNode layer) {
      ObjectNode c = F.objectNode();
      c.put("cacheMode", "NONE");
      c.put("dataType", "FLOAT");
      c.put("epochCount", 0);
      c.put("iterationCount", 0);
      c.set("layer", layer == null ? F.nullNode() : layer);
      c.put("maxNumLineSearchIterations", 5);
      c.put("miniBatch", true);
      c.put("minimize", true);
      c.put("optimizationAlgo", "STOCHASTIC_GRADIENT_DESCENT");
      c.put("seed", 0);
      c.putNull("stepFunction");
      ArrayNode vars = c.putArray("variables");
      if (layer != null && layer.has("@variables")) {
        layer.remove("@variables").forEach(vars::add);
      }
      return c;
    }

    /** Adds a DL4J vertex; {@code inputs} are DL4J vertex names (or Network.INPUT). */
    void vertex(ObjectNode layer, String name, List<String> inputs, ObjectNode preProcessor) {
      taken.add(name);
      vertices.add(new Object[] {layer, name, inputs, preProcessor});
    }

    void node(Network.Node n) {
      Layer l = n.layer();
      String name = l.name();
      Shape s = in(n, 0);
      List<String> ins = new ArrayList<>();
      for (String x : n.inputs()) {
        ins.add(source(x));
      }
      ObjectNode pre = null;
      String x0 = n.inputs().get(0);
      if (flattened.containsKey(x0)) {
        Shape f = flattened.get(x0);
        pre = F.objectNode();
        pre.put("@class", "org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor");
        pre.put("format", "NCHW");
        pre.put("inputHeight", f.dim(1));
        pre.put("inputWidth", f.dim(2));
        pre.put("numChannels", f.dim(0));
        if (!chain) {
          // a graph flattens in a vertex of its own, which every reader of the flatten shares
          String fname = unique(x0);
          ObjectNode v = F.objectNode();
          v.put("@class", "org.deeplearning4j.nn.conf.graph.PreprocessorVertex");
          v.set("preProcessor", pre);
          vertex(v, fname, List.of(ins.get(0)), null);
          flattened.remove(x0);
          alias.put(x0, fname);
          ins.set(0, fname);
          pre = null;
        }
      }
      if (l instanceof Flatten) {
        if (s.rank() == 3) {
          flattened.put(name, s);
        } else if (s.rank() != 1) {
          throw refuse(l, "flattening a per-sample " + s + "; DL4J flattens (C, H, W)");
        }
        alias.put(name, ins.get(0));
        return;
      }
      if (l instanceof Dropout d) {
        ObjectNode j = feedForward("DropoutLayer", name, s.size(), s.size(), Dl4jActivations.toDl4j(
            dev.fovea.kernels.Activation.IDENTITY));
        ObjectNode drop = j.putObject("idropout");
        drop.put("@class", "org.deeplearning4j.nn.conf.dropout." + (d.spatial() ? "SpatialDropout" : "Dropout"));
        drop.put("p", 1 - d.rate());
        if (!d.spatial()) {
          drop.put("helperAllowFallback", true);
        }
        drop.putNull("pschedule");
        j.put("nin", 0);
        j.put("nout", 0);
        vertex(j, name, ins, pre);
        return;
      }
      ObjectNode j;
      if (l instanceof Convolution c) {
        if (c.kernel().length != 2) {
          throw refuse(l, "only 2D convolutions (DL4J's ConvolutionLayer) are exported");
        }
        if (c.groups() != 1) {
          throw refuse(l, "grouped convolution (" + c.groups() + " groups)");
        }
        j = conv(name, s.dim(0), c.filters(), c.kernel(), c.stride(), c.padding(), c.dilation(), c.same(), c.bias());
        if (c.bias()) {
          params(name, "bias", false);
        }
        params(name, "weights", false);
      } else if (l instanceof Conv2d c) {
        j = conv(name, s.dim(0), c.filters(), new int[] {c.kernel(), c.kernel()}, new int[] {c.stride(), c.stride()},
            new int[] {c.padding(), c.padding()}, new int[] {1, 1}, false, true);
        params(name, "bias", false);
        params(name, "weights", false);
      } else if (l instanceof Pooling p) {
        if (p.kernel().length != 2) {
          throw refuse(l, "only 2D pooling (DL4J's SubsamplingLayer) is exported");
        }
        j = pool(name, p.kind(), p.kernel(), p.stride(), p.same() ? new int[2] : p.padding(), p.same());
      } else if (l instanceof MaxPool2d p) {
        j = pool(name, PoolParams.Kind.MAX, new int[] {p.size(), p.size()}, new int[] {p.size(), p.size()},
            new int[2], false);
      } else if (l instanceof Dense d) {
        boolean output = name.equals(net.outputName());
        j = feedForward(output ? "OutputLayer" : "DenseLayer", name, s.size(), d.units(),
            output ? softmax() : Dl4jActivations.toDl4j(dev.fovea.kernels.Activation.IDENTITY));
        j.put("hasBias", true);
        if (output) {
          j.set("lossFn", mcxent());
        } else {
          j.put("hasLayerNorm", false);
        }
        j.putArray("@variables").add("W").add("b");
        params(name, "weights", false); // Fovea's (units, K) row-major is DL4J's (K, units) in 'f' order
        params(name, "bias", false);
      } else if (l instanceof BatchNorm b) {
        if (b.scale() != b.center()) {
          throw refuse(l, "batch norm with only one of scale and shift (DL4J locks both or neither)");
        }
        int ch = s.dim(0);
        j = feedForward("BatchNormalization", name, ch, ch, Dl4jActivations.toDl4j(
            dev.fovea.kernels.Activation.IDENTITY));
        j.put("beta", 0.0);
        j.put("cnn2DFormat", "NCHW");
        j.put("cudnnAllowFallback", true);
        j.put("decay", new java.math.BigDecimal("1").subtract(new java.math.BigDecimal(Double.toString(b.momentum())))
            .doubleValue());
        j.put("eps", b.epsilon());
        j.put("gamma", 1.0);
        j.put("lockGammaBeta", !b.scale());
        j.put("minibatch", true);
        j.put("useLogStd", false);
        ArrayNode vars = j.putArray("@variables");
        if (b.scale()) {
          vars.add("gamma").add("beta");
          params(name, "gamma", false);
          params(name, "beta", false);
        }
        vars.add("mean").add("var");
        params(name, "mean", true);
        params(name, "variance", true);
      } else if (l instanceof ActivationLayer a) {
        ObjectNode f = Dl4jActivations.toDl4j(a.function());
        if (f == null) {
          throw refuse(l, "activation " + a.function().kind() + " has no DL4J equivalent computing the same values");
        }
        j = base("ActivationLayer", name);
        j.set("activationFn", f);
      } else if (l instanceof GlobalPooling g) {
        if (s.rank() != 3) {
          throw refuse(l, "only 2D global pooling is exported");
        }
        j = base("GlobalPoolingLayer", name);
        j.put("collapseDimensions", true);
        j.put("pnorm", 2);
        j.putArray("poolingDimensions").add(2).add(3);
        j.put("poolingType", g.kind() == PoolParams.Kind.MAX ? "MAX" : "AVG");
      } else if (l instanceof Lrn r) {
        if (r.size() % 2 == 0) {
          throw refuse(l, "an even LRN window (" + r.size() + "), which DL4J centres differently");
        }
        j = base("LocalResponseNormalization", name);
        j.put("alpha", r.alpha() / r.size());
        j.put("beta", r.beta());
        j.put("cudnnAllowFallback", true);
        j.put("dataFormat", "NCHW");
        j.put("k", r.k());
        j.put("n", (double) r.size());
      } else if (l instanceof ZeroPadding z) {
        if (z.padBegin().length != 2) {
          throw refuse(l, "only 2D zero padding is exported");
        }
        j = base("ZeroPaddingLayer", name);
        j.put("dataFormat", "NCHW");
        j.putArray("padding").add(z.padBegin()[0]).add(z.padEnd()[0]).add(z.padBegin()[1]).add(z.padEnd()[1]);
      } else if (l instanceof Add a) {
        if (chain) {
          throw new IllegalStateException("an add in a chain");
        }
        String op = "Add";
        double[] w = a.scales();
        int k = n.inputs().size();
        if (w.length > 0) {
          boolean avg = true;
          boolean ones = true;
          for (double x : w) {
            avg &= Math.abs(x - 1.0 / k) < 1e-12;
            ones &= x == 1;
          }
          if (avg && !ones) {
            op = "Average";
          } else if (k == 2 && w[0] == 1 && w[1] == -1) {
            op = "Subtract";
          } else if (!ones) {
            throw refuse(l, "a weighted add " + java.util.Arrays.toString(w) + " (DL4J adds, averages or subtracts)");
          }
        }
        j = F.objectNode();
        j.put("@class", "org.deeplearning4j.nn.conf.graph.ElementWiseVertex");
        j.put("op", op);
      } else if (l instanceof Concat) {
        if (chain) {
          throw new IllegalStateException("a concat in a chain");
        }
        j = F.objectNode();
        j.put("@class", "org.deeplearning4j.nn.conf.graph.MergeVertex");
        j.put("mergeAxis", 1);
        j.put("modified", false);
      } else {
        throw refuse(l, "DL4J has no layer Fovea maps it to");
      }
      vertex(j, name, ins, pre);
    }

    ObjectNode base(String cls, String name) {
      ObjectNode j = F.objectNode();
      j.put("@class", LAYERS + cls);
      j.putNull("constraints");
      j.put("gradientNormalization", "None");
      j.put("gradientNormalizationThreshold", 1.0);
      j.putNull("idropout");
      j.put("layerName", name);
      return j;
    }

    ObjectNode feedForward(String cls, String name, int nIn, int nOut, ObjectNode activation) {
      ObjectNode j = base(cls, name);
      j.set("activationFn", activation);
      j.put("biasInit", 0.0);
      j.putNull("biasUpdater");
      j.put("gainInit", 1.0);
      ObjectNode u = j.putObject("iupdater");
      u.put("@class", "org.nd4j.linalg.learning.config.Sgd");
      u.put("learningRate", 0.001);
      j.put("nin", nIn);
      j.put("nout", nOut);
      j.putArray("regularization");
      j.putArray("regularizationBias");
      j.putNull("timeDistributedFormat");
      j.putObject("weightInitFn").put("@class", "org.deeplearning4j.nn.weights.WeightInitXavier");
      j.putNull("weightNoise");
      return j;
    }

    ObjectNode conv(String name, int nIn, int nOut, int[] k, int[] s, int[] p, int[] d, boolean same, boolean bias) {
      ObjectNode j = feedForward("ConvolutionLayer", name, nIn, nOut, Dl4jActivations.toDl4j(
          dev.fovea.kernels.Activation.IDENTITY));
      j.put("cnn2dDataFormat", "NCHW");
      j.put("convolutionMode", same ? "Same" : "Truncate");
      j.put("cudnnAlgoMode", "PREFER_FASTEST");
      j.put("cudnnAllowFallback", true);
      j.putArray("dilation").add(d[0]).add(d[1]);
      j.put("hasBias", bias);
      j.putArray("kernelSize").add(k[0]).add(k[1]);
      j.putArray("padding").add(same ? 0 : p[0]).add(same ? 0 : p[1]);
      j.putArray("stride").add(s[0]).add(s[1]);
      ArrayNode vars = j.putArray("@variables").add("W");
      if (bias) {
        vars.add("b");
      }
      return j;
    }

    ObjectNode pool(String name, PoolParams.Kind kind, int[] k, int[] s, int[] p, boolean same) {
      if (kind != PoolParams.Kind.MAX && kind != PoolParams.Kind.AVG) {
        throw new UnsupportedException("layer '" + name + "' cannot be exported to DL4J: pooling kind " + kind);
      }
      ObjectNode j = base("SubsamplingLayer", name);
      j.put("avgPoolIncludePadInDivisor", false);
      j.put("cnn2dDataFormat", "NCHW");
      j.put("convolutionMode", same ? "Same" : "Truncate");
      j.put("cudnnAllowFallback", true);
      j.putArray("dilation").add(1).add(1);
      j.put("eps", 1e-8);
      j.putArray("kernelSize").add(k[0]).add(k[1]);
      j.putArray("padding").add(p[0]).add(p[1]);
      j.put("pnorm", 0);
      j.put("poolingType", kind == PoolParams.Kind.MAX ? "MAX" : "AVG");
      j.putArray("stride").add(s[0]).add(s[1]);
      return j;
    }

    static ObjectNode softmax() {
      return F.objectNode().put("@class", Dl4jActivations.PACKAGE + "ActivationSoftmax");
    }

    static ObjectNode mcxent() {
      ObjectNode l = F.objectNode();
      l.put("@class", "org.nd4j.linalg.lossfunctions.impl.LossMCXENT");
      l.put("softmaxClipEps", 1e-10);
      return l;
    }

    float[] flatArray() {
      return flat.toArray();
    }

    ObjectNode foveaEntry() {
      ObjectNode f = F.objectNode();
      f.put("format", 1);
      ArrayNode in = f.putArray("input");
      for (int d : net.inputShape().dims()) {
        in.add(d);
      }
      ArrayNode cls = f.putArray("classNames");
      model.classNames().forEach(cls::add);
      if (model.zoo() != null) {
        f.put("zoo", model.zoo());
      }
      ObjectNode prov = f.putObject("provenance");
      model.provenance().forEach(prov::put);
      return f;
    }
  }

  /** A growable float array (the flat parameter vector). */
  private static final class FloatList {
    float[] a = new float[1024];
    int n;

    void add(float v) {
      if (n == a.length) {
        a = java.util.Arrays.copyOf(a, dev.fovea.kernels.Sizes.toInt(2L * a.length, "DL4J parameter vector"));
      }
      a[n++] = v;
    }

    void add(float[] v, int from, int count) {
      if (n + (long) count > a.length) {
        a = java.util.Arrays.copyOf(a, dev.fovea.kernels.Sizes.toInt(Math.max(2L * a.length, (long) n + count),
            "DL4J parameter vector"));
      }
      System.arraycopy(v, from, a, n, count);
      n += count;
    }

    int size() {
      return n;
    }

    float[] toArray() {
      return java.util.Arrays.copyOf(a, n);
    }
  }
}
