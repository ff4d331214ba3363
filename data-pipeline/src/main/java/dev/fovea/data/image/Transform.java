package dev.fovea.data.image;

import java.io.Serializable;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What turns one decoded image into one normalised (C, H, W) float32 sample. Training transforms
 * draw their randomness from the generator they are given, so a sample's augmentation depends only
 * on the seed the stream derives for it.
 *
 * <ul>
 *   <li>{@link Kind#RANDOM_RESIZED_CROP}: torchvision's {@code RandomResizedCrop}: up to 10 draws
 *       of an area fraction in [minScale, maxScale] and a log-uniform aspect ratio in [minRatio,
 *       maxRatio]; if none fits, the centre crop with the ratio clamped to the range; then bilinear
 *       resize to (outHeight, outWidth).
 *   <li>{@link Kind#RESIZE_CENTER_CROP}: validation: shorter side resized to {@code resize}, then
 *       the centre (outHeight, outWidth) window.
 *   <li>{@link Kind#PAD_RANDOM_CROP}: CIFAR: {@code pad} zero pixels on every side, then a uniformly
 *       placed (outHeight, outWidth) window.
 *   <li>{@link Kind#RESIZE}: the whole image bilinearly resized to (outHeight, outWidth); a copy when
 *       the sizes match.
 * </ul>
 *
 * Each kind is followed by a horizontal flip with probability 1/2 when {@code flip}, and by
 * normalisation with the per-channel mean and std (of pixels in [0, 1]).
 *
 * @param kind the geometric transform
 * @param outHeight output H
 * @param outWidth output W
 * @param minScale RANDOM_RESIZED_CROP: smallest area fraction (0.08)
 * @param maxScale RANDOM_RESIZED_CROP: largest area fraction (1)
 * @param minRatio RANDOM_RESIZED_CROP: smallest width/height (3/4)
 * @param maxRatio RANDOM_RESIZED_CROP: largest width/height (4/3)
 * @param resize RESIZE_CENTER_CROP: the shorter side before cropping
 * @param pad PAD_RANDOM_CROP: zero pixels added on each side
 * @param flip random horizontal flip
 * @param mean per-channel mean of pixels in [0, 1]
 * @param std per-channel standard deviation of pixels in [0, 1]
 */
public record Transform(Kind kind, int outHeight, int outWidth, double minScale, double maxScale, double minRatio,
    double maxRatio, int resize, int pad, boolean flip, List<Double> mean, List<Double> std) implements Serializable {

  /** The geometric part of a transform. */
  public enum Kind {
    RANDOM_RESIZED_CROP,
    RESIZE_CENTER_CROP,
    PAD_RANDOM_CROP,
    RESIZE
  }

  public Transform {
    if (outHeight < 1 || outWidth < 1 || mean.size() != std.size()) {
      throw new IllegalArgumentException("transform: output " + outHeight + "x" + outWidth + ", " + mean.size()
          + " means and " + std.size() + " stds");
    }
    if (kind == Kind.RANDOM_RESIZED_CROP && !(0 < minScale && minScale <= maxScale && 0 < minRatio
        && minRatio <= maxRatio)) {
      throw new IllegalArgumentException("transform: scale [" + minScale + ", " + maxScale + "], ratio [" + minRatio
          + ", " + maxRatio + "]");
    }
  }

  /** Training on ImageNet-like data: random resized crop to size², scale [0.08, 1], ratio [3/4, 4/3], flip. */
  public static Transform randomResizedCrop(int size, List<Double> mean, List<Double> std) {
    return new Transform(Kind.RANDOM_RESIZED_CROP, size, size, 0.08, 1, 3.0 / 4, 4.0 / 3, 0, 0, true, mean, std);
  }

  /** Validation on ImageNet-like data: shorter side to {@code resize}, centre crop to size². */
  public static Transform resizeCenterCrop(int resize, int size, List<Double> mean, List<Double> std) {
    return new Transform(Kind.RESIZE_CENTER_CROP, size, size, 0, 0, 0, 0, resize, 0, false, mean, std);
  }

  /** Training on CIFAR-like data: pad, random crop back to (h, w), flip. */
  public static Transform padRandomCrop(int height, int width, int pad, List<Double> mean, List<Double> std) {
    return new Transform(Kind.PAD_RANDOM_CROP, height, width, 0, 0, 0, 0, 0, pad, true, mean, std);
  }

  /** The whole image at (h, w), no augmentation: evaluation on CIFAR/MNIST-like data. */
  public static Transform resize(int height, int width, List<Double> mean, List<Double> std) {
    return new Transform(Kind.RESIZE, height, width, 0, 0, 0, 0, 0, 0, false, mean, std);
  }

  /** This transform without randomness: the same geometry for evaluation. */
  public Transform withFlip(boolean f) {
    return new Transform(kind, outHeight, outWidth, minScale, maxScale, minRatio, maxRatio, resize, pad, f, mean, std);
  }

  /** Floats per output sample: C·H·W. */
  public int sampleSize() {
    return mean.size() * outHeight * outWidth;
  }

  /**
   * Transforms {@code img} into {@code dst[off, off + sampleSize())}.
   *
   * @param rng the sample's own generator (unused by deterministic kinds)
   */
  public void apply(Image img, SplittableRandom rng, float[] dst, int off) {
    if (img.channels() != mean.size()) {
      throw new IllegalArgumentException("transform for " + mean.size() + " channels got an image of "
          + img.channels());
    }
    int c = mean.size();
    float[] scale = new float[c];
    float[] shift = new float[c];
    for (int i = 0; i < c; i++) {
      double s = std.get(i) > 1e-12 ? std.get(i) : 1;
      scale[i] = (float) (1 / (255 * s));
      shift[i] = (float) (-mean.get(i) / s);
    }
    int w = img.width();
    int h = img.height();
    switch (kind) {
      case RANDOM_RESIZED_CROP -> {
        double[] box = randomBox(w, h, rng);
        boolean f = flip && rng.nextBoolean();
        Sampler.sample(img, box[0], box[1], box[2], box[3], outWidth, outHeight, f, scale, shift, dst, off);
      }
      case RESIZE_CENTER_CROP -> {
        double k = (double) resize / Math.min(w, h);
        double bw = Math.min(w, outWidth / k);
        double bh = Math.min(h, outHeight / k);
        Sampler.sample(img, (w - bw) / 2, (h - bh) / 2, bw, bh, outWidth, outHeight, false, scale, shift, dst, off);
      }
      case PAD_RANDOM_CROP -> {
        int dx = rng.nextInt(w + 2 * pad - outWidth + 1) - pad;
        int dy = rng.nextInt(h + 2 * pad - outHeight + 1) - pad;
        boolean f = flip && rng.nextBoolean();
        Sampler.crop(img, dx, dy, outWidth, outHeight, f, scale, shift, dst, off);
      }
      case RESIZE -> {
        boolean f = flip && rng.nextBoolean();
        if (w == outWidth && h == outHeight) {
          Sampler.crop(img, 0, 0, outWidth, outHeight, f, scale, shift, dst, off);
        } else {
          Sampler.sample(img, 0, 0, w, h, outWidth, outHeight, f, scale, shift, dst, off);
        }
      }
      default -> throw new IllegalStateException(kind.toString());
    }
  }

  /** torchvision's RandomResizedCrop.get_params: {x, y, w, h} in source pixels. */
  double[] randomBox(int w, int h, SplittableRandom rng) {
    double area = (double) w * h;
    double lr0 = Math.log(minRatio);
    double lr1 = Math.log(maxRatio);
    for (int attempt = 0; attempt < 10; attempt++) {
      double target = area * (minScale + (maxScale - minScale) * rng.nextDouble());
      double ratio = Math.exp(lr0 + (lr1 - lr0) * rng.nextDouble());
      int cw = (int) Math.round(Math.sqrt(target * ratio));
      int ch = (int) Math.round(Math.sqrt(target / ratio));
      if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
        int y = rng.nextInt(h - ch + 1);
        int x = rng.nextInt(w - cw + 1);
        return new double[] {x, y, cw, ch};
      }
    }
    double in = (double) w / h;
    int cw;
    int ch;
    if (in < minRatio) {
      cw = w;
      ch = (int) Math.round(w / minRatio);
    } else if (in > maxRatio) {
      ch = h;
      cw = (int) Math.round(h * maxRatio);
    } else {
      cw = w;
      ch = h;
    }
    return new double[] {(w - cw) / 2, (h - ch) / 2, cw, ch};
  }
}
