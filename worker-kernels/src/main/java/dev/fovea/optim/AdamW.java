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

  public AdamW withLearningRate(double rate) {
    return new AdamW(rate, beta1, beta2, epsilon, weightDecay);
  }

  @Override
  public int stateSize(int paramCount) {
    return 2 * paramCount;
  }

  @Override
  public void step(float[] params, float[] grads, float[] state, long step, double rate) {
    Optimizer.checkLengths("adamw", params, grads, state, stateSize(params.length));
    for (int i = 0; i < params.length; i++) {
      params[i] = (float) (params[i] * (1 - rate * weightDecay));
    }
    Adam.update("adamw", params, grads, state, step, rate, beta1, beta2, epsilon, 0);
  }
}
