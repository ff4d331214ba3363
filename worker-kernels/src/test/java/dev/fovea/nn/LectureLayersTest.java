package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.DType;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

/**
 * The layers of the lecture's upsampling and pooling family: bed-of-nails upsampling, max-unpooling
 * paired with a named pool, pooling across channels and adaptive pooling. Each: a hand example, the
 * gradient of a network through it against central differences in double, and its JSON round trip.
 */
class LectureLayersTest {

  private static final ReferenceBackend B = new ReferenceBackend();

  private static Tensor doubles(Shape shape, long seed) {
    return NetworkGraphTest.doubles(shape, seed);
  }

  /** Every parameter's gradient in double against central differences of the mean loss. */
  static void checkGradient(Network net, Tensor src, int[] labels) {
    float[] init = net.layout().initialize(5);
    double[] p = new double[init.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = init[i] + 0.05 * Math.sin(i);
    }
    double[] g = new double[p.length];
    net.lossAndGradient(B, p, g, src, labels);
    double[] probe = p.clone();
    for (int i = 0; i < p.length; i++) {
      double h = 1e-6;
      probe[i] = p[i] + h;
      double plus = net.lossAndGradient(B, probe, new double[p.length], src, labels);
      probe[i] = p[i] - h;
      double minus = net.lossAndGradient(B, probe, new double[p.length], src, labels);
      probe[i] = p[i];
      double numeric = (plus - minus) / (2 * h) / labels.length;
      assertEquals(numeric, g[i], 1e-6 + 1e-4 * Math.abs(numeric), "parameter " + i);
    }
  }

  static void assertJsonRoundTrip(Network net) {
    Network back = NetworkJson.parse(NetworkJson.toJsonString(net), "net.json");
    assertEquals(net.nodes(), back.nodes());
    float[] p = net.layout().initialize(3);
    float[] buf = net.bufferLayout().initialize(3);
    Tensor x = doubles(net.inputShape().prepend(2), 4);
    Tensor f = Tensor.wrap(x.toFloatArray(), x.shape());
    assertArrayEquals(net.forward(B, p, buf, f).toFloatArray(), back.forward(B, p, buf, f).toFloatArray());
  }

  @Test
  void bedOfNailsLayerPlacesValuesTopLeft() {
    Upsampling up = new Upsampling("up", ResamplingParams.Kind.BED_OF_NAILS, 2);
    Tensor src = Tensor.wrap(new double[] {1, 2, 3, 4}, Shape.of(1, 1, 2, 2));
    Tensor dst = up.forward(B, src, new Tensor[0], LayerContext.evaluation());
    assertArrayEquals(new double[] {1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0}, dst.toDoubleArray());
    Network net = Network.builder(Shape.of(1, 4, 4))
        .then(Convolution.conv2d("conv", 2, 3, 1, 1, true))
        .then(up)
        .then(Convolution.conv2d("smooth", 2, 3, 1, 1, true))
        .then(new GlobalPooling("gap", PoolParams.Kind.AVG)).then(new Dense("fc", 3, Initializer.GLOROT_UNIFORM))
        .build();
    assertEquals(Shape.of(2, 8, 8), net.outputShape("up"));
    checkGradient(net, doubles(Shape.of(2, 1, 4, 4), 1), new int[] {0, 2});
    assertJsonRoundTrip(net);
  }

