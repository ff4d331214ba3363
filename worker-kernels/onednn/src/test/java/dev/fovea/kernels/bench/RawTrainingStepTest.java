package dev.fovea.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.onednn.OneDnnBackend;
import dev.fovea.kernels.backend.onednn.OneDnnBackendProvider;
import dev.fovea.kernels.bench.ConvolutionBenchmark.Pass;
import dev.fovea.kernels.conformance.NetworkShapes.ConvLayer;
import dev.fovea.nn.Network;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The benchmark's raw oneDNN training step is a faithful reference: from Fovea's parameters it
 * computes Fovea's loss and gradients (so it times the same work), and it trains and times every
 * pass. Small layers of the benchmark's kinds: a 1-channel 5×5 (LeNet conv1), a padded 3×3 and a
 * strided 1×1 (ResNet).
 */
class RawTrainingStepTest {
  private static final ConvLayer[] LAYERS = {
    new ConvLayer("t", "5x5 1->4 @12", 1, 4, 12, 5, 1, 0),
    new ConvLayer("t", "3x3 8->16 @10", 8, 16, 10, 3, 1, 1),
    new ConvLayer("t", "1x1/2 16->32 @8", 16, 32, 8, 1, 2, 0),
  };

  @BeforeAll
  static void engine() {
    OneDnnBackendProvider provider = new OneDnnBackendProvider();
    assumeTrue(provider.isAvailable(), () -> "onednn not available: " + provider.unavailableReason());
    ConvolutionBenchmark.Raw.init();
  }

  @AfterAll
  static void release() {
    if (ConvolutionBenchmark.Raw.engine != null) {
      ConvolutionBenchmark.Raw.shutdown();
      ConvolutionBenchmark.Raw.engine = null;
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2})
  void computesFoveasStepAndTimesEveryPass(int which) {
    ConvLayer layer = LAYERS[which];
    int n = 3;
    Network net = ConvolutionBenchmark.network(layer);
    float[] params = net.layout().initialize(5);
    float[] buffers = net.bufferLayout().initialize(0);
    Tensor x = ConvolutionBenchmark.random(net.inputShape().prepend(n), 7);
    int[] labels = {0, 1, 0};
    try (OneDnnBackend fovea = new OneDnnBackend(1); RawTrainingStep raw = new RawTrainingStep(layer, n)) {
      // throws when the loss or any gradient differs beyond float rounding
      ConvolutionBenchmark.agree(net, fovea, raw, params, buffers, x, labels);
      for (int i = 0; i < 3; i++) {
        raw.step();
      }
      for (Pass pass : Pass.values()) {
        assertTrue(raw.seconds(pass) > 0, pass + " timed");
        assertTrue(!raw.implementation(pass).contains("ref"), pass + ": " + raw.implementation(pass));
      }
      // and the check can fail: other parameters on Fovea's side
      float[] other = net.layout().initialize(6);
      RawTrainingStep same = raw;
      assertThrows(IllegalStateException.class, () -> {
        same.setParameters(net.layout(), params, x);
        ConvolutionBenchmark.compare(net, fovea, same, other, buffers, x, labels);
      });
    }
  }
}
