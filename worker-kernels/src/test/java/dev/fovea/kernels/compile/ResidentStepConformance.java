package dev.fovea.kernels.compile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.Network;
import dev.fovea.nn.TestBatches;
import dev.fovea.nn.ParamLayout;
import dev.fovea.nn.Trainer;
import dev.fovea.nn.Zoo;
import dev.fovea.optim.Frozen;
import dev.fovea.optim.Sgd;
import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The conformance suite of resident rounds, one subclass per backend that compiles networks: the
 * resident training step ({@link CompiledStep} with the backend's lowering, as a {@code ResidentNetwork}, driven by
 * {@link Trainer}) against the heap loop it replaces ({@code Network.lossAndGradient} on the same
 * backend, then {@link Sgd#step}) over several steps: parameters, velocity and buffers after {@code
 * copyOut}, and the losses; for networks trained with softmax cross-entropy and with MSE, L1 and
 * sigmoid BCE against image, float-vector and multi-hot targets ({@link TargetNetworks}).
 *
 * <p>Tolerance: per parameter slice {@code |a - b| <= 1e-6 + 1e-4 · max|b|}, losses to 1e-5
 * relative. The update is bitwise Sgd's; what differs is the gradient: the resident step's
 * backward-weights kernels write the weight gradient in the forward pass's blocked layout, where
 * the heap step's write it row-major, and oneDNN may pick a kernel (and summation order) per
 * layout. Where the layouts coincide the results are bitwise equal, which the test reports.
 */
public abstract class ResidentStepConformance {

  private static final Sgd SGD = new Sgd(0.05, 0.9, 1e-3);
  private static final int STEPS = 4;
  private static final int BATCH = 4;

  /** Why the backend cannot run here (the suite is then skipped), or null. */
  protected abstract String unavailableReason();

  /** A backend of this kind that compiles network steps, with one thread. */
  protected abstract Backend compiling();

  /** Native bytes {@code b} (made here) holds. */
  protected abstract long nativeBytes(Backend b);

  private void assumeAvailable() {
    String reason = unavailableReason();
    assumeTrue(reason == null, () -> "backend not available: " + reason);
  }

  private static Network network(String name) {
    return switch (name) {
      case "lenet" -> Zoo.lenet(Shape.of(1, 28, 28), 10);
      case "lenet_bn" -> Zoo.lenetBn(Shape.of(1, 28, 28), 10);
      case "resnet20" -> Zoo.cifarResnet(20, Shape.of(3, 12, 12), 10);
      default -> {
        Network t = TargetNetworks.network(name);
        if (t == null) {
          throw new IllegalArgumentException(name);
        }
        yield t;
      }
    };
  }

  private static Tensor batch(Network net, int n, long seed) {
    return TestBatches.uniform(net, n, seed);
  }

  /** Labels of step {@code step} for a loss that reads them, else null. */
  private static int[] labels(Network net, int n, int step) {
    return net.loss().readsLabels() ? TestBatches.labels(net, n, step) : null;
  }

  /** The state of a run: parameters, buffers, velocity, and the loss of each step. */
  record State(float[] params, float[] buffers, float[] velocity, double[] losses) {}

  static State start(Network net) {
    float[] params = net.layout().initialize(7);
    float[] buffers = net.bufferLayout().initialize(7);
    float[] velocity = new float[params.length];
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < velocity.length; i++) {
      velocity[i] = (float) rng.nextDouble(-1e-3, 1e-3);
    }
    return new State(params, buffers, velocity, new double[0]);
  }

  /** Today's heap loop, as the driver ran it before the trainer. */
  static State heapLoop(Network net, Backend b, State s, Sgd sgd, BitSet frozen, int steps) {
    float[] params = s.params.clone();
    float[] buffers = s.buffers.clone();
    float[] velocity = s.velocity.clone();
    float[] grads = new float[params.length];
    double[] losses = new double[steps];
    for (int k = 0; k < steps; k++) {
      Tensor x = batch(net, BATCH, 100 + k);
      losses[k] = net.lossAndGradient(b, params, buffers, grads, x, labels(net, BATCH, k),
          TargetNetworks.targets(net, x, k), 1000 + k, frozen);
      if (frozen.isEmpty()) {
        sgd.step(params, grads, velocity);
      } else {
        new Frozen(sgd, frozen).step(params, grads, velocity, 0, sgd.learningRate());
      }
    }
    return new State(params, buffers, velocity, losses);
  }

  static State trainer(Network net, Backend b, State s, Sgd sgd, BitSet frozen, int steps, boolean expectResident) {
    double[] losses = new double[steps];
    float[] params = new float[s.params.length];
    float[] buffers = new float[s.buffers.length];
    float[] velocity = new float[s.velocity.length];
    try (Trainer t = net.trainer(b, s.params, s.buffers, s.velocity, sgd, frozen)) {
      for (int k = 0; k < steps; k++) {
        Tensor x = batch(net, BATCH, 100 + k);
        losses[k] = t.step(x, labels(net, BATCH, k), TargetNetworks.targets(net, x, k), 1000 + k);
        assertEquals(expectResident, t.resident());
      }
      t.copyOut(params, buffers, velocity);
    }
    return new State(params, buffers, velocity, losses);
  }

  private static void assertClose(String what, float[] expected, float[] actual, ParamLayout layout, double rtol) {
    assertEquals(expected.length, actual.length, what + " length");
    for (ParamLayout.Slice s : layout.slices()) {
      double max = 0;
      for (int i = s.offset(); i < s.offset() + s.size(); i++) {
        max = Math.max(max, Math.abs(expected[i]));
      }
      double tol = 1e-6 + rtol * max;
      for (int i = s.offset(); i < s.offset() + s.size(); i++) {
        double d = Math.abs(expected[i] - actual[i]);
        if (!(d <= tol)) {
          throw new AssertionError(what + " " + s.name() + "[" + (i - s.offset()) + "]: expected " + expected[i]
              + ", got " + actual[i] + " (tolerance " + tol + ")");
        }
      }
    }
  }

  private static int bitwiseDifferences(float[] a, float[] b) {
    int n = 0;
    for (int i = 0; i < a.length; i++) {
      n += Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i]) ? 1 : 0;
    }
    return n;
  }

  private static void assertEquivalent(String name, Network net, State heap, State res) {
    System.out.printf("%s: %d of %d parameters, %d velocities, %d buffers not bitwise equal%n", name,
        bitwiseDifferences(heap.params, res.params), heap.params.length, bitwiseDifferences(heap.velocity,
            res.velocity), bitwiseDifferences(heap.buffers, res.buffers));
    for (int k = 0; k < heap.losses.length; k++) {
      assertEquals(heap.losses[k], res.losses[k], 1e-5 * Math.abs(heap.losses[k]), name + " loss of step " + k);
    }
    assertClose(name + " params", heap.params, res.params, net.layout(), 1e-4);
    assertClose(name + " velocity", heap.velocity, res.velocity, net.layout(), 1e-4);
    assertClose(name + " buffers", heap.buffers, res.buffers, net.bufferLayout(), 1e-4);
  }

  @ParameterizedTest
  @ValueSource(strings = {"lenet", "lenet_bn", "resnet20", "mse_superres_nearest_conv", "l1_superres_nearest_conv",
      "mse_autoencoder", "l1_regression", "bce_multilabel", "bce_multilabel_bn",
      "bce_aux_head"})
  void theResidentStepEqualsTheHeapLoop(String name) {
    assumeAvailable();
    Network net = network(name);
    State s = start(net);
    try (Backend b = compiling()) {
      State heap = heapLoop(net, b, s, SGD, new BitSet(), STEPS);
      State res = trainer(net, b, s, SGD, new BitSet(), STEPS, true);
      assertEquivalent(name, net, heap, res);
      CompiledStep<?, ?> step = (CompiledStep<?, ?>) ((dev.fovea.kernels.NetworkCompiler) b).compileResident(net, BATCH, 1, () -> {
        throw new AssertionError("compiled already");
      });
      System.out.printf("%s: %d weight slices resident in a primitive's layout, %d padding elements%n", name,
          step.masterCount(), step.paddingElements());
      assertTrue(step.masterCount() > 0, "some weights are held in a blocked layout");
      assertEquals(0, step.nonzeroPadding(), "padding of held weights, gradients and velocities stays zero");
    }
  }

  /**
   * Every optimizer, with clipping, through whole resident steps (gradients of the batch, then the
   * rule's update at the global step) against the heap loop with the same rule: the update is the
   * formula on both sides ({@link ResidentUpdateConformance} holds it bitwise on equal gradients),
   * so what differs is the gradient, at the tolerance above. The state's second block (Adam's and
   * RMSProp's) is compared like the first.
   */
  @ParameterizedTest
  @ValueSource(strings = {"nesterov", "adam", "adamw", "rmsprop", "adagrad", "sgd-clip-norm", "adam-clip-value"})
  void everyOptimizerResidentEqualsTheHeapLoop(String name) {
    assumeAvailable();
    dev.fovea.optim.UpdateRule rule = switch (name) {
      case "nesterov" -> dev.fovea.optim.UpdateRule.of(new dev.fovea.optim.Nesterov(0.05, 0.9, 1e-3));
      case "adam" -> dev.fovea.optim.UpdateRule.of(new dev.fovea.optim.Adam(1e-3, 0.9, 0.999, 1e-8, 1e-3));
      case "adamw" -> dev.fovea.optim.UpdateRule.of(new dev.fovea.optim.AdamW(1e-3, 0.9, 0.999, 1e-8, 0.01));
      case "rmsprop" -> dev.fovea.optim.UpdateRule.of(new dev.fovea.optim.RmsProp(1e-3, 0.9, 1e-8, 0.5, 1e-3));
      case "adagrad" -> dev.fovea.optim.UpdateRule.of(new dev.fovea.optim.AdaGrad(0.01, 0, 1e-10, 1e-3));
      case "sgd-clip-norm" -> dev.fovea.optim.UpdateRule.of(SGD, dev.fovea.optim.GradientClipping.byNorm(0.5));
      case "adam-clip-value" -> dev.fovea.optim.UpdateRule.of(new dev.fovea.optim.Adam(1e-3, 0.9, 0.999, 1e-8, 0),
          dev.fovea.optim.GradientClipping.byValue(1e-3));
      default -> throw new IllegalArgumentException(name);
    };
    Network net = network("lenet_bn");
    State s = start(net);
    float[] state = new float[rule.stateSize(s.params.length)];
    SplittableRandom rng = new SplittableRandom(4);
    for (int i = 0; i < state.length; i++) {
      state[i] = (float) rng.nextDouble(0, 1e-4);
    }
    long first = 100; // a run's later steps: Adam's bias correction at steps 101 to 104
    try (Backend b = compiling()) {
      float[] params = s.params.clone();
      float[] buffers = s.buffers.clone();
      float[] heapState = state.clone();
      float[] grads = new float[params.length];
      double[] losses = new double[STEPS];
      for (int k = 0; k < STEPS; k++) {
        losses[k] = net.lossAndGradient(b, params, buffers, grads, batch(net, BATCH, 100 + k), labels(net, BATCH, k),
            1000 + k, new BitSet());
        rule.apply(params, grads, heapState, first + k);
      }
      float[] rp = new float[params.length];
      float[] rb = new float[buffers.length];
      float[] rs = new float[state.length];
      double[] rl = new double[STEPS];
      try (Trainer t = net.trainer(b, s.params, s.buffers, state, rule, first, new BitSet())) {
        for (int k = 0; k < STEPS; k++) {
          rl[k] = t.step(batch(net, BATCH, 100 + k), labels(net, BATCH, k), 1000 + k);
          assertTrue(t.resident());
        }
        assertEquals(first + STEPS, t.steps());
        t.copyOut(rp, rb, rs);
      }
      int blocks = rule.optimizer().stateBlocks();
      System.out.printf("%s: %d of %d parameters, %d of %d state values not bitwise equal%n", name,
          bitwiseDifferences(params, rp), params.length, bitwiseDifferences(heapState, rs), rs.length);
      for (int k = 0; k < STEPS; k++) {
        assertEquals(losses[k], rl[k], 1e-5 * Math.abs(losses[k]), name + " loss of step " + k);
      }
      assertClose(name + " params", params, rp, net.layout(), 1e-4);
      assertClose(name + " buffers", buffers, rb, net.bufferLayout(), 1e-4);
      int n = params.length;
      for (int j = 0; j < blocks; j++) {
        assertClose(name + " state block " + j, java.util.Arrays.copyOfRange(heapState, j * n, (j + 1) * n),
            java.util.Arrays.copyOfRange(rs, j * n, (j + 1) * n), net.layout(), 1e-3);
      }
    }
  }

  @Test
  void withoutMomentumTheVelocityIsUntouched() {
    assumeAvailable();
    Network net = network("lenet_bn");
    State s = start(net);
    Sgd plain = new Sgd(0.1, 0, 1e-3);
    try (Backend b = compiling()) {
      State heap = heapLoop(net, b, s, plain, new BitSet(), STEPS);
      State res = trainer(net, b, s, plain, new BitSet(), STEPS, true);
      assertEquivalent("lenet_bn, momentum 0", net, heap, res);
      assertArrayEquals(s.velocity, res.velocity);
    }
  }

  @Test
  void frozenParametersTrainOnTheHeapExactlyAsBefore() {
    assumeAvailable();
    Network net = network("lenet_bn");
    State s = start(net);
    BitSet frozen = new BitSet();
    ParamLayout.Slice first = net.layout().slices().get(0);
    frozen.set(first.offset(), first.offset() + first.size());
    try (Backend b = compiling()) {
      State heap = heapLoop(net, b, s, SGD, frozen, STEPS);
      State res = trainer(net, b, s, SGD, frozen, STEPS, false);
      assertArrayEquals(heap.params, res.params);
      assertArrayEquals(heap.velocity, res.velocity);
      assertArrayEquals(heap.buffers, res.buffers);
      assertArrayEquals(heap.losses, res.losses);
      for (int i = first.offset(); i < first.offset() + first.size(); i++) {
        assertEquals(s.params[i], res.params[i]);
      }
    }
  }

  @Test
  void copyOutMidwayAndABatchOfAnotherSizeKeepTheState() {
    assumeAvailable();
    Network net = network("lenet_bn");
    State s = start(net);
    try (Backend b = compiling()) {
      State whole = trainer(net, b, s, SGD, new BitSet(), STEPS, true);
      State half = trainer(net, b, s, SGD, new BitSet(), STEPS / 2, true);
      float[] params = new float[s.params.length];
      float[] buffers = new float[s.buffers.length];
      float[] velocity = new float[s.velocity.length];
      try (Trainer t = net.trainer(b, s.params, s.buffers, s.velocity, SGD, new BitSet())) {
        for (int k = 0; k < STEPS; k++) {
          t.step(batch(net, BATCH, 100 + k), labels(net, BATCH, k), 1000 + k);
          if (k == STEPS / 2 - 1) {
            t.copyOut(params, buffers, velocity);
            assertArrayEquals(half.params, params);
            assertArrayEquals(half.velocity, velocity);
          }
        }
        t.copyOut(params, buffers, velocity);
        assertArrayEquals(whole.params, params);
        assertArrayEquals(whole.velocity, velocity);
        assertArrayEquals(whole.buffers, buffers);
        // a batch of another size moves the state through the heap into another resident step
        t.step(batch(net, 2, 7), labels(net, 2, 0), 5);
        assertTrue(t.resident());
      }
    }
  }

  @Test
  void aSecondTrainerOnTheSameBackendInvalidatesTheFirst() {
    assumeAvailable();
    Network net = network("lenet");
    State s = start(net);
    try (Backend b = compiling();
        Trainer first = net.trainer(b, s.params, s.buffers, s.velocity, SGD, new BitSet());
        Trainer second = net.trainer(b, s.params, s.buffers, s.velocity, SGD, new BitSet())) {
      first.step(batch(net, BATCH, 1), labels(net, BATCH, 0), 1);
      second.step(batch(net, BATCH, 1), labels(net, BATCH, 0), 1);
      assertThrows(IllegalStateException.class, () -> first.step(batch(net, BATCH, 2), labels(net, BATCH, 1), 2));
    }
  }

  @Test
  void nativeMemoryReturnsToItsBaselineAfterClose() {
    assumeAvailable();
    Network net = network("resnet20");
    State s = start(net);
    Backend b = compiling();
    long before = nativeBytes(b);
    State res = trainer(net, b, s, SGD, new BitSet(), 2, true);
    assertTrue(nativeBytes(b) > before, "a resident step holds native memory");
    assertFalse(Float.isNaN(res.params[0]));
    b.close();
    assertEquals(before, nativeBytes(b));
    try (Trainer t = net.trainer(b, s.params, s.buffers, s.velocity, SGD, new BitSet())) {
      assertThrows(IllegalStateException.class, () -> t.step(batch(net, BATCH, 1), labels(net, BATCH, 0), 1));
    }
  }
}
