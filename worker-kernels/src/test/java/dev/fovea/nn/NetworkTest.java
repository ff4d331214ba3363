package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.optim.Sgd;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NetworkTest {

  @Test
  void lenetHasCaffesParameterCountAndLayout() {
    Network net = Zoo.lenet(Shape.of(1, 28, 28), 10);
    // conv1 20·25+20, conv2 50·500+50, fc1 500·800+500, fc2 10·500+10 (Caffe's lenet_train_test.prototxt)
    assertEquals(520 + 25050 + 400500 + 5010, net.layout().size());
    assertEquals(Shape.of(50, 20, 5, 5), net.layout().slice("conv2.weights").shape());
    assertEquals(520, net.layout().slice("conv2.weights").offset());
    String summary = net.summary();
    assertTrue(summary.contains("total parameters: 431,080"), summary);
    assertTrue(summary.contains("(50, 4, 4)"), summary);
  }

  @Test
  void shapeMismatchNamesTheLayer() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Zoo.lenet(Shape.of(1, 8, 8), 10));
    assertTrue(e.getMessage().startsWith("conv2: "), e.getMessage());
  }

  @Test
  void initialisationIsSeededAndScaled() {
    Network net = Zoo.lenet(Shape.of(1, 28, 28), 10);
    float[] a = net.layout().initialize(1);
    float[] b = net.layout().initialize(1);
    float[] c = net.layout().initialize(2);
    assertTrue(java.util.Arrays.equals(a, b));
    assertTrue(!java.util.Arrays.equals(a, c));
    ParamLayout.Slice fc1 = net.layout().slice("fc1.weights");
    double sq = 0;
    for (int i = fc1.offset(); i < fc1.offset() + fc1.size(); i++) {
      sq += a[i] * a[i];
    }
    double std = Math.sqrt(sq / fc1.size());
    assertEquals(Math.sqrt(2.0 / 800), std, 0.02 * std, "He-normal std of fc1");
    ParamLayout.Slice bias = net.layout().slice("fc1.bias");
    for (int i = bias.offset(); i < bias.offset() + bias.size(); i++) {
      assertEquals(0f, a[i]);
    }
  }

  /** Training steps on one fixed batch drive its loss down: the gradient points downhill. */
  @Test
  void sgdOnOneBatchReducesItsLoss() {
    Network net = Zoo.lenet(Shape.of(1, 28, 28), 10);
    float[] p = net.layout().initialize(3);
    float[] g = new float[p.length];
    float[] v = new float[p.length];
    SplittableRandom rng = new SplittableRandom(4);
    float[] x = new float[8 * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    int[] labels = {0, 1, 2, 3, 4, 5, 6, 7};
    Tensor src = Tensor.wrap(x, Shape.of(8, 1, 28, 28));
    ReferenceBackend b = new ReferenceBackend();
    Sgd sgd = new Sgd(0.01, 0.9, 0);
    double first = net.lossAndGradient(b, p, g, src, labels) / 8;
    double last = first;
    for (int i = 0; i < 15; i++) {
      sgd.step(p, g, v);
      last = net.lossAndGradient(b, p, g, src, labels) / 8;
    }
    assertTrue(last < 0.5 * first, "loss went from " + first + " to " + last);
  }

  /** The whole network's gradient, in double, against central differences of its loss. */
  @Test
  void networkGradientMatchesFiniteDifferencesInDouble() {
    Network net = Zoo.lenet(Shape.of(1, 28, 28), 10);
    float[] init = net.layout().initialize(5);
    double[] p = new double[init.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = init[i] + 0.01 * Math.sin(i); // biases non-zero too
    }
    double[] g = new double[p.length];
    SplittableRandom rng = new SplittableRandom(6);
    double[] x = new double[2 * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    Tensor src = Tensor.wrap(x, Shape.of(2, 1, 28, 28));
    int[] labels = {3, 7};
    ReferenceBackend b = new ReferenceBackend();
    net.lossAndGradient(b, p, g, src, labels);
    double[] probe = p.clone();
    for (String name : new String[] {"conv1.weights", "conv1.bias", "conv2.weights", "conv2.bias", "fc1.weights",
        "fc1.bias", "fc2.weights", "fc2.bias"}) {
      ParamLayout.Slice s = net.layout().slice(name);
      for (int k = 0; k < 3; k++) {
        int i = s.offset() + (k * 7919) % s.size();
        double h = 1e-6;
        probe[i] = p[i] + h;
        double plus = net.lossAndGradient(b, probe, new double[p.length], src, labels) / 2;
        probe[i] = p[i] - h;
        double minus = net.lossAndGradient(b, probe, new double[p.length], src, labels) / 2;
        probe[i] = p[i];
        double numeric = (plus - minus) / (2 * h);
        assertEquals(numeric, g[i], 1e-6 + 1e-5 * Math.abs(numeric), name + "[" + (i - s.offset()) + "]");
      }
    }
  }
}
