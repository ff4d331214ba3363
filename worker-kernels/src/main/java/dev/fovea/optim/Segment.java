package dev.fovea.optim;

import java.nio.FloatBuffer;

/**
 * One stretch of the parameter vector as some memory holds it: the parameters, their gradients and
 * each block of the optimizer's state, all of one length, element i of each belonging to the same
 * parameter. The heap trainer's vector is one segment; a backend that keeps parameters resident in
 * its own memory and layouts (blocked weights with zero padding) holds several, and an optimizer's
 * {@link Optimizer#update} is element-wise, so it runs on each alike. Buffers are read and written by
 * absolute index; their positions are never moved.
 *
 * @param params the parameters, updated in place
 * @param grads their gradients (clipping may scale them in place)
 * @param state the optimizer's state blocks ({@link Optimizer#stateBlocks} of them), updated in place
 */
public record Segment(FloatBuffer params, FloatBuffer grads, FloatBuffer... state) {

  public Segment {
    int n = params.capacity();
    boolean ok = grads.capacity() == n;
    for (FloatBuffer s : state) {
      ok &= s.capacity() == n;
    }
    if (!ok) {
      throw new IllegalArgumentException("segment: params, grads and state blocks differ in length");
    }
  }

  /** The number of parameters in the segment. */
  public int length() {
    return params.capacity();
  }

  /**
   * The whole of heap vectors as one segment: {@code state} split into {@code blocks} blocks of
   * {@code params.length}.
   */
  public static Segment of(float[] params, float[] grads, float[] state, int blocks) {
    int n = params.length;
    FloatBuffer[] s = new FloatBuffer[blocks];
    for (int j = 0; j < blocks; j++) {
      s[j] = FloatBuffer.wrap(state, j * n, n).slice();
    }
    return new Segment(FloatBuffer.wrap(params), FloatBuffer.wrap(grads), s);
  }
}
