package dev.fovea.optim;

import java.util.BitSet;

/**
 * An optimizer that leaves frozen parameters bitwise unchanged: their gradients are zeroed before
 * the wrapped optimizer's step and their values restored after it, so momentum, weight decay and
 * Adam's moments cannot move them either. The mask is over the flat parameter vector (build it from
 * named slices with {@code dev.fovea.nn.Transfer.frozenMask}); state is the wrapped optimizer's.
 *
 * @param optimizer the optimizer of the trainable parameters
 * @param frozen bit i set when parameter i must not change
 */
public record Frozen(Optimizer optimizer, BitSet frozen) implements Optimizer {

  public Frozen {
    if (optimizer == null || frozen == null) {
      throw new IllegalArgumentException("frozen: optimizer and mask must not be null");
    }
    frozen = (BitSet) frozen.clone();
  }

  @Override
  public BitSet frozen() {
    return (BitSet) frozen.clone();
  }

  @Override
  public double learningRate() {
    return optimizer.learningRate();
  }

  @Override
  public Frozen withLearningRate(double rate) {
    return new Frozen(optimizer.withLearningRate(rate), frozen);
  }

  @Override
  public int stateBlocks() {
    return optimizer.stateBlocks();
  }

  /**
   * Not element-wise: the mask is over positions of the flat vector, which a segment does not
   * know. Frozen parameters train on the heap through {@link #step}.
   */
  @Override
  public void update(Segment s, long step, double learningRate) {
    throw new UnsupportedOperationException("frozen: the mask is over the flat vector; update it with step");
  }

  @Override
  public void initState(float[] state) {
    optimizer.initState(state);
  }

  @Override
  public void step(float[] params, float[] grads, float[] state, long step, double learningRate) {
    if (frozen.length() > params.length) {
      throw new IllegalArgumentException("frozen: the mask reaches parameter " + (frozen.length() - 1) + " of "
          + params.length);
    }
    int n = frozen.cardinality();
    int[] index = new int[n];
    float[] keep = new float[n];
    int j = 0;
    for (int i = frozen.nextSetBit(0); i >= 0; i = frozen.nextSetBit(i + 1)) {
      index[j] = i;
      keep[j++] = params[i];
      grads[i] = 0f;
    }
    optimizer.step(params, grads, state, step, learningRate);
    for (int k = 0; k < n; k++) {
      params[index[k]] = keep[k];
    }
  }
}
