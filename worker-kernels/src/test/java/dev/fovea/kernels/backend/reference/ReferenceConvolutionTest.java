package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReferenceConvolutionTest {

  /** A 3×3 image convolved with a 2×2 kernel, worked out by hand. */
  @Test
  void smallExampleByHand() {
    Tensor src = Tensor.wrap(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, Shape.of(1, 1, 3, 3));
    Tensor w = Tensor.wrap(new double[] {1, 0, 0, -1}, Shape.of(1, 1, 2, 2));
    Tensor b = Tensor.wrap(new double[] {10}, Shape.of(1));
    Tensor dst = Tensor.zeros(Shape.of(1, 1, 2, 2), DType.FLOAT64);
    ReferenceConvolution.forward(ConvParams.conv2d(1, 0), src, w, b, dst);
    // each output is x[i][j] - x[i+1][j+1] + 10 = -4 + 10
    assertClose("dst", Tensor.wrap(new double[] {6, 6, 6, 6}, Shape.of(1, 1, 2, 2)), dst, 0);
  }

  /** Stride 2 and padding 1 on a 4×4 image of ones with a 3×3 kernel of ones: counts the in-bounds taps. */
  @Test
  void stridedPaddedExampleByHand() {
    double[] ones = new double[16];
    java.util.Arrays.fill(ones, 1);
    double[] k = new double[9];
    java.util.Arrays.fill(k, 1);
    Tensor dst = Tensor.zeros(Shape.of(1, 1, 2, 2), DType.FLOAT64);
    ReferenceConvolution.forward(ConvParams.conv2d(2, 1), Tensor.wrap(ones, Shape.of(1, 1, 4, 4)),
        Tensor.wrap(k, Shape.of(1, 1, 3, 3)), null, dst);
    // windows start at -1 and 1 on each axis: 2·2, 2·3, 3·2, 3·3 cells inside the image
    assertClose("dst", Tensor.wrap(new double[] {4, 6, 6, 9}, Shape.of(1, 1, 2, 2)), dst, 0);
  }

  @Test
  void outputShapeFollowsPyTorch() {
    // torch.nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)(torch.zeros(2, 3, 7, 7)).shape == (2, 8, 4, 4)
    assertEquals(Shape.of(2, 8, 4, 4), ConvParams.conv2d(2, 1).outputShape(Shape.of(2, 3, 7, 7), Shape.of(8, 3, 3, 3)));
    // LeNet's first layer: 28×28 with 5×5 → 24×24
    assertEquals(Shape.of(1, 20, 24, 24), ConvParams.conv2d(1, 0).outputShape(Shape.of(1, 1, 28, 28), Shape.of(20, 1, 5, 5)));
  }

  @Test
  void invalidArgumentsNameTheArgument() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConvParams.conv2d(1, 0).outputShape(Shape.of(1, 1, 3, 3), Shape.of(1, 1, 5, 5)));
    assertTrue(e.getMessage().contains("larger than the padded input"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConvParams.conv2d(-1, 0));
    assertTrue(e.getMessage().contains("stride"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new ConvParams(new int[] {1, 1}, new int[] {0, 0},
        new int[] {0, 0}, new int[] {1, 1}, 2).outputShape(Shape.of(1, 3, 5, 5), Shape.of(4, 1, 3, 3)));
    assertTrue(e.getMessage().contains("not divisible by groups 2"), e.getMessage());
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("2d plain", Shape.of(2, 3, 6, 5), Shape.of(4, 3, 3, 3), ConvParams.conv2d(1, 0)),
        Arguments.of("2d stride 2 pad 1", Shape.of(2, 2, 7, 7), Shape.of(3, 2, 3, 3), ConvParams.conv2d(2, 1)),
        Arguments.of("2d asymmetric pad, dilation", Shape.of(1, 2, 6, 7), Shape.of(2, 2, 3, 2),
            new ConvParams(new int[] {1, 2}, new int[] {0, 2}, new int[] {1, 0}, new int[] {2, 1}, 1)),
        Arguments.of("2d groups", Shape.of(2, 4, 5, 5), Shape.of(6, 2, 3, 3),
            new ConvParams(new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 2)),
        Arguments.of("1d", Shape.of(2, 3, 9), Shape.of(2, 3, 3),
            new ConvParams(new int[] {2}, new int[] {1}, new int[] {0}, new int[] {1}, 1)),
        Arguments.of("3d", Shape.of(1, 2, 4, 4, 3), Shape.of(2, 2, 2, 3, 2),
            new ConvParams(new int[] {1, 1, 1}, new int[] {0, 1, 0}, new int[] {1, 1, 0}, new int[] {1, 1, 2}, 1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientsMatchFiniteDifferences(String name, Shape srcShape, Shape wShape, ConvParams p) {
    SplittableRandom rng = new SplittableRandom(name.hashCode());
    Tensor src = random(srcShape, rng);
    Tensor w = random(wShape, rng);
    Tensor b = random(Shape.of(wShape.dim(0)), rng);
    Shape dstShape = p.outputShape(srcShape, wShape);
    Tensor r = random(dstShape, rng);
    java.util.function.Function<Void, Double> loss = v -> {
      Tensor dst = Tensor.zeros(dstShape, DType.FLOAT64);
      ReferenceConvolution.forward(p, src, w, b, dst);
      return dot(dst, r);
    };
    Tensor diffSrc = Tensor.zeros(srcShape, DType.FLOAT64);
    ReferenceConvolution.backwardData(p, r, w, diffSrc);
    Tensor diffW = Tensor.zeros(wShape, DType.FLOAT64);
    Tensor diffB = Tensor.zeros(b.shape(), DType.FLOAT64);
    ReferenceConvolution.backwardWeights(p, src, r, diffW, diffB);
    check(name + " src", src, diffSrc, loss, 1e-7);
    check(name + " weights", w, diffW, loss, 1e-7);
    check(name + " bias", b, diffB, loss, 1e-7);
  }

  @Test
  void backwardWeightsAccumulates() {
    SplittableRandom rng = new SplittableRandom(3);
    Tensor src = random(Shape.of(1, 1, 4, 4), rng);
    Tensor dy = random(Shape.of(1, 2, 2, 2), rng);
    Tensor once = Tensor.zeros(Shape.of(2, 1, 3, 3), DType.FLOAT64);
    ReferenceConvolution.backwardWeights(ConvParams.conv2d(1, 0), src, dy, once, null);
    Tensor twice = Tensor.zeros(Shape.of(2, 1, 3, 3), DType.FLOAT64);
    ReferenceConvolution.backwardWeights(ConvParams.conv2d(1, 0), src, dy, twice, null);
    ReferenceConvolution.backwardWeights(ConvParams.conv2d(1, 0), src, dy, twice, null);
    for (int i = 0; i < once.size(); i++) {
      assertEquals(2 * once.get(i), twice.get(i), 1e-12);
    }
  }

  /** TensorFlow's 'same': ceil(in / stride) outputs, the odd padding cell at the end. */
  @Test
  void samePaddingFollowsTensorFlow() {
    // in 5, k 3, s 2: out 3, total padding 2 -> 1 / 1
    ConvParams a = ConvParams.same(new int[] {3}, new int[] {2}, new int[] {1}, new int[] {5}, 1);
    assertEquals(1, a.padBegin()[0]);
    assertEquals(1, a.padEnd()[0]);
    // in 6, k 3, s 2: out 3, total padding 1 -> 0 / 1 (TensorFlow pads the extra cell at the end)
    ConvParams b = ConvParams.same(new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 1}, new int[] {6, 4}, 1);
    assertEquals(0, b.padBegin()[0]);
    assertEquals(1, b.padEnd()[0]);
    assertEquals(0, b.padBegin()[1]);
    assertEquals(1, b.padEnd()[1]);
    assertEquals(Shape.of(1, 8, 3, 4), b.outputShape(Shape.of(1, 3, 6, 4), Shape.of(8, 3, 3, 2)));
    // dilation 2 on a 3-tap kernel spans 5: total 4 -> 2 / 2 at stride 1
    ConvParams c = ConvParams.same(new int[] {3}, new int[] {1}, new int[] {2}, new int[] {7}, 1);
    assertEquals(2, c.padBegin()[0]);
    assertEquals(2, c.padEnd()[0]);
    ConvParams v = ConvParams.valid(new int[] {2, 2}, new int[] {1, 1}, 1);
    assertEquals(Shape.of(1, 8, 2, 2), v.outputShape(Shape.of(1, 3, 6, 4), Shape.of(8, 3, 3, 2)));
  }

  @Test
  void samePaddingRejectsInvalidKernel() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConvParams.same(new int[] {0}, new int[] {1}, new int[] {1}, new int[] {5}, 1));
    assertEquals("convolution: invalid kernel [0]", e.getMessage());
  }
}
