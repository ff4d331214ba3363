package dev.fovea.nn;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Shape;
import java.util.List;
import java.util.Locale;

/** Named architectures. Each takes the input sample shape {@code (C, H, W)} and the class count. */
public final class Zoo {
  private Zoo() {}

  /** Names {@link #build} accepts. */
  public static List<String> names() {
    return List.of("lenet");
  }

  /** The architecture called {@code name} for inputs {@code (C, H, W)} and {@code classes} outputs. */
  public static Network build(String name, Shape input, int classes) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "lenet" -> lenet(input, classes);
      default -> throw new IllegalArgumentException("unknown model '" + name + "'; known: " + String.join(", ", names()));
    };
  }

  /**
   * LeNet as in Caffe's MNIST example: conv 5×5×20 → max-pool 2 → conv 5×5×50 → max-pool 2 → dense
   * 500 → ReLU → dense classes. 431,080 parameters for (1, 28, 28) and 10 classes. The convolutions
   * have no activation between them, so they start Glorot-uniform (Caffe's "xavier"), not He: He's
   * factor 2 assumes a ReLU halves the variance, and without one the activations grow layer by layer.
   */
  public static Network lenet(Shape input, int classes) {
    return Network.sequential(input, List.of(
        new Conv2d("conv1", 20, 5, 1, 0, Initializer.GLOROT_UNIFORM),
        new MaxPool2d("pool1", 2),
        new Conv2d("conv2", 50, 5, 1, 0, Initializer.GLOROT_UNIFORM),
        new MaxPool2d("pool2", 2),
        new Flatten("flatten"),
        new Dense("fc1", 500, Initializer.HE_NORMAL),
        new ActivationLayer("relu1", Activation.RELU),
        new Dense("fc2", classes, Initializer.GLOROT_UNIFORM)));
  }
}
