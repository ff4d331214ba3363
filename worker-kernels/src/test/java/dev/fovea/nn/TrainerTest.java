package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.optim.Frozen;
import dev.fovea.optim.Sgd;
import java.util.BitSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Trainer} on the reference backend is the heap loop, bitwise, with and without frozen parameters. */
class TrainerTest {

  private static Tensor batch(Network net, int n, long seed) {
    return TestBatches.uniform(net, n, seed);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void onTheReferenceBackendTheTrainerIsTheHeapLoopBitwise(boolean freeze) {
    Network net = Zoo.lenetBn(Shape.of(1, 28, 28), 5);
    Sgd sgd = new Sgd(0.05, 0.9, 1e-3);
    BitSet frozen = new BitSet();
    if (freeze) {
      ParamLayout.Slice s = net.layout().slices().get(0);
      frozen.set(s.offset(), s.offset() + s.size());
    }
    float[] params = net.layout().initialize(1);
    float[] buffers = net.bufferLayout().initialize(1);
    float[] velocity = new float[params.length];
    int[] labels = {1, 3, 0};
    float[] p = params.clone();
    float[] b = buffers.clone();
    float[] v = velocity.clone();
    float[] grads = new float[params.length];
    double[] heapLosses = new double[3];
    double[] losses = new double[3];
    float[] p2 = new float[p.length];
    float[] b2 = new float[b.length];
    float[] v2 = new float[v.length];
    try (ReferenceBackend backend = new ReferenceBackend()) {
      for (int k = 0; k < 3; k++) {
        heapLosses[k] = net.lossAndGradient(backend, p, b, grads, batch(net, 3, k), labels, 9 + k, frozen);
        if (frozen.isEmpty()) {
          sgd.step(p, grads, v);
        } else {
          new Frozen(sgd, frozen).step(p, grads, v, 0, sgd.learningRate());
        }
      }
      try (Trainer t = net.trainer(backend, params, buffers, velocity, sgd, frozen)) {
        for (int k = 0; k < 3; k++) {
          losses[k] = t.step(batch(net, 3, k), labels, 9 + k);
          assertFalse(t.resident());
        }
        t.copyOut(p2, b2, v2);
      }
    }
    assertArrayEquals(heapLosses, losses);
    assertArrayEquals(p, p2);
    assertArrayEquals(b, b2);
    assertArrayEquals(v, v2);
    assertEquals(0f, params[0] - net.layout().initialize(1)[0], "the caller's arrays are not written");
  }
}
