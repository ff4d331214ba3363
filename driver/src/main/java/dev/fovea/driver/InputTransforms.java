package dev.fovea.driver;

import dev.fovea.data.image.Transform;
import dev.fovea.data.shard.Manifest;
import dev.fovea.kernels.Shape;
import java.util.List;

/**
 * What a run feeds its network: the input shape, the training transform that {@code --augment}
 * names, and the validation transform, which never augments. Normalisation always uses the
 * training set's per-channel mean and std.
 */
public final class InputTransforms {
  /** Validation crops the centre {@code imageSize} of an image whose shorter side is {@code imageSize / 0.875}. */
  public static final double CROP_FRACTION = 0.875;

  private InputTransforms() {}

  /** (C, H, W) of the network input: {@code --image-size} squared, or a raw set's stored size. */
  public static Shape inputShape(TrainConfig c, Manifest train) {
    int channels = train.sampleShape().get(0);
    if (c.imageSize() > 0) {
      return Shape.of(channels, c.imageSize(), c.imageSize());
    }
    if (!Manifest.RAW.equals(train.encoding())) {
      throw new IllegalArgumentException("the training shards store " + train.encoding() + " images of varying size:"
          + " give the network's input size with --image-size (e.g. 224)");
    }
    return train.shape();
  }

  /** The training transform of {@code c.augment()} into {@code input}. */
  public static Transform training(TrainConfig c, Manifest train, Shape input) {
    List<Double> mean = train.mean();
    List<Double> std = train.std();
    int h = input.dim(1);
    int w = input.dim(2);
    return switch (c.augment()) {
      case NONE -> validation(train, input, mean, std);
      case FLIP -> validation(train, input, mean, std).withFlip(true);
      case CROP_FLIP -> {
        if (!Manifest.RAW.equals(train.encoding())) {
          throw new IllegalArgumentException("--augment crop-flip needs a raw shard set (images of one size); this"
              + " one stores " + train.encoding() + ": use rrc-flip");
        }
        if (train.sampleShape().get(1) + 2 * c.pad() < h || train.sampleShape().get(2) + 2 * c.pad() < w) {
          throw new IllegalArgumentException("--augment crop-flip: " + train.shape() + " images padded by " + c.pad()
              + " are smaller than the input " + input);
        }
        yield Transform.padRandomCrop(h, w, c.pad(), mean, std);
      }
      case RRC_FLIP -> new Transform(Transform.Kind.RANDOM_RESIZED_CROP, h, w, 0.08, 1, 3.0 / 4, 4.0 / 3, 0, 0,
          true, mean, std);
    };
  }

  /**
   * The evaluation transform of shard set {@code set} into {@code input}: the stored image as it is
   * when a raw set already has the input size, else shorter side to {@code min(H, W) / 0.875} and
   * the centre (H, W).
   */
  public static Transform validation(Manifest set, Shape input, List<Double> mean, List<Double> std) {
    return validation(Manifest.RAW.equals(set.encoding()) && set.shape().equals(input), input, mean, std);
  }

  /**
   * The evaluation transform of one decoded image of {@code height × width} pixels into {@code
   * input (C, H, W)}, for {@code fovea predict}, which has no shard set: the image as it is when it
   * already has the input's (H, W), else shorter side to {@code min(H, W) / 0.875} and the centre
   * (H, W), as {@link #validation(Manifest, Shape, List, List)} treats a set.
   */
  public static Transform validation(int height, int width, Shape input, List<Double> mean, List<Double> std) {
    return validation(height == input.dim(1) && width == input.dim(2), input, mean, std);
  }

  private static Transform validation(boolean asStored, Shape input, List<Double> mean, List<Double> std) {
    int h = input.dim(1);
    int w = input.dim(2);
    if (asStored) {
      return Transform.resize(h, w, mean, std);
    }
    int resize = (int) Math.round(Math.min(h, w) / CROP_FRACTION);
    return new Transform(Transform.Kind.RESIZE_CENTER_CROP, h, w, 0, 0, 0, 0, resize, 0, false, mean, std);
  }
}
