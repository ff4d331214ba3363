package dev.fovea.optim;

/**
 * SGD with Nesterov momentum, in PyTorch's form ({@code SGD(nesterov=True)}):
 *
 * <pre>
 *   g ← grad + weightDecay · w
 *   v ← momentum · v + g
 *   w ← w − learningRate · (g + momentum · v)
 * </pre>
 *
 * State: the velocity v, one float per parameter.
 *
 * @param learningRate step size, &gt; 0; default 0.01
 * @param momentum in (0, 1); default 0.9
 * @param weightDecay L2 coefficient, ≥ 0; default 0
 */
public record Nesterov(double learningRate, double momentum, double weightDecay) implements Optimizer {

  public static final Nesterov DEFAULTS = new Nesterov(0.01, 0.9, 0);

  public Nesterov {
    Checks.positive("nesterov", "learning rate", learningRate);
    Checks.unitInterval("nesterov", "momentum", momentum);
    Checks.positive("nesterov", "momentum", momentum);
    Checks.nonNegative("nesterov", "weight decay", weightDecay);
  }

  @Override
  public Nesterov withLearningRate(double rate) {
    return new Nesterov(rate, momentum, weightDecay);
  }

  @Override
  public int stateBlocks() {
    return 1;
  }

  @Override
  public void update(Segment s, long step, double rate) {
    java.nio.FloatBuffer w = s.params();
    java.nio.FloatBuffer gr = s.grads();
    java.nio.FloatBuffer vel = s.state()[0];
    for (int i = 0, n = s.length(); i < n; i++) {
      double g = gr.get(i) + weightDecay * w.get(i);
      double v = momentum * vel.get(i) + g;
      vel.put(i, (float) v);
      w.put(i, (float) (w.get(i) - rate * (g + momentum * v)));
    }
  }
}
