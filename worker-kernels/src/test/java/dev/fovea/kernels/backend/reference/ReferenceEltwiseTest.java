package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ReferenceEltwiseTest {

  @Test
  void reluAndLeakyReluByHand() {
    Tensor src = Tensor.wrap(new double[] {-2, -0.5, 0, 3}, Shape.of(4));
    Tensor dst = Tensor.zeros(Shape.of(4), DType.FLOAT64);
    ReferenceEltwise.forward(Activation.RELU, src, dst);
    assertClose("relu", Tensor.wrap(new double[] {0, 0, 0, 3}, Shape.of(4)), dst, 0);
    ReferenceEltwise.forward(new Activation(Activation.Kind.RELU, 0.1, 0), src, dst);
    assertClose("leaky", Tensor.wrap(new double[] {-0.2, -0.05, 0, 3}, Shape.of(4)), dst, 1e-15);
  }

  @ParameterizedTest
  @EnumSource(Activation.Kind.class)
  void gradientMatchesFiniteDifferences(Activation.Kind kind) {
    Activation f = new Activation(kind, 0.1, 0);
    SplittableRandom rng = new SplittableRandom(kind.ordinal());
    Tensor src = random(Shape.of(3, 7), rng);
    Tensor r = random(src.shape(), rng);
    Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceEltwise.backward(f, src, r, diffSrc);
    check(kind.name(), src, diffSrc, v -> {
      Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
      ReferenceEltwise.forward(f, src, dst);
      return dot(dst, r);
    }, 1e-7);
  }
}
