package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Networks whose output is an image, trained with MSE, L1 or sigmoid BCE against target tensors. */
class ImageLossTest {

  /** 1×4×4 → conv → ReLU → k3/s2 transposed conv (+1 output padding) → 1×8×8, and an upsampling branch. */
  static Network decoder(Loss loss) {
    return Network.builder(Shape.of(1, 4, 4))
        .then(Convolution.conv2d("conv", 3, 3, 1, 1, true))
        .then(new ActivationLayer("relu", Activation.of(Activation.Kind.TANH)))
        .then(new Deconvolution("up", 1, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1},
            true, Initializer.GLOROT_UNIFORM))
        .add(new Upsampling("nn", ResamplingParams.Kind.NEAREST, 2), "relu")
        .then(Convolution.conv2d("nn_conv", 1, 3, 1, 1, true))
        .add(Add.of("sum"), "up", "nn_conv")
        .loss(loss)
        .build();
  }

  private static Tensor random(Shape s, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[s.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextDouble();
    }
    return Tensor.wrap(x, s);
  }

  private static double meanLoss(Network net, double[] p, Tensor src, Tensor t) {
    return net.lossAndGradient(new ReferenceBackend(), p, new double[p.length], src, null, t) / src.shape().dim(0);
  }

  private static void gradientCheck(Loss loss) {
    Network net = decoder(loss);
    assertEquals(Shape.of(1, 8, 8), net.outputShape());
    float[] init = net.layout().initialize(3);
    double[] p = new double[init.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = init[i] + 0.05 * Math.cos(i);
    }
    Tensor src = random(Shape.of(2, 1, 4, 4), 4);
    Tensor t = random(Shape.of(2, 1, 8, 8), 5);
    double[] g = new double[p.length];
    ReferenceBackend b = new ReferenceBackend();
    double sum = net.lossAndGradient(b, p, g, src, null, t);
    assertTrue(sum > 0, loss + ": loss " + sum);
    double[] probe = p.clone();
    for (ParamLayout.Slice s : net.layout().slices()) {
      for (int k = 0; k < 3; k++) {
        int i = s.offset() + (k * 7919) % s.size();
        double h = 1e-6;
        probe[i] = p[i] + h;
        double plus = meanLoss(net, probe, src, t);
        probe[i] = p[i] - h;
        double minus = meanLoss(net, probe, src, t);
        probe[i] = p[i];
        double numeric = (plus - minus) / (2 * h);
        assertEquals(numeric, g[i], 1e-7 + 1e-5 * Math.abs(numeric), loss + " " + s.name() + "[" + (i - s.offset())
            + "]");
      }
    }
  }

  @Test
  void mseGradientMatchesFiniteDifferencesInDouble() {
    gradientCheck(Loss.MSE);
  }

  @Test
  void l1GradientMatchesFiniteDifferencesInDouble() {
    gradientCheck(Loss.L1);
  }

  @Test
  void sigmoidBceGradientMatchesFiniteDifferencesInDouble() {
    gradientCheck(Loss.SIGMOID_BCE);
  }

  /** The summed loss is, per sample, the mean over the output's values: MSE by hand. */
  @Test
  void mseIsTheMeanOverValuesSummedOverSamples() {
    Network net = Network.builder(Shape.of(1, 1, 2)).then(new ActivationLayer("id", Activation.IDENTITY)).loss(Loss.MSE).build();
    Tensor src = Tensor.wrap(new double[] {1, 2, 3, 4}, Shape.of(2, 1, 1, 2));
    Tensor t = Tensor.wrap(new double[] {0, 0, 3, 6}, Shape.of(2, 1, 1, 2));
    // sample 0: (1 + 4) / 2 = 2.5; sample 1: (0 + 4) / 2 = 2
    assertEquals(4.5, net.lossAndGradient(new ReferenceBackend(), new double[0], new double[0], src, null, t), 1e-12);
    Network l1 = net.withLoss(Loss.L1);
    // sample 0: (1 + 2) / 2; sample 1: (0 + 2) / 2
    assertEquals(2.5, l1.lossAndGradient(new ReferenceBackend(), new double[0], new double[0], src, null, t), 1e-12);
  }

  /** The float path (what training runs) takes FLOAT32 targets and agrees with the double pass. */
  @Test
  void floatPassAgreesWithDouble() {
    Network net = decoder(Loss.MSE);
    float[] p = net.layout().initialize(8);
    double[] pd = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      pd[i] = p[i];
    }
    Tensor src = random(Shape.of(2, 1, 4, 4), 4);
    Tensor t = random(Shape.of(2, 1, 8, 8), 5);
    float[] sf = new float[src.size()];
    float[] tf = new float[t.size()];
    for (int i = 0; i < sf.length; i++) {
      sf[i] = (float) src.get(i);
    }
    for (int i = 0; i < tf.length; i++) {
      tf[i] = (float) t.get(i);
    }
    float[] g = new float[p.length];
    double lf = net.lossAndGradient(new ReferenceBackend(), p, net.bufferLayout().initialize(0), g,
        Tensor.wrap(sf, src.shape()), null, Tensor.wrap(tf, t.shape()), 0, new BitSet());
    double[] gd = new double[p.length];
    double ld = net.lossAndGradient(new ReferenceBackend(), pd, gd, src, null, t);
    assertEquals(ld, lf, 1e-5 * ld);
    for (int i = 0; i < g.length; i++) {
      assertEquals(gd[i], g[i], 1e-5 + 1e-4 * Math.abs(gd[i]), "grad " + i);
    }
  }

  @Test
  void targetsOfAnotherShapeAreNamed() {
    Network net = decoder(Loss.MSE);
    Tensor src = random(Shape.of(2, 1, 4, 4), 4);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.lossAndGradient(
        new ReferenceBackend(), new double[net.layout().size()], new double[net.layout().size()], src, null,
        random(Shape.of(2, 1, 4, 4), 1)));
    assertEquals("mse: targets of (2, 1, 4, 4) for outputs of (2, 1, 8, 8)", e.getMessage());
  }

  @Test
  void lossTravelsInTheJsonDescription() {
    Network net = decoder(Loss.L1);
    String json = NetworkJson.toJsonString(net);
    assertTrue(json.contains("\"loss\" : \"l1\""), json);
    assertEquals(Loss.L1, NetworkJson.parse(json, "net.json").loss());
    Network classes = Network.builder(Shape.of(4)).then(new Dense("fc", 2, Initializer.GLOROT_UNIFORM)).build();
    assertTrue(!NetworkJson.toJsonString(classes).contains("\"loss\""));
    NetworkJson.NetworkJsonException e = assertThrows(NetworkJson.NetworkJsonException.class,
        () -> NetworkJson.parse(json.replace("\"l1\"", "\"l3\""), "net.json"));
    assertEquals("net.json: loss: unknown loss 'l3': must be one of softmax_cross_entropy, sigmoid_bce, mse, l1, "
        + "pixel_softmax_cross_entropy", e.getMessage());
  }
}
