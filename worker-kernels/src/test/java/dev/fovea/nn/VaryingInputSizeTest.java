package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.optim.Sgd;
import java.io.IOException;
import java.nio.file.Files;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

/**
 * Inputs of another size than training's, on real Fashion-MNIST (classes 0-4): a network trained at
 * 28×28 evaluates 32×32 images (the test images zero-padded by 2) through {@link
 * Network#withInputShape}, with the trained parameters, when its features reach the classifier
 * through adaptive or global pooling.
 */
class VaryingInputSizeTest {

  /** The test images padded with 2 zero pixels on every side: 28×28 → 32×32. */
  static Tensor padded(TransferLearningTest.Data d, int n) {
    float[] x = new float[n * 32 * 32];
    for (int i = 0; i < n; i++) {
      for (int r = 0; r < 28; r++) {
        System.arraycopy(d.images(), i * 784 + r * 28, x, i * 1024 + (r + 2) * 32 + 2, 28);
      }
    }
    return Tensor.wrap(x, Shape.of(n, 1, 32, 32));
  }

  static double accuracy(Network net, float[] p, float[] buf, Tensor x, int[] labels) {
    Tensor logits = net.forward(new ReferenceBackend(), p, buf, x);
    assertEquals(Shape.of(labels.length, net.numClasses()), logits.shape());
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      int best = 0;
      for (int k = 0; k < net.numClasses(); k++) {
        assertTrue(Float.isFinite((float) logits.get(i * net.numClasses() + k)));
        best = logits.get(i * net.numClasses() + k) > logits.get(i * net.numClasses() + best) ? k : best;
      }
      correct += best == labels[i] ? 1 : 0;
    }
    return correct / (double) labels.length;
  }

  /**
   * A small CNN whose features end in an adaptive average pool to 4×4 (at 28×28 its windows are
   * uniform, 12 → 4; at 32×32 they are not, 14 → 4), trained one epoch on 2,000 images.
   */
  @Test
  void adaptivePoolingNetworkTrainedAt28EvaluatesAt32() throws IOException {
    assumeTrue(Files.isDirectory(TransferLearningTest.DATA), "Fashion-MNIST is not at " + TransferLearningTest.DATA);
    Network net = Network.builder(Shape.of(1, 28, 28))
        .then(Convolution.conv2d("conv1", 8, 5, 1, 0, true))
        .then(new ActivationLayer("relu1", Activation.RELU))
        .then(Pooling.max2d("pool1", 2, 2, 0))
        .then(AdaptivePooling.of2d("adapt", PoolParams.Kind.AVG, 4, 4))
        .then(new Flatten("flatten"))
        .then(new Dense("fc", 5, Initializer.GLOROT_UNIFORM))
        .build();
    float[] p = net.layout().initialize(3);
    float[] buf = net.bufferLayout().initialize(3);
    TransferLearningTest.train(net, p, buf, new Sgd(0.05, 0.9, 0), new BitSet(),
        TransferLearningTest.load("train", 0, 2000), 1, 32);
    TransferLearningTest.Data test = TransferLearningTest.load("t10k", 0, 500);
    Tensor x28 = Tensor.wrap(java.util.Arrays.copyOf(test.images(), 500 * 784), Shape.of(500, 1, 28, 28));
    double at28 = accuracy(net, p, buf, x28, test.labels());
    Network at32 = net.withInputShape(Shape.of(1, 32, 32));
    assertEquals(Shape.of(8, 4, 4), at32.outputShape("adapt"));
    assertEquals(Shape.of(8, 14, 14), at32.outputShape("pool1"));
    double acc32 = accuracy(at32, p, buf, padded(test, 500), test.labels());
    System.out.printf("adaptive pooling CNN: test accuracy %.3f at 28x28, %.3f at 32x32 (padded)%n", at28, acc32);
    assertTrue(at28 > 0.6, "trained at 28x28: " + at28);
    assertTrue(acc32 > 0.4, "evaluated at 32x32: " + acc32);
  }

  /** A zoo ResNet (global average pooling before its classifier) trained a few steps at 28×28 runs at 32×32. */
  @Test
  void zooResnetTrainedAt28EvaluatesAt32() throws IOException {
    assumeTrue(Files.isDirectory(TransferLearningTest.DATA), "Fashion-MNIST is not at " + TransferLearningTest.DATA);
    Network net = Zoo.build("resnet20", Shape.of(1, 28, 28), 5);
    float[] p = net.layout().initialize(4);
    float[] buf = net.bufferLayout().initialize(4);
    TransferLearningTest.train(net, p, buf, new Sgd(0.05, 0.9, 0), new BitSet(),
        TransferLearningTest.load("train", 0, 64), 1, 16);
    Network at32 = net.withInputShape(Shape.of(1, 32, 32));
    assertEquals(net.layout().size(), at32.layout().size());
    assertEquals(Shape.of(64, 8, 8), at32.outputShape(at32.nodes().get(at32.nodes().size() - 3).layer().name()));
    TransferLearningTest.Data test = TransferLearningTest.load("t10k", 0, 50);
    double acc = accuracy(at32, p, buf, padded(test, 50), test.labels());
    assertTrue(acc >= 0 && acc <= 1);
    // a flatten before a dense layer ties LeNet to its size: refused, with the reason
    Network lenet = Zoo.build("lenet", Shape.of(1, 28, 28), 5);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> lenet.withInputShape(Shape.of(1, 32, 32)));
    assertTrue(e.getMessage().startsWith("inputs (1, 32, 32) change the parameters of a network built for (1, 28, 28)"),
        e.getMessage());
    // too small for its strides: the layer that no longer fits is named
    e = assertThrows(IllegalArgumentException.class, () -> lenet.withInputShape(Shape.of(1, 8, 8)));
    assertTrue(e.getMessage().startsWith("conv2"), e.getMessage());
  }
}
