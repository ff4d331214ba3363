package dev.fovea.optim;

/** Hyperparameter checks shared by the optimizers; messages name the optimizer, the field and the value. */
final class Checks {
  private Checks() {}

  static void positive(String name, String field, double v) {
    if (!(v > 0)) {
      throw new IllegalArgumentException(name + ": " + field + " must be > 0, got " + v);
    }
  }

  static void nonNegative(String name, String field, double v) {
    if (!(v >= 0)) {
      throw new IllegalArgumentException(name + ": " + field + " must be >= 0, got " + v);
    }
  }

  static void unitInterval(String name, String field, double v) {
    if (!(v >= 0 && v < 1)) {
      throw new IllegalArgumentException(name + ": " + field + " must be in [0, 1), got " + v);
    }
  }
}
