package dev.fovea.nn;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;

/** Synthetic batches for tests that train a network a few steps: reproducible from a seed. */
public final class TestBatches {
  private TestBatches() {}

  /** {@code n} samples of the network's input shape, uniform in [-1, 1) from {@code seed}. */
  public static Tensor uniform(Network net, int n, long seed) {
    Shape s = net.inputShape().prepend(n);
    SplittableRandom rng = new SplittableRandom(seed);
    float[] d = new float[s.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) rng.nextDouble(-1, 1);
    }
    return Tensor.wrap(d, s);
  }

  /** {@code n} labels cycling through the classes; {@code shift} moves them (a new set per step). */
  public static int[] labels(Network net, int n, int shift) {
    int[] l = new int[n];
    for (int i = 0; i < n; i++) {
      l[i] = (i * 7 + 3 + shift) % net.numClasses();
    }
    return l;
  }
}
