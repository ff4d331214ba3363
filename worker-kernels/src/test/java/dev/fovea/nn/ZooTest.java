package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ZooTest {

  /**
   * Parameter counts at (3, 224, 224) and 1,000 classes of the implementations each zoo entry
   * follows. torchvision: {@code sum(p.numel() for p in m.parameters())} of {@code
   * torchvision.models.<name>()} (googlenet with {@code aux_logits=False}, googlenet_aux with
   * {@code aux_logits=True}); Keras Applications: {@code InceptionResNetV2().count_params()}, which
   * includes the batch-norm moving statistics (Fovea's buffers); lenet5: the full-connectivity
   * LeNet-5 of d2l.ai at 10 classes and 28×28 input with padding 2 (61,706); lenet: Caffe's MNIST
   * example (431,080 at (1, 28, 28), 10 classes).
   */
  static Stream<Arguments> referenceCounts() {
    return Stream.of(
        Arguments.of("alexnet", 61_100_840L, "torchvision"),
        Arguments.of("vgg11", 132_863_336L, "torchvision"),
        Arguments.of("vgg13", 133_047_848L, "torchvision"),
        Arguments.of("vgg16", 138_357_544L, "torchvision"),
        Arguments.of("vgg19", 143_667_240L, "torchvision"),
        Arguments.of("vgg11_bn", 132_868_840L, "torchvision"),
        Arguments.of("vgg13_bn", 133_053_736L, "torchvision"),
        Arguments.of("vgg16_bn", 138_365_992L, "torchvision"),
        Arguments.of("vgg19_bn", 143_678_248L, "torchvision"),
        Arguments.of("resnet18", 11_689_512L, "torchvision"),
        Arguments.of("resnet34", 21_797_672L, "torchvision"),
        Arguments.of("resnet50", 25_557_032L, "torchvision"),
        Arguments.of("resnet101", 44_549_160L, "torchvision"),
        Arguments.of("resnet152", 60_192_808L, "torchvision"),
        Arguments.of("googlenet", 6_624_904L, "torchvision"),
        Arguments.of("googlenet_aux", 13_004_888L, "torchvision"));
  }

  @ParameterizedTest(name = "{0}: {1} parameters as {2}")
  @MethodSource("referenceCounts")
  void parameterCountAt224MatchesReference(String name, long expected, String source) {
    Network net = Zoo.build(name, Shape.of(3, 224, 224), 1000);
    assertEquals(expected, net.layout().size(), name + " vs " + source);
  }

  @Test
  void inceptionResnetV2MatchesKerasApplications() {
    // Keras: Total params 55,873,736 = trainable 55,813,192 + non-trainable 60,544 (BN moving mean/variance)
    for (int size : new int[] {299, 224}) {
      Network net = Zoo.build("inception_resnet_v2", Shape.of(3, size, size), 1000);
      assertEquals(55_813_192L, net.layout().size());
      assertEquals(60_544L, net.bufferLayout().size());
      assertEquals(55_873_736L, (long) net.layout().size() + net.bufferLayout().size());
    }
  }

  @Test
  void smallInputVariantsHaveTheirStatedCounts() {
    assertEquals(61_706, Zoo.build("lenet5", Shape.of(1, 28, 28), 10).layout().size());
    assertEquals(61_706, Zoo.build("lenet5", Shape.of(1, 32, 32), 10).layout().size());
    assertEquals(431_080, Zoo.build("lenet", Shape.of(1, 28, 28), 10).layout().size());
    // lenet without the convolutions' 70 biases, plus gamma and beta of 20 + 50 channels
    assertEquals(431_150, Zoo.build("lenet_bn", Shape.of(1, 28, 28), 10).layout().size());
    assertEquals(140, Zoo.build("lenet_bn", Shape.of(1, 28, 28), 10).bufferLayout().size());
    // He et al.'s option A (zero-padding shortcuts) has 269,722 / 853,018; projections add 2,752
    assertEquals(272_474, Zoo.build("resnet20", Shape.of(3, 32, 32), 10).layout().size());
    assertEquals(855_770, Zoo.build("resnet56", Shape.of(3, 32, 32), 10).layout().size());
  }

  /**
   * Every zoo model at a reduced input size, with the batch used for its forward and backward pass:
   * one sample where every batch norm still sees several values per channel, two where the last
   * stage (or an auxiliary head) is 1×1: the reference backend refuses to train a batch norm on one
   * value per channel, which would pass no gradient anyway.
   */
  static Stream<Arguments> reduced() {
    return Stream.of(
        Arguments.of("lenet", Shape.of(1, 28, 28), 1),
        Arguments.of("lenet_bn", Shape.of(1, 28, 28), 2),
        Arguments.of("lenet5", Shape.of(1, 28, 28), 1),
        Arguments.of("alexnet", Shape.of(3, 64, 64), 1),
        Arguments.of("vgg11", Shape.of(3, 32, 32), 1),
        Arguments.of("vgg13", Shape.of(3, 32, 32), 1),
        Arguments.of("vgg16", Shape.of(3, 32, 32), 1),
        Arguments.of("vgg19", Shape.of(3, 32, 32), 1),
        Arguments.of("vgg11_bn", Shape.of(3, 32, 32), 1),
        Arguments.of("vgg13_bn", Shape.of(3, 32, 32), 1),
        Arguments.of("vgg16_bn", Shape.of(3, 32, 32), 1),
        Arguments.of("vgg19_bn", Shape.of(3, 32, 32), 1),
        Arguments.of("resnet18", Shape.of(3, 32, 32), 2),
        Arguments.of("resnet34", Shape.of(3, 32, 32), 2),
        Arguments.of("resnet50", Shape.of(3, 32, 32), 2),
        Arguments.of("resnet101", Shape.of(3, 32, 32), 2),
        Arguments.of("resnet152", Shape.of(3, 32, 32), 2),
        Arguments.of("resnet20", Shape.of(3, 32, 32), 2),
        Arguments.of("resnet56", Shape.of(3, 32, 32), 2),
        Arguments.of("googlenet", Shape.of(3, 64, 64), 1),
        Arguments.of("googlenet_aux", Shape.of(3, 64, 64), 2),
        Arguments.of("inception_resnet_v2", Shape.of(3, 75, 75), 2));
  }

  @Test
  void everyModelBuildsForItsDesignInput() {
    for (String name : Zoo.names()) {
      Network net = Zoo.build(name, Zoo.designInput(name), Zoo.designClasses(name));
      assertEquals(Zoo.designClasses(name), net.numClasses(), name);
    }
    assertEquals(Shape.of(1, 28, 28), Zoo.designInput("lenet_bn"));
    assertEquals(431_150, Zoo.build("lenet_bn", Zoo.designInput("lenet_bn"), 10).layout().size());
    assertEquals(Shape.of(3, 299, 299), Zoo.designInput("inception_resnet_v2"));
    assertEquals(1000, Zoo.designClasses("resnet50"));
    assertThrows(IllegalArgumentException.class, () -> Zoo.designInput("nonet"));
  }

  @Test
  void everyZooNameIsCovered() {
    assertEquals(Zoo.names().size(), reduced().count());
  }

  /**
   * He-uniform weights and the constant initialisers, drawn with one {@code nextDouble()} each:
   * {@link ParamLayout#initialize}'s Box–Muller normals take seconds for 60M parameters, and this
   * test is about the passes, not the initialisers (WeightInitTest covers those).
   */
  static float[] quickInit(ParamLayout layout) {
    float[] p = new float[layout.size()];
    SplittableRandom r = new SplittableRandom(1);
    for (ParamLayout.Slice s : layout.slices()) {
      if (s.init() == Initializer.ZEROS || s.init() == Initializer.ONES || s.init() == Initializer.QUARTER) {
        s.init().fill(p, s.offset(), s.size(), 1, 1, r);
      } else {
        double limit = Math.sqrt(6.0 / s.fanIn());
        for (int i = s.offset(); i < s.offset() + s.size(); i++) {
          p[i] = (float) (limit * (2 * r.nextDouble() - 1));
        }
      }
    }
    return p;
  }

  @ParameterizedTest(name = "{0} at {1}")
  @MethodSource("reduced")
  void buildsSummarisesAndRunsForwardAndBackward(String name, Shape input, int batch) {
    int classes = 5;
    Network net = Zoo.build(name, input, classes);
    String summary = net.summary();
    System.out.println(name + " at " + input + "\n" + summary);
    assertTrue(summary.contains(String.format("trainable parameters: %,d", net.layout().size())));
    float[] params = quickInit(net.layout());
    float[] buffers = net.bufferLayout().initialize(1);
    float[] grads = new float[params.length];
    SplittableRandom r = new SplittableRandom(2);
    float[] x = new float[batch * input.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    Tensor src = Tensor.wrap(x, input.prepend(batch));
    int[] labels = new int[batch];
    for (int i = 0; i < batch; i++) {
      labels[i] = i % classes;
    }
    ReferenceBackend b = new ReferenceBackend();
    double loss = net.lossAndGradient(b, params, buffers, grads, src, labels, 7);
    assertTrue(Double.isFinite(loss) && loss > 0, name + " loss " + loss);
    double norm = 0;
    for (float g : grads) {
      assertTrue(Float.isFinite(g));
      norm += g * g;
    }
    assertTrue(norm > 0, name + ": zero gradient");
    // the first layer's weights receive a gradient: backward reached the input
    ParamLayout.Slice first = net.layout().slices().get(0);
    double firstNorm = 0;
    for (int i = first.offset(); i < first.offset() + first.size(); i++) {
      firstNorm += grads[i] * grads[i];
    }
    assertTrue(firstNorm > 0, name + ": no gradient reached " + first.name());
    // evaluation mode (running statistics, no dropout) on one sample: the same code path at half the cost
    Tensor logits = net.forward(b, params, buffers, src.slice(0, 1));
    assertEquals(Shape.of(1, classes), logits.shape());
    for (float v : logits.toFloatArray()) {
      assertTrue(Float.isFinite(v));
    }
  }
}
