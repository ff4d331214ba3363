package dev.fovea.kernels.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Finite-difference gradient checks in double. An op under test is a function from its inputs to
 * one output tensor; the check contracts the output with a random tensor {@code r}, so the scalar
 * {@code L = <f(x), r>} has gradient {@code backward(diffDst = r)} in each input, and compares that
 * with central differences {@code (L(x + h) - L(x - h)) / 2h} for every element.
 */
public final class GradientCheck {
  private GradientCheck() {}

  /** A FLOAT64 tensor of uniform values in [-1, 1) that are never zero nor all equal. */
  public static Tensor random(Shape shape, SplittableRandom rng) {
    double[] d = new double[shape.size()];
    for (int i = 0; i < d.length; i++) {
      double v = rng.nextDouble(-1, 1);
      d[i] = Math.abs(v) < 1e-3 ? 0.5 : v;
    }
    return Tensor.wrap(d, shape);
  }

  /** Inner product of two tensors' elements. */
  public static double dot(Tensor a, Tensor b) {
    double s = 0;
    for (int i = 0; i < a.size(); i++) {
      s += a.get(i) * b.get(i);
    }
    return s;
  }

  /**
   * Checks {@code analytic} (the gradient of {@code <forward(), r>} with respect to {@code input})
   * against central differences of {@code loss} as each element of {@code input} is perturbed.
   *
   * @param loss recomputes the scalar loss from the current contents of {@code input}
   * @param tolerance the largest allowed {@code |a - n| / max(1, |a|, |n|)}
   */
  public static void check(String what, Tensor input, Tensor analytic, Function<Void, Double> loss, double tolerance) {
    if (input.dtype() != DType.FLOAT64) {
      throw new IllegalArgumentException("gradient checks run in double");
    }
    double h = 1e-6;
    for (int i = 0; i < input.size(); i++) {
      double saved = input.get(i);
      input.set(i, saved + h);
      double plus = loss.apply(null);
      input.set(i, saved - h);
      double minus = loss.apply(null);
      input.set(i, saved);
      double numeric = (plus - minus) / (2 * h);
      double a = analytic.get(i);
      double err = Math.abs(a - numeric) / Math.max(1, Math.max(Math.abs(a), Math.abs(numeric)));
      if (err > tolerance) {
        fail(what + ": element " + i + " analytic " + a + " numeric " + numeric + " (relative error " + err + ")");
      }
    }
  }

  /** Asserts two tensors agree element-wise within {@code tolerance} (absolute and relative). */
  public static void assertClose(String what, Tensor expected, Tensor actual, double tolerance) {
    if (!expected.shape().equals(actual.shape())) {
      fail(what + ": shape " + actual.shape() + ", expected " + expected.shape());
    }
    for (int i = 0; i < expected.size(); i++) {
      double e = expected.get(i);
      double a = actual.get(i);
      if (Math.abs(e - a) > tolerance * Math.max(1, Math.abs(e))) {
        fail(what + ": element " + i + " is " + a + ", expected " + e);
      }
    }
  }
}
