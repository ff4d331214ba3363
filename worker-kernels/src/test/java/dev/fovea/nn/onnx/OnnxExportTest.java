package dev.fovea.nn.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.fovea.kernels.Activation;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.nn.ActivationLayer;
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
import dev.fovea.nn.Initializer;
import dev.fovea.nn.Lrn;
import dev.fovea.nn.MaxPool2d;
import dev.fovea.nn.Network;
import dev.fovea.nn.ParamLayout;
import dev.fovea.nn.Pooling;
import dev.fovea.nn.Prelu;
import dev.fovea.nn.Rrelu;
import dev.fovea.nn.Upsampling;
import dev.fovea.nn.Zoo;
import dev.fovea.nn.ZeroPadding;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX Runtime, run on Fovea's exported graph, gives Fovea's evaluation-mode outputs (reference
 * backend) within 1e-4 of the output scale: every zoo network at the smallest input it builds for,
 * a graph-API network made of every other exportable layer, and batches 1, 2 and 3 through one
 * file (the batch axis is dynamic).
 */
class OnnxExportTest {
  static final double TOLERANCE = 1e-4;

  /** Every zoo name, so networks added to the zoo are covered without touching this test. */
  static Stream<String> zoo() {
    return Zoo.names().stream();
  }

  /** The smallest of a few square sizes at which {@code name} builds, with its design channels. */
  static Shape smallInput(String name) {
    int c = Zoo.designInput(name).dim(0);
    for (int side : new int[] {28, 32, 64, 75, 96, 128, 160, 224, 299}) {
      try {
        Zoo.build(name, Shape.of(c, side, side), 5);
        return Shape.of(c, side, side);
      } catch (IllegalArgumentException e) {
        // too small: the next size
      }
    }
    return Zoo.designInput(name);
  }

