package dev.fovea.optim;

/**
 * AdamW (Loshchilov and Hutter 2019) in PyTorch's form: weight decay decoupled from the gradient,
 *
 * <pre>
 *   w ← w − learningRate · weightDecay · w
 *   then the {@link Adam} update of w with the raw gradient
 * </pre>
 *
 * State: m then v, as Adam.
 *
 * @param learningRate &gt; 0; default 1e-3
 * @param beta1 in [0, 1); default 0.9
 * @param beta2 in [0, 1); default 0.999
 * @param epsilon &gt; 0; default 1e-8
 * @param weightDecay decoupled decay, ≥ 0; default 0.01 (PyTorch; Keras uses 0.004)
 */
public record AdamW(double learningRate, double beta1, double beta2, double epsilon, double weightDecay)
    implements Optimizer {

  public static final AdamW DEFAULTS = new AdamW(1e-3, 0.9, 0.999, 1e-8, 0.01);

  public AdamW {
    Adam.check("adamw", learningRate, beta1, beta2, epsilon, weightDecay);
  }

  @Override
  public AdamW withLearningRate(double rate) {
    return new AdamW(rate, beta1, beta2, epsilon, weightDecay);
  }

  @Override
  public int stateBlocks() {
    return 2;
  }

  @Override
  public void update(Segment s, long step, double rate) {
    java.nio.FloatBuffer w = s.params();
    for (int i = 0, n = s.length(); i < n; i++) {
      w.put(i, (float) (w.get(i) * (1 - rate * weightDecay)));
    }
    Adam.update("adamw", s, step, rate, beta1, beta2, epsilon, 0);
  }
}