  /** SegNet's decoder step: pool with indices, then put values back where the maxima were. */
  @Test
  void maxUnpoolingPairsWithANamedPool() {
    Network net = Network.builder(Shape.of(1, 4, 4))
        .then(Convolution.conv2d("conv", 2, 3, 1, 1, true))
        .then(Pooling.max2d("pool", 2, 2, 0))
        .then(Convolution.conv2d("mid", 2, 1, 1, 0, true))
        .then(MaxUnpooling.of("unpool", "pool"))
        .then(new GlobalPooling("gap", PoolParams.Kind.AVG)).then(new Dense("fc", 3, Initializer.GLOROT_UNIFORM))
        .build();
    assertEquals(Shape.of(2, 4, 4), net.outputShape("unpool"));
    assertEquals(java.util.List.of("mid", "conv"), net.nodes().get(3).inputs());
    checkGradient(net, doubles(Shape.of(2, 1, 4, 4), 2), new int[] {1, 2});
    assertJsonRoundTrip(net);

    // By hand: maxima of [[1, 5], [3, 2]] at (0, 1), of [[0, 0], [7, 1]] at (1, 0), ...
    MaxUnpooling bound = (MaxUnpooling) net.layer("unpool");
    Tensor poolInput = Tensor.wrap(new double[] {1, 5, 0, 0, 3, 2, 7, 1, 9, 0, 0, 0, 0, 0, 0, 4},
        Shape.of(1, 1, 4, 4));
    Tensor values = Tensor.wrap(new double[] {10, 20, 30, 40}, Shape.of(1, 1, 2, 2));
    LayerContext ctx = new LayerContext(true, 0, new Tensor[0], true);
    Tensor dst = bound.forward(B, new Tensor[] {values, poolInput}, new Tensor[0], ctx);
    assertArrayEquals(new double[] {0, 10, 0, 0, 0, 0, 20, 0, 30, 0, 0, 0, 0, 0, 0, 40}, dst.toDoubleArray());
    Tensor diffDst = Tensor.wrap(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
        Shape.of(1, 1, 4, 4));
    Tensor[] diffs = bound.backward(B, new Tensor[] {values, poolInput}, dst, diffDst, new Tensor[0], new Tensor[0],
        ctx);
    assertArrayEquals(new double[] {2, 7, 9, 16}, diffs[0].toDoubleArray());

    String json = """
        {"input_shape": [1, 4, 4],
         "layers": [
           {"type": "pooling", "name": "p", "kind": "max", "kernel": 2, "stride": 2},
           {"type": "max_unpooling", "name": "u", "pool": "p"},
           {"type": "flatten", "name": "f"},
           {"type": "dense", "name": "fc", "units": 2}]}
        """;
    Network fromJson = NetworkJson.parse(json, "segnet.json");
    assertEquals(Shape.of(1, 4, 4), fromJson.outputShape("u"));
    NetworkJson.NetworkJsonException e = assertThrows(NetworkJson.NetworkJsonException.class,
        () -> NetworkJson.parse(json.replace("\"kind\": \"max\"", "\"kind\": \"avg\""), "segnet.json"));
    assertEquals("segnet.json: u: pool 'p' must be a max-pooling layer, got a avgpool2d", e.getMessage());
    e = assertThrows(NetworkJson.NetworkJsonException.class,
        () -> NetworkJson.parse(json.replace("\"pool\": \"p\"", "\"pool\": \"q\""), "segnet.json"));
    assertEquals("segnet.json: u: pool 'q' is not a single-input layer defined before it", e.getMessage());
    assertEquals(DType.FLOAT64, dst.dtype());
  }

  /** Maxout and its average over groups of k consecutive channels, by hand, on a (4, 1, 2) sample. */
  @Test
  void channelPoolingTakesMaxAndAverageOverChannelGroups() {
    Tensor src = Tensor.wrap(new double[] {1, 8, 3, 2, 5, 0, -1, 7}, Shape.of(1, 4, 1, 2));
    ChannelPooling maxout = new ChannelPooling("maxout", PoolParams.Kind.MAX, 2);
    LayerContext ctx = LayerContext.evaluation();
    Tensor dst = maxout.forward(B, src, new Tensor[0], ctx);
    assertEquals(Shape.of(1, 2, 1, 2), dst.shape());
    assertArrayEquals(new double[] {3, 8, 5, 7}, dst.toDoubleArray());
    Tensor diffDst = Tensor.wrap(new double[] {10, 20, 30, 40}, Shape.of(1, 2, 1, 2));
    assertArrayEquals(new double[] {0, 20, 10, 0, 30, 0, 0, 40},
        maxout.backward(B, src, dst, diffDst, new Tensor[0], new Tensor[0], ctx).toDoubleArray());
    ChannelPooling avg = new ChannelPooling("avg", PoolParams.Kind.AVG, 4);
    assertArrayEquals(new double[] {2, 4.25}, avg.forward(B, src, new Tensor[0], ctx).toDoubleArray(), 1e-15);
    ChannelPooling units = new ChannelPooling("units", PoolParams.Kind.MAX, 4);
    assertArrayEquals(new double[] {8, 7}, units.forward(B, Tensor.wrap(new double[] {1, 8, 3, 2, 5, 0, -1, 7},
        Shape.of(2, 4)), new Tensor[0], ctx).toDoubleArray());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ChannelPooling("m", PoolParams.Kind.MAX, 3).outputShape(Shape.of(4, 2, 2)));
    assertEquals("m: 4 channels are not a multiple of k = 3 in (4, 2, 2)", e.getMessage());

