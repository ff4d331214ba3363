package dev.fovea.optim;

/**
 * An update rule over flat vectors: parameters, their gradients, and a flat state vector whose
 * size the optimizer declares, laid out in blocks of the parameter vector's length (for Adam: first
 * moments, then second moments), so the state averages, ships and checkpoints exactly like the
 * parameters. The step number is passed in rather than stored, so it stays exact however the state
 * is averaged.
 *
 * <p>Implementations are immutable records of hyperparameters, each with one {@code DEFAULTS}
 * constant holding its single default per field; every weight decay is L2 added to the gradient
 * ({@code g + weightDecay · w}, PyTorch's {@code weight_decay}) except {@link AdamW}'s, which is
 * decoupled.
 */
public interface Optimizer {

  /** The base learning rate, before any schedule. */
  double learningRate();

  /** The number of state floats for {@code paramCount} parameters. */
  int stateSize(int paramCount);

  /** Fills a fresh state vector (zeros for every optimizer here except AdaGrad's accumulator). */
  default void initState(float[] state) {
    java.util.Arrays.fill(state, 0f);
  }

  /**
   * Applies one update to {@code params} in place, reading {@code grads} and updating {@code
   * state}.
   *
   * @param step the 1-based number of this step (Adam's bias correction)
   * @param learningRate the learning rate of this step, usually from a {@link
   *     LearningRateSchedule}
   */
  void step(float[] params, float[] grads, float[] state, long step, double learningRate);

  /** One update at the base learning rate. */
  default void step(float[] params, float[] grads, float[] state, long step) {
    step(params, grads, state, step, learningRate());
  }

  /** Throws unless the three vectors fit together; every message names the optimizer. */
  static void checkLengths(String name, float[] params, float[] grads, float[] state, int stateSize) {
    if (params.length != grads.length || state.length != stateSize) {
      throw new IllegalArgumentException(name + ": params, grads and state have lengths " + params.length + ", "
          + grads.length + ", " + state.length + "; expected " + params.length + ", " + params.length + ", "
          + stateSize);
    }
  }
}
