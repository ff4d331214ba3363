package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The hand examples are the ones in PyTorch's {@code nn.Upsample} documentation: [[1, 2], [3, 4]] to 4×4. */
class ReferenceResamplingTest {

  private static final Tensor SRC = Tensor.wrap(new double[] {1, 2, 3, 4}, Shape.of(1, 1, 2, 2));

  private static Tensor up(ResamplingParams p) {
    Tensor dst = Tensor.zeros(Shape.of(1, 1, 4, 4), DType.FLOAT64);
    ReferenceResampling.forward(p, SRC, dst);
    return dst;
  }

  @Test
  void nearestByHand() {
    assertClose("nearest", Tensor.wrap(new double[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4},
        Shape.of(1, 1, 4, 4)), up(ResamplingParams.NEAREST), 0);
  }

  @Test
  void bilinearHalfPixelByHand() {
    assertClose("bilinear, align_corners=False", Tensor.wrap(new double[] {
        1.00, 1.25, 1.75, 2.00,
        1.50, 1.75, 2.25, 2.50,
        2.50, 2.75, 3.25, 3.50,
        3.00, 3.25, 3.75, 4.00}, Shape.of(1, 1, 4, 4)),
        up(new ResamplingParams(ResamplingParams.Kind.BILINEAR, false)), 1e-15);
  }

  @Test
  void bilinearAlignCornersByHand() {
    double t = 1.0 / 3;
    assertClose("bilinear, align_corners=True", Tensor.wrap(new double[] {
        1, 1 + t, 1 + 2 * t, 2,
        1 + 2 * t, 2, 2 + t, 2 + 2 * t,
        2 + t, 2 + 2 * t, 3, 3 + t,
        3, 3 + t, 3 + 2 * t, 4}, Shape.of(1, 1, 4, 4)),
        up(new ResamplingParams(ResamplingParams.Kind.BILINEAR, true)), 1e-15);
  }

  /** Bed of nails: each value at the top-left of its 2×2 block, zeros elsewhere; backward reads those cells. */
  @Test
  void bedOfNailsByHand() {
    ResamplingParams p = new ResamplingParams(ResamplingParams.Kind.BED_OF_NAILS, false);
    assertClose("bed of nails", Tensor.wrap(new double[] {1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0},
        Shape.of(1, 1, 4, 4)), up(p), 0);
    Tensor diffDst = Tensor.wrap(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
        Shape.of(1, 1, 4, 4));
    Tensor diffSrc = Tensor.zeros(Shape.of(1, 1, 2, 2), DType.FLOAT64);
    ReferenceResampling.backward(p, diffDst, diffSrc);
    assertClose("bed of nails backward", Tensor.wrap(new double[] {1, 3, 9, 11}, Shape.of(1, 1, 2, 2)), diffSrc, 0);
    Tensor wide = Tensor.zeros(Shape.of(1, 1, 2, 6), DType.FLOAT64);
    ReferenceResampling.forward(p, SRC, wide);
    assertClose("bed of nails 1x3", Tensor.wrap(new double[] {1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0},
        Shape.of(1, 1, 2, 6)), wide, 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReferenceResampling.forward(p, SRC, Tensor.zeros(Shape.of(1, 1, 3, 4), DType.FLOAT64)));
    assertTrue(e.getMessage().startsWith("resampling: bed of nails needs output sizes that are multiples"),
        e.getMessage());
  }

  @Test
  void invalidShapesAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReferenceResampling.forward(ResamplingParams.NEAREST, SRC, Tensor.zeros(Shape.of(1, 2, 4, 4))));
    assertTrue(e.getMessage().startsWith("resampling: source (1, 1, 2, 2) and destination (1, 2, 4, 4)"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ResamplingParams.scaledShape(Shape.of(1, 1, 2, 2), 0));
    assertTrue(e.getMessage().equals("resampling: scale must be >= 1, got 0"), e.getMessage());
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("nearest 2x", ResamplingParams.NEAREST, Shape.of(2, 2, 3, 4), Shape.of(2, 2, 6, 8)),
        Arguments.of("nearest odd sizes", ResamplingParams.NEAREST, Shape.of(1, 2, 3, 5), Shape.of(1, 2, 7, 4)),
        Arguments.of("bilinear half-pixel 2x", new ResamplingParams(ResamplingParams.Kind.BILINEAR, false),
            Shape.of(2, 2, 3, 4), Shape.of(2, 2, 6, 8)),
        Arguments.of("bilinear half-pixel odd sizes", new ResamplingParams(ResamplingParams.Kind.BILINEAR, false),
            Shape.of(1, 2, 3, 5), Shape.of(1, 2, 7, 4)),
        Arguments.of("bilinear align corners odd", new ResamplingParams(ResamplingParams.Kind.BILINEAR, true),
            Shape.of(1, 2, 3, 5), Shape.of(1, 2, 7, 4)),
        Arguments.of("bed of nails 2x", new ResamplingParams(ResamplingParams.Kind.BED_OF_NAILS, false),
            Shape.of(2, 2, 3, 4), Shape.of(2, 2, 6, 8)),
        Arguments.of("bed of nails 3x by 2x", new ResamplingParams(ResamplingParams.Kind.BED_OF_NAILS, false),
            Shape.of(1, 2, 3, 5), Shape.of(1, 2, 9, 10)),
        Arguments.of("bilinear align corners to 1", new ResamplingParams(ResamplingParams.Kind.BILINEAR, true),
            Shape.of(1, 1, 3, 3), Shape.of(1, 1, 1, 5)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientMatchesFiniteDifferences(String name, ResamplingParams p, Shape in, Shape out) {
    SplittableRandom rng = new SplittableRandom(name.hashCode());
    Tensor src = random(in, rng);
    Tensor r = random(out, rng);
    Tensor diffSrc = Tensor.zeros(in, DType.FLOAT64);
    ReferenceResampling.backward(p, r, diffSrc);
    check(name, src, diffSrc, v -> {
      Tensor dst = Tensor.zeros(out, DType.FLOAT64);
      ReferenceResampling.forward(p, src, dst);
      return dot(dst, r);
    }, 1e-7);
  }
}