    Network net = Network.builder(Shape.of(1, 5, 5))
        .then(Convolution.conv2d("conv", 6, 3, 1, 1, true))
        .then(new ChannelPooling("maxout", PoolParams.Kind.MAX, 3))
        .then(Convolution.conv2d("conv2", 4, 3, 1, 0, true))
        .then(new ChannelPooling("avgc", PoolParams.Kind.AVG, 2))
        .then(new Flatten("flat")).then(new Dense("fc", 6, Initializer.GLOROT_UNIFORM))
        .then(new ChannelPooling("maxout_fc", PoolParams.Kind.MAX, 2))
        .build();
    assertEquals(Shape.of(2, 5, 5), net.outputShape("maxout"));
    assertEquals(Shape.of(2, 3, 3), net.outputShape("avgc"));
    assertEquals(Shape.of(3), net.outputShape("maxout_fc"));
    checkGradient(net, doubles(Shape.of(2, 1, 5, 5), 3), new int[] {0, 2});
    assertJsonRoundTrip(net);
  }
  /** The new activations inside a network: gradients in double and the JSON forms (a missing maximum is +∞). */
  @Test
  void newActivationsTrainAndRoundTrip() {
    Network net = Network.builder(Shape.of(1, 5, 5))
        .then(Convolution.conv2d("conv", 4, 3, 1, 1, true))
        .then(new ActivationLayer("bipolar", Activation.of(Activation.Kind.BIPOLAR_RELU)))
        .then(Convolution.conv2d("conv2", 4, 3, 1, 0, true))
        .then(new ActivationLayer("pflu", Activation.of(Activation.Kind.PFLU)))
        .then(new Flatten("flat")).then(new Dense("fc1", 6, Initializer.GLOROT_UNIFORM))
        .then(new ActivationLayer("fpflu", Activation.of(Activation.Kind.FPFLU)))
        .then(new ActivationLayer("krelu", Activation.kerasRelu(0.2, null, -0.3)))
        .then(new Dense("fc2", 3, Initializer.GLOROT_UNIFORM))
        .build();
    checkGradient(net, doubles(Shape.of(2, 1, 5, 5), 7), new int[] {0, 2});
    assertJsonRoundTrip(net);
    Network fromJson = NetworkJson.parse("""
        {"input_shape": [4],
         "layers": [{"type": "activation", "name": "a", "function": {"kind": "keras_relu", "alpha": 0.1, "gamma": 1}},
                    {"type": "activation", "name": "e", "function": {"kind": "elu"}},
                    {"type": "dense", "name": "fc", "units": 2}]}
        """, "k.json");
    assertEquals(Activation.kerasRelu(0.1, null, 1), ((ActivationLayer) fromJson.layer("a")).function());
    assertEquals(1, ((ActivationLayer) fromJson.layer("e")).function().alpha());
    NetworkJson.NetworkJsonException e = assertThrows(NetworkJson.NetworkJsonException.class, () -> NetworkJson.parse(
        "{\"input_shape\": [4], \"layers\": [{\"type\": \"activation\", \"name\": \"a\", \"function\": "
        + "{\"kind\": \"keras_relu\", \"beta\": 1, \"gamma\": 2}}]}", "k.json"));
    assertTrue(e.getMessage().startsWith("k.json: layer 1 ('a'): field 'function': eltwise: KERAS_RELU max_value"),
        e.getMessage());
  }

  /**
   * Every layer with weights takes any initialiser, in the graph API and by name in JSON; left out,
   * the documented default (Glorot uniform) stays, and {@code he_normal} keeps its PyTorch meaning.
   */
  @Test
  void everyWeightedLayerTakesAnyInitialiserByName() {
    Network net = Network.builder(Shape.of(2, 6, 6))
        .then(new Convolution("conv", 4, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, false,
            new int[] {1, 1}, 1, true, 0, WeightInit.orthogonal()))
        .then(new Conv2d("conv2d", 3, 3, 1, 1, WeightInit.constant(0.25)))
        .then(new Deconvolution("deconv", 2, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}, new int[] {0, 0},
            true, WeightInit.randomNormal(0, 0.5)))
        .then(new GlobalPooling("gap", PoolParams.Kind.AVG))
        .then(new Dense("fc", 3, WeightInit.lecunUniform()))
        .build();
    float[] p = net.layout().initialize(11);
    ParamLayout.Slice conv = net.layout().slices().get(0);
    assertEquals(WeightInit.orthogonal(), conv.init());
    for (int a = 0; a < 4; a++) {
      double norm = 0;
      for (int k = 0; k < 18; k++) {
        norm += p[conv.offset() + a * 18 + k] * p[conv.offset() + a * 18 + k];
      }
      assertEquals(1, norm, 1e-5, "filter " + a + " of an orthogonal convolution has unit norm");
    }
    ParamLayout.Slice c2 = net.slicesOf("conv2d").get(0);
    for (int i = 0; i < c2.size(); i++) {
      assertEquals(0.25f, p[c2.offset() + i]);
    }
    ParamLayout.Slice fc = net.slicesOf("fc").get(0);
    for (int i = 0; i < fc.size(); i++) {
      assertTrue(Math.abs(p[fc.offset() + i]) <= Math.sqrt(3.0 / 2), "lecun uniform limit sqrt(3 / fanIn)");
    }
    assertJsonRoundTrip(net);
    Network back = NetworkJson.parse(NetworkJson.toJsonString(net), "init.json");
    assertArrayEquals(p, back.layout().initialize(11));

    Network named = NetworkJson.parse("""
        {"input_shape": [1, 4, 4],
         "layers": [
           {"type": "convolution", "name": "a", "filters": 2, "kernel": 3, "init": "orthogonal"},
           {"type": "convolution", "name": "b", "filters": 2, "kernel": 1, "init": "he_normal"},
           {"type": "convolution", "name": "c", "filters": 2, "kernel": 1, "init": {"kind": "he_normal"}},
           {"type": "convolution", "name": "d", "filters": 2, "kernel": 1, "init": {"kind": "random_uniform", "b": 0.2}},
           {"type": "flatten", "name": "f"},
           {"type": "dense", "name": "fc", "units": 2, "init": "truncated_normal"},
           {"type": "dense", "name": "fc2", "units": 2}]}
        """, "named.json");
    assertEquals(WeightInit.orthogonal(), named.slicesOf("a").get(0).init());
    assertEquals(Initializer.HE_NORMAL, named.slicesOf("b").get(0).init());
    assertEquals(WeightInit.heNormal(), named.slicesOf("c").get(0).init());
    assertEquals(WeightInit.randomUniform(-0.05, 0.2), named.slicesOf("d").get(0).init());
    assertEquals(WeightInit.truncatedNormal(), named.slicesOf("fc").get(0).init());
    assertEquals(Initializer.GLOROT_UNIFORM, named.slicesOf("fc2").get(0).init());
    NetworkJson.NetworkJsonException e = assertThrows(NetworkJson.NetworkJsonException.class, () -> NetworkJson.parse(
        "{\"input_shape\": [4], \"layers\": [{\"type\": \"dense\", \"name\": \"fc\", \"units\": 2, \"init\": "
        + "\"xavier\"}]}", "x.json"));
    assertTrue(e.getMessage().startsWith("x.json: layer 1 ('fc'): field 'init': unknown value 'xavier'; known: "),
        e.getMessage());
  }
}
