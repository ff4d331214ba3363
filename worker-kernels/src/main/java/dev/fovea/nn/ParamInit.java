package dev.fovea.nn;

import java.util.SplittableRandom;

/**
 * How a parameter slice starts: Fovea's original {@link Initializer} constants (whose draws existing
 * seeds reproduce) or any of Keras's initialisers, {@link WeightInit}. Every layer with weights
 * takes either (its {@code init}).
 */
public interface ParamInit {

  /**
   * Fills {@code dst[offset, offset + count)} with draws from {@code rng}, for a weight with the
   * given fans (Keras's: {@code (O, I, k...)} has fan-in {@code I · Πk} and fan-out {@code O · Πk}).
   */
  void fill(float[] dst, int offset, int count, int fanIn, int fanOut, SplittableRandom rng);
}
