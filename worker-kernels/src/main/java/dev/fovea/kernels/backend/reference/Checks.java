package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/** Argument checks shared by the reference ops; every message starts with the op's name. */
final class Checks {
  private Checks() {}

  /** Throws unless {@code t} has exactly {@code expected} shape. */
  static void shape(String op, String what, Tensor t, Shape expected) {
    if (t == null) {
      throw new IllegalArgumentException(op + ": " + what + " must not be null");
    }
    if (!t.shape().equals(expected)) {
      throw new IllegalArgumentException(op + ": " + what + " is " + t.shape() + ", expected " + expected);
    }
  }

  /** Throws unless {@code t} has rank at least {@code min}. */
  static void rankAtLeast(String op, String what, Tensor t, int min) {
    if (t.shape().rank() < min) {
      throw new IllegalArgumentException(op + ": " + what + " " + t.shape() + " must have rank >= " + min);
    }
  }

  /** Throws unless {@code labels} has one label in {@code [0, k)} per row. */
  static void labels(String op, int[] labels, int n, int k) {
    dev.fovea.kernels.Backend.checkLabels(op, labels, n, k);
  }

  /** The number of elements per channel plane: the product of the dimensions after axis 1. */
  static int inner(Shape s) {
    int n = 1;
    for (int i = 2; i < s.rank(); i++) {
      n *= s.dim(i);
    }
    return n;
  }
}
