package dev.fovea.kernels;

/**
 * Spatial resampling (upsampling) of {@code (N, C, H, W)} to {@code (N, C, H', W')}; the output
 * size is the destination's shape. Matches PyTorch's {@code nn.functional.interpolate} called with
 * {@code size=(H', W')}.
 *
 * <p>Source coordinate of destination cell {@code d} along an axis of sizes {@code in → out}:
 *
 * <ul>
 *   <li>{@link Kind#NEAREST}: {@code s = min(floor(d · in / out), in - 1)} ({@code alignCorners}
 *       is ignored, as in PyTorch's {@code mode='nearest'}). Fovea computes it exactly in
 *       integers; PyTorch multiplies by a float32 scale and can land one cell lower where {@code d
 *       · in / out} is an integer that the rounded scale misses (e.g. in 14, out 20, d 10).
 *   <li>{@link Kind#BILINEAR}, {@code alignCorners = true}: {@code s = d · (in - 1) / (out - 1)}
 *       (0 when {@code out = 1}); corners of source and destination coincide.
 *   <li>{@link Kind#BILINEAR}, {@code alignCorners = false}: {@code s = max(0, (d + 0.5) · in /
 *       out - 0.5)}; pixel areas align (PyTorch's default, and TensorFlow 2's {@code
 *       tf.image.resize}).
 *   <li>{@link Kind#BED_OF_NAILS}: the output size must be an integer multiple {@code f = out / in}
 *       of the input on each axis; {@code dst[d] = src[d / f]} when {@code d} is a multiple of {@code
 *       f} (the top-left cell of each {@code f × f} block) and 0 elsewhere ("bed of nails"
 *       upsampling; the unpooling of a max pool whose maxima all sit top-left). Its gradient takes
 *       {@code diffDst} at the top-left cells and ignores the rest.
 * </ul>
 *
 * Bilinear then blends {@code src[floor(s)]} and {@code src[min(floor(s) + 1, in - 1)]} with
 * weights {@code 1 - λ} and {@code λ = s - floor(s)} on each axis.
 *
 * @param kind nearest, bilinear or bed of nails
 * @param alignCorners the bilinear coordinate convention above
 */
public record ResamplingParams(Kind kind, boolean alignCorners) {

  /** The interpolation rule. */
  public enum Kind {
    NEAREST,
    BILINEAR,
    BED_OF_NAILS
  }

  public static final ResamplingParams NEAREST = new ResamplingParams(Kind.NEAREST, false);

  public ResamplingParams {
    if (kind == null) {
      throw new IllegalArgumentException("resampling: kind must not be null");
    }
  }

  /** The destination shape {@code (N, C, H·scale, W·scale)} for an integer scale factor. */
  public static Shape scaledShape(Shape src, int scale) {
    if (src.rank() != 4) {
      throw new IllegalArgumentException("resampling: source " + src + " must be (N, C, H, W)");
    }
    if (scale < 1) {
      throw new IllegalArgumentException("resampling: scale must be >= 1, got " + scale);
    }
    return Shape.of(src.dim(0), src.dim(1), src.dim(2) * scale, src.dim(3) * scale);
  }
}