  /**
   * Parameters drawn He-uniform from each slice's fan-in, biases, scales and shifts away from
   * their constant starts, and running statistics that are not the fresh zeros and ones: every
   * initializer and every batch-norm input of the graph matters.
   */
  static float[][] values(Network net, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] p = new float[net.layout().size()];
    for (ParamLayout.Slice s : net.layout().slices()) {
      for (int i = s.offset(); i < s.offset() + s.size(); i++) {
        double u = 2 * r.nextDouble() - 1;
        p[i] = (float) (s.name().endsWith(".gamma") ? 1 + 0.5 * u
            : s.name().endsWith(".slope") ? 0.25 + 0.1 * u
            : s.fanIn() > 1 ? Math.sqrt(6.0 / s.fanIn()) * u : 0.2 * u);
      }
    }
    float[] b = new float[net.bufferLayout().size()];
    for (ParamLayout.Slice s : net.bufferLayout().slices()) {
      boolean variance = s.name().endsWith(".variance");
      for (int i = s.offset(); i < s.offset() + s.size(); i++) {
        double u = r.nextDouble();
        b[i] = (float) (variance ? 0.5 + u : 0.4 * (u - 0.5));
      }
    }
    return new float[][] {p, b};
  }

  static float[] gaussian(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  static List<String> classNames(int n) {
    List<String> c = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      c.add("c" + i);
    }
    return c;
  }

  /** The first output of the model for input {@code x} of shape {@code (n, sample...)}. */
  static float[] runOrt(byte[] model, float[] x, Shape batch) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(1);
      try (OrtSession s = env.createSession(model, o)) {
        long[] dims = new long[batch.rank()];
        for (int i = 0; i < dims.length; i++) {
          dims[i] = batch.dim(i);
        }
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), dims);
            OrtSession.Result res = s.run(Map.of(s.getInputNames().iterator().next(), t))) {
          OnnxTensor out = (OnnxTensor) res.get(0);
          FloatBuffer fb = out.getFloatBuffer();
          float[] y = new float[fb.remaining()];
          fb.get(y);
          return y;
        }
      }
    }
  }

  /** Max |a - b| over max |a|: the error relative to the output's scale. */
  static double relativeError(float[] fovea, float[] ort) {
    assertEquals(fovea.length, ort.length, "output sizes");
    double scale = 0;
    double err = 0;
    for (int i = 0; i < fovea.length; i++) {
      scale = Math.max(scale, Math.abs(fovea[i]));
      err = Math.max(err, Math.abs(fovea[i] - ort[i]));
    }
    assertTrue(scale > 0 && Double.isFinite(scale), "output scale " + scale);
    return err / scale;
  }

  static double agree(Network net, int batch, long seed) throws OrtException {
    float[][] v = values(net, seed);
    byte[] onnx = OnnxExport.toProto(net, v[0], v[1], classNames(net.numClasses())).toByteArray();
    Shape shape = net.inputShape().prepend(batch);
    float[] x = gaussian(shape.size(), seed + 1);
    float[] fovea = net.forward(new ReferenceBackend(), v[0], v[1], Tensor.wrap(x, shape)).toFloatArray();
    return relativeError(fovea, runOrt(onnx, x, shape));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("zoo")
  void everyZooNetworkAgreesAtBatchTwo(String name) throws OrtException {
    Shape input = smallInput(name);
    double err = agree(Zoo.build(name, input, 5), 2, name.hashCode());
    System.out.printf("ONNX Runtime vs Fovea, %s at %s, batch 2: max error / output scale = %.3g%n", name, input, err);
    assertTrue(err < TOLERANCE, name + ": relative error " + err);
  }

  /** One network from the graph API with every other exportable layer and activation. */
  static Network everyLayer() {
    Network.Builder b = Network.builder(Shape.of(3, 16, 16));
    b.add(new Convolution("grouped", 6, new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0}, true,
        new int[] {2, 2}, 3, true, 0, Initializer.HE_NORMAL), Network.INPUT);
    b.then(new BatchNorm("bn_plain", 1e-3, 0.1, false, false));
    b.then(new Prelu("prelu", true));
    b.then(new Lrn("lrn", 3, 1e-2, 0.75, 2));
    b.then(new Pooling("avg_padded", PoolParams.Kind.AVG, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, false));
    b.then(new Deconvolution("deconv", 4, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, true,
        Initializer.HE_NORMAL));
    b.then(new Upsampling("up_nearest", ResamplingParams.Kind.NEAREST, 2));
    // after the pool, not before: ONNX Runtime's optimiser folds a Pad into a following pool and then
    // rejects the pool when the summed padding reaches the kernel (here 2 + 1 of 3)
    b.then(new Pooling("max_same", PoolParams.Kind.MAX, new int[] {3, 3}, new int[] {2, 2}, new int[] {0, 0}, true));
    b.then(new ZeroPadding("pad", new int[] {1, 0}, new int[] {2, 1}));
    String trunk = b.last();
    List<String> acts = new ArrayList<>();
    Activation[] fs = {Activation.RELU, Activation.leakyRelu(0.1), Activation.of(Activation.Kind.SIGMOID),
        Activation.of(Activation.Kind.TANH), Activation.of(Activation.Kind.ATAN), Activation.of(Activation.Kind.RRELU),
        new Activation(Activation.Kind.ELU, 0.7, 0), Activation.of(Activation.Kind.SELU),
        Activation.of(Activation.Kind.GELU_ERF), Activation.of(Activation.Kind.GELU_TANH),
        new Activation(Activation.Kind.SWISH, 1.5, 0), Activation.of(Activation.Kind.MISH),
        Activation.of(Activation.Kind.SOFTPLUS), Activation.of(Activation.Kind.SOFTSIGN),
        Activation.of(Activation.Kind.HARD_SIGMOID), Activation.of(Activation.Kind.HARD_TANH),
        Activation.of(Activation.Kind.HARD_SWISH), Activation.of(Activation.Kind.RELU6),
        new Activation(Activation.Kind.ISRU, 0.5, 0), Activation.IDENTITY};
    double[] scales = new double[fs.length];
    for (int i = 0; i < fs.length; i++) {
      String n = "act_" + fs[i].kind().name().toLowerCase(java.util.Locale.ROOT) + i;
      b.add(new ActivationLayer(n, fs[i]), trunk);
      acts.add(n);
      scales[i] = 0.5 + 0.1 * i;
    }
    b.add(new Add("weighted_sum", scales), acts.toArray(String[]::new));
    b.add(new Rrelu("rrelu", 0.1, 0.3), trunk);
    b.add(new Upsampling("up_bilinear", ResamplingParams.Kind.BILINEAR, 1), "rrelu");
    b.add(new Concat("concat"), "weighted_sum", "up_bilinear", trunk);
    b.then(new BatchNorm("bn", 1e-5, 0.1, true, true));
    b.then(new Dropout("drop", 0.5, true));
    String c = b.last();
    b.add(new Conv2d("conv2d", 4, 3, 1, 1, Initializer.HE_NORMAL), c);
    b.then(new MaxPool2d("maxpool", 2));
    b.then(new Flatten("flatten"));
    b.then(new Dense("dense", 8, Initializer.GLOROT_UNIFORM));
    b.then(new BatchNorm("bn_flat", 1e-5, 0.1, true, true));
    b.add(new GlobalPooling("gmax", PoolParams.Kind.MAX), c);
    b.add(new Concat("heads"), "bn_flat", "gmax");
    b.then(new Dense("logits", 5, Initializer.GLOROT_UNIFORM));
    return b.build();
  }

  @Test
  void graphWithEveryExportableLayerAgrees() throws OrtException {
    double err = agree(everyLayer(), 2, 11);
    System.out.printf("ONNX Runtime vs Fovea, every-layer graph, batch 2: %.3g%n", err);
    assertTrue(err < TOLERANCE, "relative error " + err);
  }

  @Test
  void bilinearUpsamplingAgrees() throws OrtException {
    Network net = Network.sequential(Shape.of(2, 5, 7), List.of(
        new Upsampling("up", ResamplingParams.Kind.BILINEAR, 3), new Flatten("flat"),
        new Dense("logits", 4, Initializer.GLOROT_UNIFORM)));
    double err = agree(net, 2, 5);
    assertTrue(err < TOLERANCE, "relative error " + err);
  }

  /**
   * Adaptive pooling exports as a plain pool where the windows are even and as per-cell Slice +
   * ReduceMean/ReduceMax where they are not (7 to 3 and 5 to 2 overlap; 1D and 2D).
   */
  @Test
  void adaptivePoolingWithEvenAndUnevenWindowsAgrees() throws OrtException {
    for (dev.fovea.kernels.PoolParams.Kind kind : dev.fovea.kernels.PoolParams.Kind.values()) {
      Network uneven = Network.sequential(Shape.of(3, 7, 5), List.of(
          dev.fovea.nn.AdaptivePooling.of2d("pool", kind, 3, 2), new Flatten("flat"),
          new Dense("logits", 4, Initializer.GLOROT_UNIFORM)));
      Network even = Network.sequential(Shape.of(3, 8, 6), List.of(
          dev.fovea.nn.AdaptivePooling.of2d("pool", kind, 4, 2), new Flatten("flat"),
          new Dense("logits", 4, Initializer.GLOROT_UNIFORM)));
      Network oneD = Network.sequential(Shape.of(2, 9), List.of(
          new dev.fovea.nn.AdaptivePooling("pool", kind, new int[] {4}), new Flatten("flat"),
          new Dense("logits", 3, Initializer.GLOROT_UNIFORM)));
      for (Network net : List.of(uneven, even, oneD)) {
        double err = agree(net, 2, 17);
        assertTrue(err < TOLERANCE, kind + " " + net.inputShape() + ": relative error " + err);
      }
    }
  }

  @Test
  void oneFileServesEveryBatchSize() throws OrtException {
    Network net = Zoo.build("resnet20", Shape.of(3, 32, 32), 10);
    float[][] v = values(net, 3);
    byte[] onnx = OnnxExport.toProto(net, v[0], v[1], classNames(10)).toByteArray();
    for (int batch : new int[] {1, 3}) {
      Shape shape = net.inputShape().prepend(batch);
      float[] x = gaussian(shape.size(), batch);
      float[] fovea = net.forward(new ReferenceBackend(), v[0], v[1], Tensor.wrap(x, shape)).toFloatArray();
      float[] ort = runOrt(onnx, x, shape);
      assertEquals(batch * 10, ort.length);
      double err = relativeError(fovea, ort);
      assertTrue(err < TOLERANCE, "batch " + batch + ": relative error " + err);
    }
  }

  @Test
  void anActivationWithoutAnOnnxFormIsRefusedByName() {
    Network net = Network.sequential(Shape.of(4), List.of(
        new ActivationLayer("squash", Activation.of(Activation.Kind.SQNL)),
        new Dense("logits", 2, Initializer.GLOROT_UNIFORM)));
    float[][] v = values(net, 1);
    OnnxExport.UnsupportedException e = assertThrows(OnnxExport.UnsupportedException.class,
        () -> OnnxExport.toProto(net, v[0], v[1], classNames(2)));
    assertEquals("layer 'squash' (sqnl) cannot be exported to ONNX: activation SQNL has no ONNX operator and is not"
        + " composed from ONNX's", e.getMessage());
    Network even = Network.sequential(Shape.of(4, 2, 2), List.of(new Lrn("lrn4", 4, 1e-4, 0.75, 1),
        new Flatten("f"), new Dense("logits", 2, Initializer.GLOROT_UNIFORM)));
    float[][] w = values(even, 1);
    assertTrue(assertThrows(OnnxExport.UnsupportedException.class,
        () -> OnnxExport.toProto(even, w[0], w[1], Collections.nCopies(2, "x"))).getMessage()
        .startsWith("layer 'lrn4' (lrn) cannot be exported to ONNX: "));
  }
}
