package dev.fovea.kernels.backend.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.ActivationLayer;
import dev.fovea.nn.Convolution;
import dev.fovea.nn.Dense;
import dev.fovea.nn.Flatten;
import dev.fovea.nn.Initializer;
import dev.fovea.nn.Loss;
import dev.fovea.nn.Network;
import dev.fovea.nn.Pooling;
import dev.fovea.optim.Adam;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Same seed, same bits: the eager (layer-by-layer) step on the oneDNN backend, here the multi-label
 * sigmoid-BCE network of {@code TargetTrainingIT} trained by Adam, gives bitwise the same
 * parameters every time it runs on a fresh backend. (BCE compiles into the native step since the
 * compiled target losses; these backends are built with compiled steps off, so the eager path that
 * fallback layers and per-pixel losses still take is what is held to it.)
 */
class OneDnnDeterminismTest {
  private static final int BATCH = 32;
  private static final int STEPS = 3;

  private static Network bceNetwork() {
    return Network.builder(Shape.of(1, 28, 56))
        .then(Convolution.conv2d("conv1", 16, 3, 1, 1, true))
        .then(new ActivationLayer("relu1", Activation.of(Activation.Kind.RELU)))
        .then(Pooling.max2d("pool1", 2, 2, 0))
        .then(Convolution.conv2d("conv2", 32, 3, 1, 1, true))
        .then(new ActivationLayer("relu2", Activation.of(Activation.Kind.RELU)))
        .then(Pooling.max2d("pool2", 2, 2, 0))
        .then(new Flatten("flat"))
        .then(new Dense("fc", 10, Initializer.GLOROT_UNIFORM))
        .loss(Loss.SIGMOID_BCE).build();
  }

  /** The parameters after {@link #STEPS} Adam steps of the network on fixed batches, and the plans used. */
  private record Trained(float[] params, List<String> plans) {}

  private static Trained train(Network net, Supplier<OneDnnBackend> backend) {
    float[] params = net.layout().initialize(5);
    float[] buffers = net.bufferLayout().initialize(5);
    float[] grads = new float[params.length];
    Adam adam = Adam.DEFAULTS.withLearningRate(0.002);
    float[] state = new float[adam.stateSize(params.length)];
    SplittableRandom r = new SplittableRandom(5);
    try (OneDnnBackend b = backend.get()) {
      for (int step = 1; step <= STEPS; step++) {
        Tensor x = Tensor.zeros(Shape.of(BATCH, 1, 28, 56));
        for (int i = 0; i < x.size(); i++) {
          x.set(i, r.nextInt(256) / 255.0);
        }
        Tensor t = Tensor.zeros(Shape.of(BATCH, 10));
        for (int i = 0; i < BATCH; i++) {
          int a = r.nextInt(10);
          t.set(i * 10 + a, 1);
          t.set(i * 10 + (a + 1 + r.nextInt(9)) % 10, 1);
        }
        net.lossAndGradient(b, params, buffers, grads, x, null, t, step, new BitSet());
        adam.step(params, grads, state, step);
      }
      assertEquals(0, b.compiledStepCount(), "the BCE step runs layer by layer");
      return new Trained(params, b.planDescriptions());
    }
  }

  /**
   * Four runs, each on a fresh backend (as a retried task or a resumed driver gets one), plan the
   * same primitives and train the same bits. With the layout candidates chosen by timing this
   * failed on a loaded machine: run 1 planned PLAIN_ACTIVATIONS where run 0 had CHOSEN.
   */
  @Test
  void bceNetworkTrainsToTheSameBitsOnEveryFreshBackend() {
    assumeTrue(OneDnn.unavailableReason() == null);
    Network net = bceNetwork();
    Trained first = train(net, () -> new OneDnnBackend(2, null, false));
    for (int run = 1; run < 4; run++) {
      Trained again = train(net, () -> new OneDnnBackend(2, null, false));
      assertEquals(first.plans(), again.plans(), "run " + run + " planned other primitives");
      assertArrayEquals(first.params(), again.params(), "run " + run + " trained other parameters");
    }
  }

  /**
   * Why the choice must not follow the clock: the layout candidates run other kernels and train
   * other bits. The backend takes oneDNN's own layouts where oneDNN has a non-reference kernel for
   * them (every convolution of this network), so it trains exactly what a backend forced to
   * CHOSEN trains, however fast each candidate happened to run.
   */
  @Test
  void convolutionLayoutsAreOneDnnsChoiceNotTheFastest() {
    assumeTrue(OneDnn.unavailableReason() == null);
    Network net = bceNetwork();
    Trained chosen = train(net, () -> new OneDnnBackend(2, OneDnnConvolution.Layouts.CHOSEN, false));
    Trained plainActivations = train(net, () -> new OneDnnBackend(2, OneDnnConvolution.Layouts.PLAIN_ACTIVATIONS, false));
    assertFalse(Arrays.equals(chosen.params(), plainActivations.params()),
        "the candidates' kernels sum in other orders, so they train other bits");
    Trained planned = train(net, () -> new OneDnnBackend(2, null, false));
    int convolutions = 0;
    for (String plan : planned.plans()) {
      if (plan.contains(" -> ")) {
        convolutions++;
        String impl = plan.substring(plan.indexOf(" -> ") + 4);
        assertTrue(impl.startsWith("CHOSEN ") && !impl.contains("ref"), plan);
      }
    }
    // conv1 has no backward-data pass: nothing before it needs the gradient of the input
    assertEquals(5, convolutions, "two convolutions, five passes: " + planned.plans());
    assertArrayEquals(chosen.params(), planned.params());
  }
}
