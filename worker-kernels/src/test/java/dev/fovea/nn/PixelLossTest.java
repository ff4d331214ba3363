package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Per-pixel softmax cross-entropy (segmentation): (K, H, W) logits against (H, W) class masks. */
class PixelLossTest {

  /** 1×5×4 → conv 3×3 (4 channels) → tanh → conv 1×1 (3 classes): 3 logits per pixel. */
  static Network segmenter() {
    return Network.builder(Shape.of(1, 5, 4))
        .then(Convolution.conv2d("conv", 4, 3, 1, 1, true))
        .then(new ActivationLayer("act", Activation.of(Activation.Kind.TANH)))
        .then(Convolution.conv2d("classes", 3, 1, 1, 0, true))
        .loss(Loss.PIXEL_SOFTMAX_CROSS_ENTROPY)
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

  private static Tensor mask(Shape s, int classes, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[s.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(classes);
    }
    return Tensor.wrap(x, s);
  }

  private static double meanLoss(Network net, double[] p, Tensor src, Tensor t) {
    return net.lossAndGradient(new ReferenceBackend(), p, new double[p.length], src, null, t) / src.shape().dim(0);
  }

  @Test
  void gradientMatchesFiniteDifferencesInDouble() {
    Network net = segmenter();
    assertEquals(Shape.of(3, 5, 4), net.outputShape());
    assertEquals(Shape.of(5, 4), net.loss().targetShape(net.outputShape()));
    float[] init = net.layout().initialize(3);
    double[] p = new double[init.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = init[i] + 0.05 * Math.cos(i);
    }
    Tensor src = random(Shape.of(2, 1, 5, 4), 4);
    Tensor t = mask(Shape.of(2, 5, 4), 3, 5);
    double[] g = new double[p.length];
    double sum = net.lossAndGradient(new ReferenceBackend(), p, g, src, null, t);
    assertTrue(sum > 0, "loss " + sum);
    double[] probe = p.clone();
    int checked = 0;
    for (ParamLayout.Slice s : net.layout().slices()) {
      for (int k = 0; k < 4; k++) {
        int i = s.offset() + (k * 7919) % s.size();
        double h = 1e-6;
        probe[i] = p[i] + h;
        double plus = meanLoss(net, probe, src, t);
        probe[i] = p[i] - h;
        double minus = meanLoss(net, probe, src, t);
        probe[i] = p[i];
        double numeric = (plus - minus) / (2 * h);
        assertEquals(numeric, g[i], 1e-8 + 1e-6 * Math.abs(numeric), s.name() + "[" + (i - s.offset()) + "]");
        checked += g[i] != 0 ? 1 : 0;
      }
    }
    assertTrue(checked > 8, "gradients were zero: " + checked);
  }

  /** By hand: per sample the mean over pixels of −log softmax; summed over samples. */
  @Test
  void lossIsTheMeanOverPixelsSummedOverSamples() {
    Network net = Network.builder(Shape.of(2, 1, 2)).then(new ActivationLayer("id", Activation.IDENTITY))
        .loss(Loss.PIXEL_SOFTMAX_CROSS_ENTROPY).build();
    // sample 0: pixel 0 logits (0, 0), pixel 1 logits (2, 0); sample 1: pixel 0 (1, 3), pixel 1 (0, 0)
    Tensor src = Tensor.wrap(new double[] {0, 2, 0, 0, 1, 0, 3, 0}, Shape.of(2, 2, 1, 2));
    Tensor masks = Tensor.wrap(new double[] {0, 1, 1, 0}, Shape.of(2, 1, 2));
    double l00 = Math.log(2);
    double l01 = -Math.log(1 / (1 + Math.exp(2)));
    double l10 = -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(3)));
    double l11 = Math.log(2);
    double expected = (l00 + l01) / 2 + (l10 + l11) / 2;
    double[] none = new double[0];
    assertEquals(expected, net.lossAndGradient(new ReferenceBackend(), none, none, src, null, masks), 1e-12);
  }

  @Test
  void aMaskClassOutsideTheOutputsIsRefusedNamingThePixel() {
    Network net = segmenter();
    Tensor src = random(Shape.of(1, 1, 5, 4), 1);
    double[] m = new double[20];
    m[7] = 3;
    Tensor t = Tensor.wrap(m, Shape.of(1, 5, 4));
    double[] p = new double[net.layout().size()];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> net.lossAndGradient(new ReferenceBackend(), p, new double[p.length], src, null, t));
    assertTrue(e.getMessage().contains("pixel 7 has class 3.0, not one of the output's 3 classes"), e.getMessage());
  }

  @Test
  void aFlatOutputIsRefusedForPixelCrossEntropy() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Network.builder(Shape.of(1, 4, 4)).then(new Flatten("flat")).then(new Dense("fc", 3,
            Initializer.GLOROT_UNIFORM)).loss(Loss.PIXEL_SOFTMAX_CROSS_ENTROPY).build());
    assertTrue(e.getMessage().contains("must end in a (classes, H, W) output for pixel_softmax_cross_entropy"),
        e.getMessage());
  }

  @Test
  void theLossIsReadFromJson() {
    Network net = NetworkJson.parse(NetworkJson.toJsonString(segmenter()), "seg.json");
    assertEquals(Loss.PIXEL_SOFTMAX_CROSS_ENTROPY, net.loss());
  }
}
