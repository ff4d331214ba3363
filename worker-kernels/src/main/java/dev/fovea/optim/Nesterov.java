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

  public Nesterov withLearningRate(double rate) {
    return new Nesterov(rate, momentum, weightDecay);
  }

  @Override
  public int stateSize(int paramCount) {
    return paramCount;
  }

  @Override
  public void step(float[] params, float[] grads, float[] state, long step, double rate) {
    Optimizer.checkLengths("nesterov", params, grads, state, stateSize(params.length));
    for (int i = 0; i < params.length; i++) {
      double g = grads[i] + weightDecay * params[i];
      double v = momentum * state[i] + g;
      state[i] = (float) v;
      params[i] = (float) (params[i] - rate * (g + momentum * v));
    }
  }
}
