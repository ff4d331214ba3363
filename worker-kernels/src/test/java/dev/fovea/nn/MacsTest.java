package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Shape;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Multiply-accumulates per sample ({@link Network#macs()}): convolutions, transposed convolutions
 * and dense layers of the main output, the convention of the published figures.
 */
class MacsTest {

  /** LeNet by hand: each output cell of a convolution is one dot product over its window. */
  @Test
  void lenetByHand() {
    Network net = Zoo.lenet(Shape.of(1, 28, 28), 10);
    assertEquals(24 * 24 * 20 * 25, net.macsOf("conv1"));
    assertEquals(8 * 8 * 50 * 20 * 25, net.macsOf("conv2"));
    assertEquals(800 * 500, net.macsOf("fc1"));
    assertEquals(0, net.macsOf("pool1"));
    assertEquals(288_000 + 1_600_000 + 400_000 + 5_000, net.macs());
    String s = net.summary();
    assertTrue(s.contains("multiply-accumulates: 2,293,000 per sample (0.00 G-MACs at (1, 28, 28)"), s);
    assertTrue(s.contains("1,600,000"), s);
    // grouped and transposed convolutions: a depthwise 3x3 is C·9 per pixel; a 2x2 stride-2 transposed
    // convolution scatters each input cell through filters·4 weights
    Network g = Network.builder(Shape.of(8, 6, 6))
        .then(new Convolution("dw", 8, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, false, new int[] {1, 1},
            8, false, 0, Initializer.HE_NORMAL))
        .then(new Deconvolution("up", 4, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}, new int[] {0, 0}, true,
            Initializer.GLOROT_UNIFORM))
        .then(new GlobalPooling("gap", dev.fovea.kernels.PoolParams.Kind.AVG))
        .then(new Dense("fc", 3, Initializer.GLOROT_UNIFORM))
        .build();
    assertEquals(8 * 36 * 9, g.macsOf("dw"));
    assertEquals(8 * 36 * 4 * 4, g.macsOf("up"));
    assertEquals(8 * 36 * 9 + 8 * 36 * 16 + 4 * 3, g.macs());
  }

  /**
   * Published G-MACs at 224×224 and 1,000 classes: torchvision's model documentation lists
   * "GFLOPS" per weight set, which it counts as multiply-accumulates of convolutions and linear
   * layers (ResNet50_Weights.IMAGENET1K_V1 4.09, VGG16 15.47, AlexNet 0.71, GoogLeNet 1.50); the
   * papers' figures agree (ResNet-50 "3.8 × 10⁹ FLOPs" counts multiply-adds for the v1 stride
   * placement; VGG-16 ≈ 15.5 G). Inception-v3 at 299×299: torchvision's 5.71
   * ({@code Inception_V3_Weights.IMAGENET1K_V1}); Inception-v4 at 299×299: timm's model card for
   * {@code inception_v4.tf_in1k}, 12.3 GMACs.
   */
  static Stream<Arguments> published() {
    return Stream.of(
        Arguments.of("resnet50", 4.09),
        Arguments.of("vgg16", 15.47),
        Arguments.of("alexnet", 0.71),
        Arguments.of("googlenet", 1.50),
        Arguments.of("inception_v3", 5.71),
        Arguments.of("inception_v4", 12.3));
  }

  @ParameterizedTest(name = "{0}: {1} G-MACs")
  @MethodSource("published")
  void zooTotalsMatchPublishedFigures(String name, double gmacs) {
    Network net = Zoo.build(name, Zoo.designInput(name), 1000);
    double ours = net.macs() / 1e9;
    System.out.printf("%s: %.4f G-MACs at %s (published %.2f)%n", name, ours, net.inputShape(), gmacs);
    assertEquals(gmacs, ours, 0.02 * gmacs, name);
  }

  /** The docs' table (docs/networks.md): every zoo model's total at its design input and 1,000 or 10 classes. */
  @Test
  void everyZooModelHasATotal() {
    for (String name : Zoo.names()) {
      Shape in = Zoo.designInput(name);
      Network net = Zoo.build(name, in, Zoo.designClasses(name));
      System.out.printf("| %s | %s | %,d | %.3f |%n", name, in, net.macs(), net.macs() / 1e9);
      assertTrue(net.macs() > net.layout().size() / 2, name);
    }
  }
}
