package dev.fovea.optim;

import java.nio.FloatBuffer;

/**
 * AdaGrad (Duchi et al. 2011) in PyTorch's form (no learning-rate decay):
 *
 * <pre>
 *   g ← grad + weightDecay · w
 *   s ← s + g²                      (s starts at initialAccumulator)
 *   w ← w − learningRate · g / (sqrt(s) + epsilon)
 * </pre>
 *
 * State: s, one float per parameter, filled by {@link #initState}. Keras's defaults differ
 * (learning rate 1e-3, initial accumulator 0.1, epsilon 1e-7).
 *
 * @param learningRate &gt; 0; default 0.01
 * @param initialAccumulator ≥ 0; default 0
 * @param epsilon &gt; 0; default 1e-10
 * @param weightDecay L2 coefficient, ≥ 0; default 0
 */
public record AdaGrad(double learningRate, double initialAccumulator, double epsilon, double weightDecay)
    implements Optimizer {

  public static final AdaGrad DEFAULTS = new AdaGrad(0.01, 0, 1e-10, 0);

  public AdaGrad {
    Checks.positive("adagrad", "learning rate", learningRate);
    Checks.nonNegative("adagrad", "initial accumulator", initialAccumulator);
    Checks.positive("adagrad", "epsilon", epsilon);
    Checks.nonNegative("adagrad", "weight decay", weightDecay);
  }

  @Override
  public AdaGrad withLearningRate(double rate) {
    return new AdaGrad(rate, initialAccumulator, epsilon, weightDecay);
  }

  @Override
  public int stateBlocks() {
    return 1;
  }

  @Override
  public void initState(float[] state) {
    java.util.Arrays.fill(state, (float) initialAccumulator);
  }

  @Override
  public void update(Segment seg, long step, double rate) {
    FloatBuffer w = seg.params();
    FloatBuffer gr = seg.grads();
    FloatBuffer acc = seg.state()[0];
    for (int i = 0, n = seg.length(); i < n; i++) {
      double g = gr.get(i) + weightDecay * w.get(i);
      double s = acc.get(i) + g * g;
      acc.put(i, (float) s);
      w.put(i, (float) (w.get(i) - rate * g / (Math.sqrt(s) + epsilon)));
    }
  }
}
