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
import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReferenceDeconvolutionTest {

  private static ConvParams conv(int[] stride, int[] padBegin, int[] padEnd, int[] dil, int groups) {
    return new ConvParams(stride, padBegin, padEnd, dil, groups);
  }

  /** A 2×2 input and a 2×2 kernel of ones: every input cell is stamped onto a 3×3 output. */
  @Test
  void stampExampleByHand() {
    Tensor src = Tensor.wrap(new double[] {1, 2, 3, 4}, Shape.of(1, 1, 2, 2));
    Tensor w = Tensor.wrap(new double[] {1, 1, 1, 1}, Shape.of(1, 1, 2, 2));
    Tensor dst = Tensor.zeros(Shape.of(1, 1, 3, 3), DType.FLOAT64);
    ReferenceDeconvolution.forward(DeconvParams.of(ConvParams.conv2d(1, 0)), src, w, null, dst);
    assertClose("dst", Tensor.wrap(new double[] {1, 3, 2, 4, 10, 6, 3, 7, 4}, dst.shape()), dst, 0);
  }

  /** 1D, stride 2, kernel (1, 1, 1), bias 0.5: windows overlap in one cell. */
  @Test
  void stridedExampleByHand() {
    DeconvParams p = DeconvParams.of(conv(new int[] {2}, new int[] {0}, new int[] {0}, new int[] {1}, 1));
    Tensor src = Tensor.wrap(new double[] {1, 2}, Shape.of(1, 1, 2));
    Tensor w = Tensor.wrap(new double[] {1, 1, 1}, Shape.of(1, 1, 3));
    Tensor dst = Tensor.zeros(Shape.of(1, 1, 5), DType.FLOAT64);
    ReferenceDeconvolution.forward(p, src, w, Tensor.wrap(new double[] {0.5}, Shape.of(1)), dst);
    assertClose("dst", Tensor.wrap(new double[] {1.5, 1.5, 3.5, 2.5, 2.5}, dst.shape()), dst, 0);
  }

  @Test
  void outputShapeFollowsPyTorch() {
    // torch.nn.ConvTranspose2d(16, 33, 3, stride=2, padding=1, output_padding=1)(torch.zeros(1, 16, 12, 12)) -> (1, 33, 24, 24)
    DeconvParams p = new DeconvParams(ConvParams.conv2d(2, 1), new int[] {1, 1});
    assertEquals(Shape.of(1, 33, 24, 24), p.outputShape(Shape.of(1, 16, 12, 12), Shape.of(16, 33, 3, 3)));
    // groups 2, dilation 2: out = (5 - 1) * 1 - 0 + 2 * 2 + 0 + 1 = 9; OC = 3 * 2
    DeconvParams g = DeconvParams.of(conv(new int[] {1, 1}, new int[] {0, 0}, new int[] {0, 0}, new int[] {2, 2}, 2));
    assertEquals(Shape.of(1, 6, 9, 9), g.outputShape(Shape.of(1, 4, 5, 5), Shape.of(4, 3, 3, 3)));
  }

  @Test
  void invalidArgumentsNameTheArgument() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DeconvParams(ConvParams.conv2d(2, 0), new int[] {2, 0}));
    assertTrue(e.getMessage().startsWith("deconvolution: outputPadding [2, 0]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> DeconvParams.of(ConvParams.conv2d(1, 0)).outputShape(Shape.of(1, 3, 4, 4), Shape.of(2, 3, 3, 3)));
    assertTrue(e.getMessage().contains("expect 2 input channels, got 3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> DeconvParams.of(ConvParams.conv2d(1, 3)).outputShape(Shape.of(1, 1, 1, 1), Shape.of(1, 1, 2, 2)));
    assertTrue(e.getMessage().contains("leaves no output"), e.getMessage());
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("2d stride 2 pad 1 output padding 1", Shape.of(2, 3, 3, 4), Shape.of(3, 2, 3, 3),
            new DeconvParams(ConvParams.conv2d(2, 1), new int[] {1, 1})),
        Arguments.of("2d asymmetric pad, dilation 2", Shape.of(1, 2, 3, 3), Shape.of(2, 3, 2, 3),
            new DeconvParams(conv(new int[] {1, 2}, new int[] {1, 0}, new int[] {0, 2}, new int[] {2, 1}, 1),
                new int[] {0, 1})),
        Arguments.of("2d groups 2", Shape.of(1, 4, 3, 3), Shape.of(4, 3, 3, 3),
            DeconvParams.of(conv(new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 2))),
        Arguments.of("depthwise", Shape.of(2, 3, 3, 3), Shape.of(3, 1, 2, 2),
            DeconvParams.of(conv(new int[] {2, 2}, new int[] {0, 0}, new int[] {0, 0}, new int[] {1, 1}, 3))),
        Arguments.of("1d", Shape.of(2, 2, 5), Shape.of(2, 3, 4),
            new DeconvParams(conv(new int[] {3}, new int[] {1}, new int[] {2}, new int[] {1}, 1), new int[] {2})),
        Arguments.of("3d", Shape.of(1, 2, 2, 3, 2), Shape.of(2, 2, 2, 2, 3),
            new DeconvParams(conv(new int[] {2, 1, 2}, new int[] {0, 1, 1}, new int[] {1, 0, 0}, new int[] {1, 2, 1},
                1), new int[] {1, 0, 0})));
  }

  /** ⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩ for random x and y: the definition of the op. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void isTheAdjointOfConvolution(String name, Shape srcShape, Shape wShape, DeconvParams p) {
    SplittableRandom rng = new SplittableRandom(name.hashCode() + 1);
    Tensor y = random(srcShape, rng);
    Tensor w = random(wShape, rng);
    Shape xShape = p.outputShape(srcShape, wShape);
    Tensor x = random(xShape, rng);
    Tensor convX = Tensor.zeros(srcShape, DType.FLOAT64);
    ReferenceConvolution.forward(p.conv(), x, w, null, convX);
    Tensor convTy = Tensor.zeros(xShape, DType.FLOAT64);
    ReferenceDeconvolution.forward(p, y, w, null, convTy);
    assertEquals(dot(convX, y), dot(x, convTy), 1e-12);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientsMatchFiniteDifferences(String name, Shape srcShape, Shape wShape, DeconvParams p) {
    SplittableRandom rng = new SplittableRandom(name.hashCode());
    Tensor src = random(srcShape, rng);
    Tensor w = random(wShape, rng);
    Shape dstShape = p.outputShape(srcShape, wShape);
    Tensor b = random(Shape.of(dstShape.dim(1)), rng);
    Tensor r = random(dstShape, rng);
    Function<Void, Double> loss = v -> {
      Tensor dst = Tensor.zeros(dstShape, DType.FLOAT64);
      ReferenceDeconvolution.forward(p, src, w, b, dst);
      return dot(dst, r);
    };
    Tensor diffSrc = Tensor.zeros(srcShape, DType.FLOAT64);
    ReferenceDeconvolution.backwardData(p, r, w, diffSrc);
    Tensor diffW = Tensor.zeros(wShape, DType.FLOAT64);
    Tensor diffB = Tensor.zeros(b.shape(), DType.FLOAT64);
    ReferenceDeconvolution.backwardWeights(p, src, r, diffW, diffB);
    check(name + " src", src, diffSrc, loss, 1e-7);
    check(name + " weights", w, diffW, loss, 1e-7);
    check(name + " bias", b, diffB, loss, 1e-7);
  }
}
