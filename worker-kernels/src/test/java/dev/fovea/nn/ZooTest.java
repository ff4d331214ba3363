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

  /**
   * torchvision's {@code inception_v3} at 299×299 and 1,000 classes: {@code sum(p.numel() for p in
   * inception_v3(aux_logits=False, init_weights=False).parameters())} = 23,834,568 and with the
   * auxiliary classifier 27,161,264 (its documentation's 27.2M); the batch-norm running statistics
   * are buffers, as in PyTorch.
   */
  @Test
  void inceptionV3MatchesTorchvision() {
    Network net = Zoo.build("inception_v3", Shape.of(3, 299, 299), 1000);
    assertEquals(23_834_568L, net.layout().size());
    assertEquals(Shape.of(2048, 8, 8), net.outputShape("Mixed_7c"));
    Network aux = Zoo.build("inception_v3_aux", Shape.of(3, 299, 299), 1000);
    assertEquals(27_161_264L, aux.layout().size());
    assertEquals(Shape.of(768, 17, 17), aux.outputShape("Mixed_6e"));
    assertEquals(1, aux.auxHeads().size());
  }

  /**
   * Inception-v4 as timm's {@code inception_v4} (Cadene's port of the TensorFlow model) with 1,000
   * classes: 42,679,816 parameters (timm's model card: 42.7M). The sum below is the same count
   * taken module by module from timm's definition: each ConvNormAct {@code in·out·kh·kw + 2·out}.
   */
  @Test
  void inceptionV4MatchesTimm() {
    Network net = Zoo.build("inception_v4", Shape.of(3, 299, 299), 1000);
    long stem = cb(3, 32, 3, 3) + cb(32, 32, 3, 3) + cb(32, 64, 3, 3) + cb(64, 96, 3, 3) + cb(160, 64, 1, 1)
        + cb(64, 96, 3, 3) + cb(160, 64, 1, 1) + cb(64, 64, 1, 7) + cb(64, 64, 7, 1) + cb(64, 96, 3, 3)
        + cb(192, 192, 3, 3);
    long a = cb(384, 96, 1, 1) + 2 * cb(384, 64, 1, 1) + 2 * cb(64, 96, 3, 3) + cb(96, 96, 3, 3) + cb(384, 96, 1, 1);
    long ra = cb(384, 384, 3, 3) + cb(384, 192, 1, 1) + cb(192, 224, 3, 3) + cb(224, 256, 3, 3);
    long b = cb(1024, 384, 1, 1) + 2 * cb(1024, 192, 1, 1) + cb(192, 224, 1, 7) + cb(224, 256, 7, 1)
        + cb(192, 192, 7, 1) + cb(192, 224, 1, 7) + cb(224, 224, 7, 1) + cb(224, 256, 1, 7) + cb(1024, 128, 1, 1);
    long rb = cb(1024, 192, 1, 1) + cb(192, 192, 3, 3) + cb(1024, 256, 1, 1) + cb(256, 256, 1, 7)
        + cb(256, 320, 7, 1) + cb(320, 320, 3, 3);
    long c = cb(1536, 256, 1, 1) + 2 * cb(1536, 384, 1, 1) + 2 * cb(384, 256, 1, 3) + cb(384, 448, 3, 1)
        + cb(448, 512, 1, 3) + 2 * cb(512, 256, 1, 3) + cb(1536, 256, 1, 1);
    long sum = stem + 4 * a + ra + 7 * b + rb + 3 * c + 1536 * 1000 + 1000;
    assertEquals(42_679_816L, sum);
    assertEquals(42_679_816L, net.layout().size());
    assertEquals(Shape.of(1536, 8, 8), net.outputShape("inception_c3"));
    assertEquals(Shape.of(384, 35, 35), net.outputShape("mixed_5a"));
  }

  /** timm's ConvNormAct (and torchvision's BasicConv2d): conv without bias, batch norm with scale and shift. */
  private static long cb(int in, int out, int kh, int kw) {
    return (long) in * out * kh * kw + 2L * out;
  }

  /**
   * Inception-ResNet-v1 as facenet-pytorch's {@code InceptionResnetV1}: 23,482,624 parameters up to
   * its 512-d embedding (its {@code last_bn}), module by module from its definition below, and
   * 23,995,624 with {@code classify=True, num_classes=1000}.
   */
  @Test
  void inceptionResnetV1MatchesFacenetPytorch() {
    Network net = Zoo.build("inception_resnet_v1", Shape.of(3, 160, 160), 1000);
    long stem = cb(3, 32, 3, 3) + cb(32, 32, 3, 3) + cb(32, 64, 3, 3) + cb(64, 80, 1, 1) + cb(80, 192, 3, 3)
        + cb(192, 256, 3, 3);
    long a = 3 * cb(256, 32, 1, 1) + 3 * cb(32, 32, 3, 3) + 96 * 256 + 256;
    long ra = cb(256, 384, 3, 3) + cb(256, 192, 1, 1) + cb(192, 192, 3, 3) + cb(192, 256, 3, 3);
    long b = 2 * cb(896, 128, 1, 1) + cb(128, 128, 1, 7) + cb(128, 128, 7, 1) + 256 * 896 + 896;
    long rb = 3 * cb(896, 256, 1, 1) + cb(256, 384, 3, 3) + 2 * cb(256, 256, 3, 3) + cb(256, 256, 3, 3);
    long c = 2 * cb(1792, 192, 1, 1) + cb(192, 192, 1, 3) + cb(192, 192, 3, 1) + 384 * 1792 + 1792;
    long embedding = stem + 5 * a + ra + 10 * b + rb + 6 * c + 1792 * 512 + 2 * 512;
    assertEquals(23_482_624L, embedding);
    assertEquals(embedding + 512 * 1000 + 1000, net.layout().size());
    assertEquals(23_995_624L, net.layout().size());
    assertEquals(Shape.of(256, 35, 35), Zoo.build("inception_resnet_v1", Shape.of(3, 299, 299), 10)
        .outputShape("repeat_1.5"));
    assertEquals(Shape.of(1792, 3, 3), net.outputShape("block8"));
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
        Arguments.of("inception_v3", Shape.of(3, 75, 75), 2),
        Arguments.of("inception_v3_aux", Shape.of(3, 107, 107), 2),
        Arguments.of("inception_v4", Shape.of(3, 75, 75), 2),
        Arguments.of("inception_resnet_v1", Shape.of(3, 75, 75), 2),
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
