package dev.fovea.kernels.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.NetworkCompiler;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import dev.fovea.optim.AdaGrad;
import dev.fovea.optim.Adam;
import dev.fovea.optim.AdamW;
import dev.fovea.optim.GradientClipping;
import dev.fovea.optim.Nesterov;
import dev.fovea.optim.Optimizer;
import dev.fovea.optim.RmsProp;
import dev.fovea.optim.Sgd;
import dev.fovea.optim.UpdateRule;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance suite of update kernels, one subclass per backend that compiles networks: the
 * backend's update kernel of the resident round against the formula it implements: the same
 * gradients given to a resident step ({@link CompiledStep#updateWith}: the flat gradient
 * reordered into the blocked layouts the step holds weights in, then the update the step runs after
 * its backward pass) and to {@link UpdateRule#apply(float[], float[], float[], long)} on the heap,
 * for three steps from a state that is not zero, for every optimizer with and without clipping.
 *
 * <p>The network is a ResNet-20 whose convolution weights the step holds in oneDNN's blocked
 * layouts: each such weight is a segment of its own, between the row-major parts of the vector.
 *
 * <p>Tolerance: bitwise, except clipping by norm: ≤ 1e-6 relative per element (1e-12 absolute near
 * zero). The formula is element-wise and runs on the native segments as on the heap array, so every
 * element is computed by the same arithmetic; only the norm's sum of squares adds the elements in
 * another order (each blocked segment in its own layout's order) and so may differ in the last bits
 * of a double, which can move the clipped float by an ulp. The test reports how many differ.
 */
public abstract class ResidentUpdateConformance {

  private static final int BATCH = 2;

  static Stream<Arguments> rules() {
    List<Optimizer> optimizers = List.of(new Sgd(0.05, 0.9, 1e-3), new Sgd(0.05, 0, 1e-3),
        new Nesterov(0.05, 0.9, 1e-3), new Adam(1e-2, 0.9, 0.999, 1e-8, 1e-3), new AdamW(1e-2, 0.9, 0.99, 1e-8, 0.01),
        new RmsProp(1e-2, 0.9, 1e-8, 0.5, 1e-3), new RmsProp(1e-2, 0.99, 1e-8, 0, 0), new AdaGrad(0.05, 0, 1e-10, 1e-3));
    List<Arguments> out = new ArrayList<>();
    for (Optimizer o : optimizers) {
      for (GradientClipping.Mode clip : GradientClipping.Mode.values()) {
        out.add(Arguments.of(o, clip));
      }
    }
    return out.stream();
  }

  /** Why the backend cannot run here (the suite is then skipped), or null. */
  protected abstract String unavailableReason();

  /** A backend of this kind that compiles network steps, with one thread. */
  protected abstract Backend compiling();

  private void assumeAvailable() {
    String reason = unavailableReason();
    assumeTrue(reason == null, () -> "backend not available: " + reason);
  }

  @ParameterizedTest(name = "{0} clip {1}")
  @MethodSource("rules")
  void theNativeUpdateIsTheFormula(Optimizer optimizer, GradientClipping.Mode clip) {
    assumeAvailable();
    // resnet20: convolution weights held in blocked layouts with padding, batch norms and a head row-major
    Network net = Zoo.cifarResnet(20, Shape.of(3, 12, 12), 10);
    int n = net.layout().size();
    SplittableRandom rng = new SplittableRandom(5);
    float[] params = net.layout().initialize(7);
    float[] state = new float[optimizer.stateSize(n)];
    for (int i = 0; i < state.length; i++) {
      state[i] = (float) rng.nextDouble(0, 1e-3); // second moments and accumulators must not be negative
    }
    float[][] grads = new float[3][n];
    for (float[] g : grads) {
      for (int i = 0; i < n; i++) {
        g[i] = (float) (rng.nextGaussian() * 1e-2);
      }
    }
    double norm = 0;
    for (float x : grads[0]) {
      norm += (double) x * x;
    }
    norm = Math.sqrt(norm);
    GradientClipping clipping = switch (clip) {
      case NONE -> GradientClipping.NONE;
      case NORM -> GradientClipping.byNorm(norm / 2); // every step clips
      case VALUE -> GradientClipping.byValue(1e-2); // about a third of the elements clip
    };
    UpdateRule rule = UpdateRule.of(optimizer, clipping);

    float[] heapParams = params.clone();
    float[] heapState = state.clone();
    float[] nativeParams = new float[n];
    float[] nativeState = new float[state.length];
    try (Backend b = compiling()) {
      CompiledStep<?, ?> step = compiled(net, b, rule);
      assertTrue(step.masterCount() > 0, "some weights are held in a blocked layout: segments of their own");
      long token = step.load(params, state);
      for (int k = 0; k < grads.length; k++) {
        double heapNorm = rule.apply(heapParams, grads[k].clone(), heapState, 10 + k);
        double nativeNorm = step.updateWith(token, grads[k].clone(), rule, 10 + k);
        assertEquals(heapNorm, nativeNorm, 1e-12 * heapNorm, "the gradient norm over every segment");
      }
      step.store(token, nativeParams, nativeState);
      assertEquals(0, step.nonzeroPadding(), "the padding of weights, gradients and state stays zero");
    }
    double tolerance = clip == GradientClipping.Mode.NORM ? 1e-6 : 0;
    int p = compare(optimizer + " params", heapParams, nativeParams, tolerance);
    int s = compare(optimizer + " state", heapState, nativeState, tolerance);
    System.out.printf("%s, clip %s: %d of %d parameters and %d of %d state values not bitwise equal%n", optimizer,
        clip, p, n, s, state.length);
    boolean moved = false;
    for (int i = 0; i < n && !moved; i++) {
      moved = heapParams[i] != params[i];
    }
    assertTrue(moved, "the update moved the parameters");
  }

  /** The resident step of {@code net} for {@code rule}, compiled (and cached) by a trainer's first step. */
  private static CompiledStep<?, ?> compiled(Network net, Backend b, UpdateRule rule) {
    float[] params = net.layout().initialize(1);
    try (dev.fovea.nn.Trainer t = net.trainer(b, params, net.bufferLayout().initialize(1),
        new float[rule.stateSize(params.length)], rule, 0, new BitSet())) {
      t.step(dev.fovea.nn.TestBatches.uniform(net, BATCH, 1), dev.fovea.nn.TestBatches.labels(net, BATCH, 0), 1);
      assertTrue(t.resident());
    }
    return (CompiledStep<?, ?>) ((NetworkCompiler) b).compileResident(net, BATCH, rule.optimizer().stateBlocks(), () -> {
      throw new AssertionError("compiled already");
    });
  }

  /** Asserts {@code |a - b| <= tolerance · max(|b|, 1e-6)} element-wise; returns how many differ at all. */
  private static int compare(String what, float[] expected, float[] actual, double tolerance) {
    assertEquals(expected.length, actual.length, what + " length");
    int differ = 0;
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        differ++;
        double d = Math.abs(expected[i] - actual[i]);
        if (!(d <= tolerance * Math.max(Math.abs(expected[i]), 1e-6))) {
          throw new AssertionError(what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i]);
        }
      }
    }
    return differ;
  }

  @Test
  void aRuleWithAnotherNumberOfStateBlocksIsRefused() {
    assumeAvailable();
    Network net = Zoo.lenet(Shape.of(1, 28, 28), 10);
    int n = net.layout().size();
    try (Backend b = compiling()) {
      CompiledStep<?, ?> step = compiled(net, b, UpdateRule.of(new Sgd(0.1, 0.9, 0)));
      assertEquals(1, step.stateBlocks());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> step.load(new float[n], new float[2 * n]));
      assertTrue(e.getMessage().contains("1 state blocks"), e.getMessage());
      long token = step.load(new float[n], new float[n]);
      dev.fovea.kernels.Tensor x = dev.fovea.nn.TestBatches.uniform(net, BATCH, 1);
      e = assertThrows(IllegalArgumentException.class, () -> step.step(token, new float[0], x, new int[BATCH],
          i -> i, UpdateRule.of(Adam.DEFAULTS), 0));
      assertTrue(e.getMessage().contains("holding 1 state blocks"), e.getMessage());
    }
  }
}
