package dev.fovea.kernels.compile;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.ActivationLayer;
import dev.fovea.nn.Convolution;
import dev.fovea.nn.Dense;
import dev.fovea.nn.Flatten;
import dev.fovea.nn.Initializer;
import dev.fovea.nn.Loss;
import dev.fovea.nn.Network;
import dev.fovea.nn.NetworkJson;
import dev.fovea.nn.Zoo;
import java.util.SplittableRandom;

/**
 * Networks trained against target tensors, for the compiled-step and resident-round suites: the
 * super-resolution decoders of {@code docs/examples/superres} (narrowed, on 6×6 inputs) with image
 * targets under MSE and L1 (the transposed convolution runs as a host node inside the compiled step,
 * so that one is not resident), a convolutional autoencoder whose targets are its inputs, a regression
 * head with float-vector targets, and multi-label heads with multi-hot targets under sigmoid BCE (one
 * with an auxiliary head, trained towards the same targets at weight 0.3).
 */
final class TargetNetworks {
  private TargetNetworks() {}

  /** The names {@link #network} knows. */

  private static final String NEAREST_CONV = """
      {"input_shape": [1, 6, 6], "loss": "mse", "layers": [
        {"type": "convolution", "name": "conv1", "filters": 4, "kernel": 3, "padding": 1, "init": "he_normal"},
        {"type": "activation", "name": "relu1", "function": "relu"},
        {"type": "convolution", "name": "conv2", "filters": 4, "kernel": 3, "padding": 1, "init": "he_normal"},
        {"type": "activation", "name": "relu2", "function": "relu"},
        {"type": "upsampling", "name": "resize", "kind": "nearest", "scale": 2},
        {"type": "convolution", "name": "up", "filters": 1, "kernel": 3, "padding": 1}]}
      """;

  private static final String DECONV = """
      {"input_shape": [1, 6, 6], "loss": "l1", "layers": [
        {"type": "convolution", "name": "conv1", "filters": 4, "kernel": 3, "padding": 1, "init": "he_normal"},
        {"type": "activation", "name": "relu1", "function": "relu"},
        {"type": "convolution", "name": "conv2", "filters": 4, "kernel": 3, "padding": 1, "init": "he_normal"},
        {"type": "activation", "name": "relu2", "function": "relu"},
        {"type": "deconvolution", "name": "up", "filters": 1, "kernel": 3, "stride": 2, "padding": 1,
         "outputPadding": 1}]}
      """;

  private static final String AUTOENCODER = """
      {"input_shape": [2, 8, 8], "loss": "mse", "layers": [
        {"type": "convolution", "name": "enc", "filters": 6, "kernel": 3, "stride": 2, "padding": 1},
        {"type": "activation", "name": "enc_relu", "function": "relu"},
        {"type": "upsampling", "name": "resize", "kind": "nearest", "scale": 2},
        {"type": "convolution", "name": "dec", "filters": 2, "kernel": 3, "padding": 1},
        {"type": "activation", "name": "out", "function": "tanh"}]}
      """;

  static Network network(String name) {
    return switch (name) {
      case "mse_superres_nearest_conv" -> NetworkJson.parse(NEAREST_CONV, name);
      case "l1_superres_nearest_conv" -> NetworkJson.parse(NEAREST_CONV, name).withLoss(Loss.L1);
      case "l1_superres_deconv" -> NetworkJson.parse(DECONV, name);
      case "mse_autoencoder" -> NetworkJson.parse(AUTOENCODER, name);
      case "l1_regression" -> Zoo.lenet(Shape.of(1, 28, 28), 3).withLoss(Loss.L1);
      case "bce_multilabel" -> Zoo.lenet(Shape.of(1, 28, 28), 10).withLoss(Loss.SIGMOID_BCE);
      case "bce_multilabel_bn" -> Zoo.lenetBn(Shape.of(1, 28, 28), 10).withLoss(Loss.SIGMOID_BCE);
      case "bce_aux_head" -> Network.builder(Shape.of(1, 10, 10))
          .then(Convolution.conv2d("conv", 4, 3, 1, 1, true))
          .then(new ActivationLayer("relu", Activation.of(Activation.Kind.RELU))).then(new Flatten("flat"))
          .then(new Dense("aux_fc", 5, Initializer.GLOROT_UNIFORM))
          .then(new ActivationLayer("aux_relu", Activation.of(Activation.Kind.RELU)))
          .then(new Dense("fc", 5, Initializer.GLOROT_UNIFORM)).auxOutput("aux_fc", 0.3).loss(Loss.SIGMOID_BCE)
          .build();
      default -> null;
    };
  }

  /**
   * Targets of step {@code step} for a batch of {@code n}: the inputs themselves for the
   * autoencoder, multi-hot (about a third of the labels on) for sigmoid BCE, uniform in [0, 1)
   * otherwise; null for a network whose loss reads labels.
   *
   * @param input the batch, for the autoencoder
   */
  static Tensor targets(Network net, Tensor input, int step) {
    if (net.loss().readsLabels()) {
      return null;
    }
    if (net.inputShape().equals(net.outputShape())) {
      return input;
    }
    Shape s = net.outputShape().prepend(input.shape().dim(0));
    SplittableRandom rng = new SplittableRandom(31 + step);
    float[] t = new float[s.size()];
    for (int i = 0; i < t.length; i++) {
      t[i] = net.loss() == Loss.SIGMOID_BCE ? (rng.nextInt(3) == 0 ? 1f : 0f) : (float) rng.nextDouble();
    }
    return Tensor.wrap(t, s);
  }
}
