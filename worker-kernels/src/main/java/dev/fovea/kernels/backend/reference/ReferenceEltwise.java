package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Tensor;

/**
 * Element-wise activations: the formula of each {@link Activation.Kind} and its derivative.
 *
 * <ul>
 *   <li>IDENTITY: {@code f(x) = x}, {@code f'(x) = 1}.
 *   <li>RELU: {@code f(x) = x > 0 ? x : alpha·x}, {@code f'(x) = x > 0 ? 1 : alpha} (at 0 the
 *       derivative is taken as alpha, as PyTorch does).
 * </ul>
 */
final class ReferenceEltwise {
  private ReferenceEltwise() {}

  static double value(Activation f, double x) {
    return switch (f.kind()) {
      case IDENTITY -> x;
      case RELU -> x > 0 ? x : f.alpha() * x;
    };
  }

  static double derivative(Activation f, double x) {
    return switch (f.kind()) {
      case IDENTITY -> 1;
      case RELU -> x > 0 ? 1 : f.alpha();
    };
  }

  static void forward(Activation f, Tensor src, Tensor dst) {
    check(src, dst);
    int n = src.size();
    for (int i = 0; i < n; i++) {
      dst.set(i, value(f, src.get(i)));
    }
  }

  static void backward(Activation f, Tensor src, Tensor diffDst, Tensor diffSrc) {
    check(src, diffDst);
    check(src, diffSrc);
    int n = src.size();
    for (int i = 0; i < n; i++) {
      diffSrc.set(i, derivative(f, src.get(i)) * diffDst.get(i));
    }
  }

  private static void check(Tensor a, Tensor b) {
    if (a.size() != b.size()) {
      throw new IllegalArgumentException("eltwise: tensors " + a.shape() + " and " + b.shape() + " differ in size");
    }
  }
}
