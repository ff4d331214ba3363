package dev.fovea.optim;

/**
 * RMSProp in PyTorch's form (not centred):
 *
 * <pre>
 *   g ← grad + weightDecay · w
 *   s ← alpha · s + (1 − alpha) · g²
 *   momentum = 0:  w ← w − learningRate · g / (sqrt(s) + epsilon)
 *   momentum &gt; 0:  b ← momentum · b + g / (sqrt(s) + epsilon);  w ← w − learningRate · b
 * </pre>
 *
 * State: s then b, one block of the parameter vector's length each (b unused without momentum).
 * Keras's defaults differ (learning rate 1e-3, rho 0.9, epsilon 1e-7).
 *
 * @param learningRate &gt; 0; default 0.01
 * @param alpha smoothing constant in [0, 1); default 0.99
 * @param epsilon &gt; 0; default 1e-8
 * @param momentum in [0, 1); default 0
 * @param weightDecay L2 coefficient, ≥ 0; default 0
 */
public record RmsProp(double learningRate, double alpha, double epsilon, double momentum, double weightDecay)
    implements Optimizer {

  public static final RmsProp DEFAULTS = new RmsProp(0.01, 0.99, 1e-8, 0, 0);

  public RmsProp {
    Checks.positive("rmsprop", "learning rate", learningRate);
    Checks.unitInterval("rmsprop", "alpha", alpha);
    Checks.positive("rmsprop", "epsilon", epsilon);
    Checks.unitInterval("rmsprop", "momentum", momentum);
    Checks.nonNegative("rmsprop", "weight decay", weightDecay);
  }

  @Override
  public RmsProp withLearningRate(double rate) {
    return new RmsProp(rate, alpha, epsilon, momentum, weightDecay);
  }

  @Override
  public int stateBlocks() {
    return 2;
  }

  @Override
  public void update(Segment seg, long step, double rate) {
    java.nio.FloatBuffer w = seg.params();
    java.nio.FloatBuffer gr = seg.grads();
    java.nio.FloatBuffer sq = seg.state()[0];
    java.nio.FloatBuffer buf = seg.state()[1];
    for (int i = 0, n = seg.length(); i < n; i++) {
      double g = gr.get(i) + weightDecay * w.get(i);
      double s = alpha * sq.get(i) + (1 - alpha) * g * g;
      sq.put(i, (float) s);
      double d = g / (Math.sqrt(s) + epsilon);
      if (momentum > 0) {
        d = momentum * buf.get(i) + d;
        buf.put(i, (float) d);
      }
      w.put(i, (float) (w.get(i) - rate * d));
    }
  }
}
