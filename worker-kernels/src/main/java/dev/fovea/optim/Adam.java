package dev.fovea.optim;

import java.nio.FloatBuffer;

/**
 * Adam (Kingma and Ba 2015) in PyTorch's form, with L2 weight decay added to the gradient:
 *
 * <pre>
 *   g ← grad + weightDecay · w
 *   m ← beta1 · m + (1 − beta1) · g
 *   v ← beta2 · v + (1 − beta2) · g²
 *   w ← w − learningRate · (m / (1 − beta1ᵗ)) / (sqrt(v / (1 − beta2ᵗ)) + epsilon)
 * </pre>
 *
 * t is the 1-based step. State: m then v, one block of the parameter vector's length each. Keras
 * uses epsilon 1e-7 where PyTorch (and Fovea) use 1e-8.
 *
 * @param learningRate &gt; 0; default 1e-3
 * @param beta1 in [0, 1); default 0.9
 * @param beta2 in [0, 1); default 0.999
 * @param epsilon &gt; 0; default 1e-8
 * @param weightDecay L2 coefficient, ≥ 0; default 0
 */
public record Adam(double learningRate, double beta1, double beta2, double epsilon, double weightDecay)
    implements Optimizer {

  public static final Adam DEFAULTS = new Adam(1e-3, 0.9, 0.999, 1e-8, 0);

  public Adam {
    check("adam", learningRate, beta1, beta2, epsilon, weightDecay);
  }

  static void check(String name, double learningRate, double beta1, double beta2, double epsilon, double weightDecay) {
    Checks.positive(name, "learning rate", learningRate);
    Checks.unitInterval(name, "beta1", beta1);
    Checks.unitInterval(name, "beta2", beta2);
    Checks.positive(name, "epsilon", epsilon);
    Checks.nonNegative(name, "weight decay", weightDecay);
  }

  @Override
  public Adam withLearningRate(double rate) {
    return new Adam(rate, beta1, beta2, epsilon, weightDecay);
  }

  @Override
  public int stateBlocks() {
    return 2;
  }

  @Override
  public void update(Segment s, long step, double rate) {
    update("adam", s, step, rate, beta1, beta2, epsilon, weightDecay);
  }

  /** The Adam update with coupled L2 decay {@code l2}; shared with {@link AdamW} (which passes 0). */
  static void update(String name, Segment s, long step, double rate, double beta1, double beta2, double epsilon,
      double l2) {
    if (step < 1) {
      throw new IllegalArgumentException(name + ": step must be >= 1, got " + step);
    }
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2 = 1 - Math.pow(beta2, step);
    FloatBuffer w = s.params();
    FloatBuffer gr = s.grads();
    FloatBuffer m1 = s.state()[0];
    FloatBuffer m2 = s.state()[1];
    for (int i = 0, n = s.length(); i < n; i++) {
      double g = gr.get(i) + l2 * w.get(i);
      double m = beta1 * m1.get(i) + (1 - beta1) * g;
      double v = beta2 * m2.get(i) + (1 - beta2) * g * g;
      m1.put(i, (float) m);
      m2.put(i, (float) v);
      w.put(i, (float) (w.get(i) - rate * (m / bc1) / (Math.sqrt(v / bc2) + epsilon)));
    }
  }
}
