package dev.fovea.optim;

/**
 * Stochastic gradient descent with momentum and L2 weight decay, in PyTorch's form:
 *
 * <pre>
 *   g ← grad + weightDecay · w
 *   v ← momentum · v + g
 *   w ← w − learningRate · v
 * </pre>
 *
 * With {@code momentum = 0} this is plain SGD and the velocity is unused. The state is one velocity
 * per parameter, laid out like the parameter vector, so it averages and checkpoints the same way.
 * Nesterov momentum is {@link Nesterov}.
 *
 * @param learningRate step size, > 0
 * @param momentum in [0, 1)
 * @param weightDecay L2 coefficient, ≥ 0
 */
public record Sgd(double learningRate, double momentum, double weightDecay) implements Optimizer {

  /** Learning rate 0.01 (Keras's default; PyTorch has none), no momentum, no weight decay. */
  public static final Sgd DEFAULTS = new Sgd(0.01, 0, 0);

  public Sgd {
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("sgd: learning rate must be > 0, got " + learningRate);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("sgd: momentum must be in [0, 1), got " + momentum);
    }
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("sgd: weight decay must be >= 0, got " + weightDecay);
    }
  }

  @Override
  public Sgd withLearningRate(double rate) {
    return new Sgd(rate, momentum, weightDecay);
  }

  /** Applies one update to {@code params} in place; {@code velocity} is the optimizer state. */
  public void step(float[] params, float[] grads, float[] velocity) {
    step(params, grads, velocity, 1, learningRate);
  }

  @Override
  public int stateBlocks() {
    return 1;
  }

  /** One update at {@code rate}, in float arithmetic; the step number is unused. */
  @Override
  public void update(Segment s, long step, double rate) {
    float lr = (float) rate;
    float mu = (float) momentum;
    float wd = (float) weightDecay;
    java.nio.FloatBuffer p = s.params();
    java.nio.FloatBuffer g = s.grads();
    java.nio.FloatBuffer v = s.state()[0];
    int n = s.length();
    if (mu == 0f) {
      for (int i = 0; i < n; i++) {
        float w = p.get(i);
        p.put(i, w - lr * (g.get(i) + wd * w));
      }
      return;
    }
    for (int i = 0; i < n; i++) {
      float w = p.get(i);
      float x = mu * v.get(i) + g.get(i) + wd * w;
      v.put(i, x);
      p.put(i, w - lr * x);
    }
  }
}
