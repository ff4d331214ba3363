package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NetworkGraphTest {

  private static Convolution conv(String name, int filters, int k, int pad) {
    return Convolution.conv2d(name, filters, k, 1, pad, true);
  }

  /**
   * A small graph with a residual addition, a concatenation of two branches, an auxiliary head and
   * one layer of most kinds, for (2, 8, 8) inputs and 3 classes.
   */
  static Network graph(boolean withDropout) {
    Network.Builder b = Network.builder(Shape.of(2, 8, 8))
        .then(conv("stem", 4, 3, 1))
        .then(BatchNorm.of("stem_bn"))
        .then(new Prelu("stem_prelu", true))
        .add(conv("left", 4, 3, 1), "stem_prelu")
        .then(new ActivationLayer("left_tanh", Activation.of(Activation.Kind.TANH)))
        .add(new Add("residual", new double[] {1, 0.5}), "left_tanh", "stem_prelu")
        .add(Pooling.max2d("right_pool", 2, 2, 0), "stem_prelu")
        .then(new Upsampling("right_up", ResamplingParams.Kind.NEAREST, 2))
        .then(new ZeroPadding("right_pad", new int[] {1, 1}, new int[] {1, 1}))
        .then(conv("right_conv", 3, 3, 0))
        .add(new Concat("mixed"), "residual", "right_conv")
        .then(new Lrn("lrn", 3, 1e-2, 0.75, 1))
        .then(new Deconvolution("deconv", 2, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}, new int[] {0, 0},
            true, Initializer.GLOROT_UNIFORM))
        .then(Pooling.avg2d("avg", 2, 2, 0))
        .then(new ActivationLayer("swish", Activation.of(Activation.Kind.SWISH)));
    if (withDropout) {
      b.then(new Dropout("drop", 0.3, false));
    }
    b.then(new GlobalPooling("gap", PoolParams.Kind.AVG)).then(new Dense("fc", 3, Initializer.GLOROT_UNIFORM))
        .add(new GlobalPooling("aux_gap", PoolParams.Kind.MAX), "mixed")
        .then(new Dense("aux_fc", 3, Initializer.GLOROT_UNIFORM))
        .output("fc").auxOutput("aux_fc", 0.3);
    return b.build();
  }

  private static Tensor batch(int n, Shape sample, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * sample.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return Tensor.wrap(x, sample.prepend(n));
  }

  @Test
  void graphInfersShapesCountsParametersAndSummarises() {
    Network net = graph(true);
    assertEquals(Shape.of(7, 8, 8), net.outputShape("mixed"));
    assertEquals(Shape.of(2, 16, 16), net.outputShape("deconv"));
    assertEquals(3, net.numClasses());
    // stem 4·2·9+4, bn 4+4, prelu 4, left 4·4·9+4, right_conv 3·4·9+3, deconv 7·2·4+2, fc 2·3+3, aux_fc 7·3+3
    assertEquals(76 + 8 + 4 + 148 + 111 + 58 + 9 + 24, net.layout().size());
    assertEquals(8, net.bufferLayout().size());
    String s = net.summary();
    System.out.println(s);
    assertTrue(s.contains("left_tanh, stem_prelu"), s);
    assertTrue(s.contains("[auxiliary output]"), s);
    assertTrue(s.contains("total parameters: 446"), s);
    assertTrue(s.contains("non-trainable (buffers): 8"), s);
  }

  /**
   * Layers lower themselves: the graph a compiler sees has each layer's own op (a layer defined
   * outside this package included) and a host op where a layer has none.
   */
  @Test
  void eachLayerLowersItselfAndTheRestRunOnTheHost() {
    Network net = Network.builder(Shape.of(2, 6, 6)).then(conv("conv", 3, 3, 1))
        .then(new ScaledCopy("native_scale", 0.5, true)).then(new ScaledCopy("host_scale", 2, false))
        .then(new Upsampling("up", ResamplingParams.Kind.NEAREST, 2)).then(new Flatten("flat"))
        .then(new Dense("fc", 3, Initializer.GLOROT_UNIFORM)).build();
    List<NetworkGraph.Node> nodes = net.graph(true, new java.util.BitSet()).nodes();
    assertTrue(nodes.get(0).op() instanceof NetworkGraph.Convolution);
    assertTrue(nodes.get(1).op() instanceof NetworkGraph.Sum s && s.scales()[0] == 0.5, "user layer's own op");
    assertTrue(nodes.get(2).op() instanceof NetworkGraph.Host, "a layer without a lowering runs on the host");
    assertTrue(nodes.get(3).op() instanceof NetworkGraph.Host);
    assertTrue(nodes.get(4).op() instanceof NetworkGraph.Flatten);
    assertTrue(nodes.get(5).op() instanceof NetworkGraph.InnerProduct);
  }

  @Test
  void shapeErrorsNameTheLayerAndBothShapes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Network.builder(Shape.of(3, 8, 8))
        .then(Convolution.conv2d("conv1", 32, 3, 1, 1, false))
        .then(new Convolution("conv3", 16, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, false,
            new int[] {1, 1}, 1, false, 64, Initializer.HE_NORMAL))
        .then(new GlobalPooling("gap", PoolParams.Kind.AVG)).build());
    assertTrue(e.getMessage().startsWith("conv3: expects 64 input channels, got 32"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> Network.builder(Shape.of(3, 8, 8))
        .then(Convolution.conv2d("a", 8, 3, 1, 1, false))
        .add(Convolution.conv2d("b", 4, 3, 1, 1, false), "input")
        .add(Add.of("sum"), "a", "b").then(new GlobalPooling("gap", PoolParams.Kind.AVG)).build());
    assertEquals("sum: input 2 has shape (4, 8, 8), expects (8, 8, 8) like input 1", e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> Network.builder(Shape.of(3, 8, 8))
        .then(Convolution.conv2d("a", 8, 3, 1, 1, false))
        .add(Convolution.conv2d("b", 4, 3, 2, 1, false), "input")
        .add(new Concat("cat"), "a", "b").then(new GlobalPooling("gap", PoolParams.Kind.AVG)).build());
    assertTrue(e.getMessage().startsWith("cat: input 2 has shape (4, 4, 4), expects (C, 8, 8)"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> Network.builder(Shape.of(3, 8, 8))
        .add(Convolution.conv2d("a", 8, 3, 1, 1, false), "nowhere").build());
    assertTrue(e.getMessage().startsWith("a: input 'nowhere' is not a layer defined before it"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> Network.builder(Shape.of(3, 4, 4))
        .then(Convolution.conv2d("big", 8, 7, 1, 0, false)).then(new Flatten("f")).build());
    assertTrue(e.getMessage().startsWith("big: "), e.getMessage());
  }

  /** The whole graph's gradient, in double, against central differences, through every layer kind. */
  @Test
  void graphGradientMatchesFiniteDifferencesInDouble() {
    Network net = graph(true);
    float[] init = net.layout().initialize(5);
    double[] p = new double[init.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = init[i] + 0.05 * Math.sin(i);
    }
    double[] g = new double[p.length];
    SplittableRandom rng = new SplittableRandom(6);
    double[] x = new double[3 * 128];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    Tensor src = Tensor.wrap(x, Shape.of(3, 2, 8, 8));
    int[] labels = {2, 0, 1};
    ReferenceBackend b = new ReferenceBackend();
    net.lossAndGradient(b, p, g, src, labels);
    double[] probe = p.clone();
    for (ParamLayout.Slice s : net.layout().slices()) {
      for (int k = 0; k < 2; k++) {
        int i = s.offset() + (k * 7919) % s.size();
        double h = 1e-6;
        probe[i] = p[i] + h;
        double plus = lossWithAux(net, b, probe, src, labels);
        probe[i] = p[i] - h;
        double minus = lossWithAux(net, b, probe, src, labels);
        probe[i] = p[i];
        double numeric = (plus - minus) / (2 * h);
        assertEquals(numeric, g[i], 1e-6 + 1e-4 * Math.abs(numeric), s.name() + "[" + (i - s.offset()) + "]");
      }
    }
  }

  /** The mean training loss the gradient belongs to: main head plus 0.3 times the auxiliary head. */
  private static double lossWithAux(Network net, ReferenceBackend b, double[] p, Tensor src, int[] labels) {
    Network aux = auxAsMain(net);
    double main = net.lossAndGradient(b, p, new double[p.length], src, labels);
    double a = aux.lossAndGradient(b, p, new double[p.length], src, labels);
    return (main + 0.3 * a) / labels.length;
  }

  /** The same graph with the auxiliary head as its only output (same layout, same node order). */
  private static Network auxAsMain(Network net) {
    Network.Builder b = Network.builder(net.inputShape());
    net.nodes().forEach(n -> b.add(n.layer(), n.inputs().toArray(String[]::new)));
    return b.output("aux_fc").build();
  }

  @Test
  void dropoutIsAPureFunctionOfTheSeedAndOffInEvaluation() {
    Network net = graph(true);
    float[] p = net.layout().initialize(1);
    Tensor src = batch(2, net.inputShape(), 3);
    ReferenceBackend b = new ReferenceBackend();
    float[] g1 = new float[p.length];
    float[] g2 = new float[p.length];
    float[] g3 = new float[p.length];
    net.lossAndGradient(b, p, net.bufferLayout().initialize(0), g1, src, new int[] {0, 1}, 11);
    net.lossAndGradient(b, p, net.bufferLayout().initialize(0), g2, src, new int[] {0, 1}, 11);
    net.lossAndGradient(b, p, net.bufferLayout().initialize(0), g3, src, new int[] {0, 1}, 12);
    assertArrayEquals(g1, g2);
    assertFalse(Arrays.equals(g1, g3));
    // evaluation ignores dropout: the graph with and without it gives the same logits
    Network plain = graph(false);
    float[] buf = net.bufferLayout().initialize(0);
    assertArrayEquals(plain.forward(b, p, buf, src).toFloatArray(), net.forward(b, p, buf, src).toFloatArray());
  }

  @Test
  void trainingUpdatesBatchNormBuffersAndEvaluationUsesThem() {
    Network net = graph(false);
    float[] p = net.layout().initialize(1);
    float[] buf = net.bufferLayout().initialize(0);
    float[] before = buf.clone();
    Tensor src = batch(4, net.inputShape(), 5);
    ReferenceBackend b = new ReferenceBackend();
    Tensor fresh = net.forward(b, p, buf, src);
    assertArrayEquals(before, buf, "evaluation leaves the buffers alone");
    net.lossAndGradient(b, p, buf, new float[p.length], src, new int[] {0, 1, 2, 0}, 1);
    assertFalse(Arrays.equals(before, buf), "training updates the running statistics");
    ParamLayout.Slice mean = net.bufferLayout().slice("stem_bn.mean");
    assertEquals(0, mean.offset());
    assertFalse(Arrays.equals(fresh.toFloatArray(), net.forward(b, p, buf, src).toFloatArray()));
  }

  @Test
  void jsonRoundTripRebuildsTheSameNetwork() {
    Network net = graph(true);
    String json = NetworkJson.toJsonString(net);
    Network back = NetworkJson.parse(json, "graph.json");
    assertEquals(net.nodes(), back.nodes());
    assertEquals(net.layout().slices().stream().map(ParamLayout.Slice::name).toList(),
        back.layout().slices().stream().map(ParamLayout.Slice::name).toList());
    assertEquals(net.auxHeads(), back.auxHeads());
    float[] p = net.layout().initialize(2);
    float[] buf = net.bufferLayout().initialize(2);
    Tensor src = batch(2, net.inputShape(), 9);
    ReferenceBackend b = new ReferenceBackend();
    assertArrayEquals(net.forward(b, p, buf, src).toFloatArray(), back.forward(b, p, buf, src).toFloatArray());
    for (String name : Zoo.names()) {
      Network z = Zoo.build(name, Zoo.designInput(name), 10);
      assertEquals(z.nodes(), NetworkJson.parse(NetworkJson.toJsonString(z), name).nodes(), name);
    }
  }

  @Test
  void handWrittenJsonUsesDefaultsAndShorthands() {
    String json = """
        {"input_shape": [1, 12, 12],
         "layers": [
           {"type": "convolution", "name": "conv1", "filters": 4, "kernel": 3, "padding": 1},
           {"type": "batch_norm", "name": "bn1"},
           {"type": "activation", "name": "relu1", "function": "relu"},
           {"type": "convolution", "name": "conv2", "filters": 4, "kernel": [3, 3], "padding": [1, 1], "bias": false},
           {"type": "add", "name": "res", "inputs": ["conv2", "relu1"]},
           {"type": "pooling", "name": "pool", "kind": "MAX", "kernel": [2, 2], "stride": 2},
           {"type": "flatten", "name": "flat"},
           {"type": "dense", "name": "fc", "units": 10}]}
        """;
    Network net = NetworkJson.parse(json, "net.json");
    assertEquals(Shape.of(4, 6, 6), net.outputShape("pool"));
    assertEquals(4 * 9 + 4 + 8 + 4 * 4 * 9 + 144 * 10 + 10, net.layout().size());
    assertEquals(List.of("conv1.weights", "conv1.bias", "bn1.gamma", "bn1.beta", "conv2.weights", "fc.weights",
        "fc.bias"), net.layout().slices().stream().map(ParamLayout.Slice::name).toList());
    assertEquals(new Convolution("conv1", 4, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, false,
        new int[] {1, 1}, 1, true, 0, Initializer.GLOROT_UNIFORM), net.layer("conv1"));
  }

  @Test
  void badJsonGivesClearErrors() {
    NetworkJson.NetworkJsonException e = assertThrows(NetworkJson.NetworkJsonException.class, () -> NetworkJson.parse(
        "{\"input_shape\": [1, 4, 4], \"layers\": [{\"type\": \"capsule\", \"name\": \"caps\"}]}", "net.json"));
    assertTrue(e.getMessage().startsWith("net.json: layer 1 ('caps'): unknown layer type 'capsule'; known: "),
        e.getMessage());
    e = assertThrows(NetworkJson.NetworkJsonException.class, () -> NetworkJson.parse(
        "{\"input_shape\": [1, 4, 4], \"layers\": [{\"type\": \"dense\", \"name\": \"fc\"}]}", "net.json"));
    assertEquals("net.json: layer 1 ('fc'): missing field 'units'", e.getMessage());
    e = assertThrows(NetworkJson.NetworkJsonException.class, () -> NetworkJson.parse(
        "{\"input_shape\": [1, 4, 4], \"layers\": [{\"type\": \"dense\", \"name\": \"fc\", \"units\": 3}]}",
        "net.json"));
    assertTrue(e.getMessage().startsWith("net.json: fc: expects a flat (K) input, got (1, 4, 4)"), e.getMessage());
    e = assertThrows(NetworkJson.NetworkJsonException.class, () -> NetworkJson.parse("{\"input_shape\": [", "n.json"));
    assertTrue(e.getMessage().startsWith("n.json: not valid JSON"), e.getMessage());
  }

  @Test
  void yamlDescribesTheSameNetworks() {
    String yaml = """
        input_shape: [1, 12, 12]
        layers:
          - {type: convolution, name: conv1, filters: 4, kernel: 3, padding: 1}
          - {type: activation, name: relu1, function: relu}
          - {type: convolution, name: conv2, filters: 4, kernel: 3, padding: 1}
          - {type: add, name: res, inputs: [conv2, relu1]}
          - {type: global_pooling, name: gap, kind: avg}
          - {type: dense, name: fc, units: 10}
        """;
    Network net = NetworkJson.parseYaml(yaml, "net.yaml");
    assertEquals(List.of("conv1", "relu1", "conv2", "res", "gap", "fc"),
        net.layers().stream().map(Layer::name).toList());
    assertEquals(40 + 148 + 50, net.layout().size());
    NetworkJson.NetworkJsonException e = assertThrows(NetworkJson.NetworkJsonException.class,
        () -> NetworkJson.parseYaml("input_shape: [1, 4, 4]\nlayers:\n  - {type: nope, name: n}\n", "n.yaml"));
    assertTrue(e.getMessage().startsWith("n.yaml: layer 1 ('n'): unknown layer type 'nope'"), e.getMessage());
  }

  private static void checkGradient(Network net, Tensor src, int[] labels) {
    float[] init = net.layout().initialize(5);
    double[] p = new double[init.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = init[i] + 0.05 * Math.sin(i);
    }
    double[] g = new double[p.length];
    ReferenceBackend b = new ReferenceBackend();
    net.lossAndGradient(b, p, g, src, labels);
    double[] probe = p.clone();
    for (ParamLayout.Slice s : net.layout().slices()) {
      int i = s.offset() + 7919 % s.size();
      double h = 1e-6;
      probe[i] = p[i] + h;
      double plus = net.lossAndGradient(b, probe, new double[p.length], src, labels);
      probe[i] = p[i] - h;
      double minus = net.lossAndGradient(b, probe, new double[p.length], src, labels);
      probe[i] = p[i];
      double numeric = (plus - minus) / (2 * h) / labels.length;
      assertEquals(numeric, g[i], 1e-6 + 1e-4 * Math.abs(numeric), s.name());
    }
  }

  static Tensor doubles(Shape shape, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[shape.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextGaussian();
    }
    return Tensor.wrap(x, shape);
  }

  @Test
  void oneAndThreeDimensionalNetworksTrainWithCorrectGradients() {
    Network seq = Network.builder(Shape.of(2, 16))
        .then(new Convolution("conv", 4, new int[] {3}, new int[] {1}, new int[] {1}, false, new int[] {1}, 1, true, 0,
            Initializer.HE_NORMAL))
        .then(new Rrelu("rrelu", 0.1, 0.3))
        .then(new Pooling("pool", PoolParams.Kind.MAX, new int[] {2}, new int[] {2}, new int[] {0}, false))
        .then(new GlobalPooling("gap", PoolParams.Kind.AVG)).then(new Dense("fc", 3, Initializer.GLOROT_UNIFORM))
        .build();
    assertEquals(Shape.of(4, 8), seq.outputShape("pool"));
    checkGradient(seq, doubles(Shape.of(3, 2, 16), 1), new int[] {0, 1, 2});
    Network vol = Network.builder(Shape.of(1, 6, 6, 6))
        .then(new Convolution("conv", 3, new int[] {3, 3, 3}, new int[] {1, 1, 1}, new int[] {0, 0, 0}, true,
            new int[] {1, 1, 1}, 1, false, 0, Initializer.HE_NORMAL))
        .then(BatchNorm.of("bn"))
        .then(new Pooling("pool", PoolParams.Kind.AVG, new int[] {2, 2, 2}, new int[] {2, 2, 2}, new int[] {0, 0, 0},
            false))
        .then(new Flatten("flat")).then(new Dense("fc", 2, Initializer.GLOROT_UNIFORM))
        .build();
    assertEquals(Shape.of(3, 3, 3, 3), vol.outputShape("pool"));
    assertEquals("conv3d", vol.layer("conv").type());
    checkGradient(vol, doubles(Shape.of(2, 1, 6, 6, 6), 2), new int[] {0, 1});
    assertEquals(seq.nodes(), NetworkJson.parse(NetworkJson.toJsonString(seq), "seq.json").nodes());
  }
}
