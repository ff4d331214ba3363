package dev.fovea.optim;

import java.io.Serializable;
import java.util.List;

/**
 * An update rule over flat vectors: parameters, their gradients, and a flat state vector of {@link
 * #stateBlocks} blocks of the parameter vector's length (for Adam: first moments, then second
 * moments), so the state averages, ships and checkpoints exactly like the parameters. The step
 * number is passed in rather than stored, so it stays exact however the state is averaged.
 *
 * <p>Each optimizer's {@link #update} is its formula, written once: element-wise over a {@link
 * Segment}, so the same code updates heap arrays and the native memory a CPU backend keeps
 * parameters in. It is the specification a device backend's update kernel is checked against; the
 * set of optimizers is closed (sealed) so such a backend can have a kernel for every one.
 *
 * <p>Implementations are immutable records of hyperparameters, each with one {@code DEFAULTS}
 * constant holding its single default per field; every weight decay is L2 added to the gradient
 * ({@code g + weightDecay · w}, PyTorch's {@code weight_decay}) except {@link AdamW}'s, which is
 * decoupled.
 */
public sealed interface Optimizer extends Serializable
    permits Sgd, Nesterov, Adam, AdamW, RmsProp, AdaGrad, Frozen {

  /** The base learning rate, before any schedule. */
  double learningRate();

  /** This optimizer at another base learning rate. */
  Optimizer withLearningRate(double rate);

  /** The number of state blocks, each as long as the parameter vector. */
  int stateBlocks();

  /** The number of state floats for {@code paramCount} parameters. */
  default int stateSize(int paramCount) {
    return Math.multiplyExact(stateBlocks(), paramCount);
  }

  /** Fills a fresh state vector (zeros for every optimizer here except AdaGrad's accumulator). */
  default void initState(float[] state) {
    java.util.Arrays.fill(state, 0f);
  }

  /**
   * The formula: one update of {@code s.params()} in place from {@code s.grads()}, updating {@code
   * s.state()}, element by element.
   *
   * @param step the 1-based number of this step (Adam's bias correction)
   * @param learningRate the learning rate of this step
   */
  void update(Segment s, long step, double learningRate);

  /**
   * Applies one update to {@code params} in place, reading {@code grads} and updating {@code
   * state}: {@link #update} over the vectors as one segment.
   *
   * @param step the 1-based number of this step (Adam's bias correction)
   * @param learningRate the learning rate of this step, usually from a {@link
   *     LearningRateSchedule}
   */
  default void step(float[] params, float[] grads, float[] state, long step, double learningRate) {
    checkLengths(getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT), params, grads, state,
        stateSize(params.length));
    update(Segment.of(params, grads, state, stateBlocks()), step, learningRate);
  }

  /** One update at the base learning rate. */
  default void step(float[] params, float[] grads, float[] state, long step) {
    step(params, grads, state, step, learningRate());
  }

  /** {@link #update} over every segment. */
  default void update(List<Segment> segments, long step, double learningRate) {
    for (Segment s : segments) {
      update(s, step, learningRate);
    }
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
