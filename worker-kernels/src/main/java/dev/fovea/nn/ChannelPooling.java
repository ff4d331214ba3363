package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.Arrays;

/**
 * Pooling across channels: the maximum (maxout, Goodfellow et al. 2013) or the average over each
 * group of {@code k} consecutive channels, {@code (C, spatial...) -> (C / k, spatial...)} with at
 * most two spatial axes; a dense output {@code (K)} pools groups of units. Maxout over feature maps
 * that see rotated copies of a pattern gives a unit invariant to the rotation.
 *
 * <p>Composed from the pooling op: the batch {@code (N, C, spatial...)} is viewed as {@code (N, 1, C,
 * spatial...)} and pooled with a window and stride of {@code (k, 1, ...)}, so every backend runs it
 * as its pooling (natively on oneDNN). Max takes the first maximum of a group, as pooling does.
 */
public record ChannelPooling(String name, PoolParams.Kind kind, int k) implements UnaryLayer {

  public ChannelPooling {
    if (k < 1) {
      throw new IllegalArgumentException(name + ": group size k must be >= 1, got " + k);
    }
    if (kind == null) {
      throw new IllegalArgumentException(name + ": kind must be max or avg");
    }
  }

  @Override
  public String type() {
    return "channel" + kind.name().toLowerCase(java.util.Locale.ROOT) + "pool";
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() < 1 || input.rank() > 3) {
      throw new IllegalArgumentException(name + ": expects a (C) or (C, spatial...) input with at most 2 spatial"
          + " axes, got " + input);
    }
    if (input.dim(0) % k != 0) {
      throw new IllegalArgumentException(name + ": " + input.dim(0) + " channels are not a multiple of k = " + k
          + " in " + input);
    }
    int[] d = input.dims().clone();
    d[0] /= k;
    return Shape.of(d);
  }

  /** The pooling over the view {@code (N, 1, C, spatial...)}: window and stride {@code (k, 1, ...)}. */
  private PoolParams pool(int spatialAxes) {
    int[] kernel = new int[spatialAxes];
    Arrays.fill(kernel, 1);
    kernel[0] = k;
    return new PoolParams(kind, kernel, kernel.clone(), new int[spatialAxes], new int[spatialAxes], false);
  }

  private static Shape view(Shape batch) {
    int[] d = new int[batch.rank() + 1];
    d[0] = batch.dim(0);
    d[1] = 1;
    System.arraycopy(batch.dims(), 1, d, 2, batch.rank() - 1);
    return Shape.of(d);
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    outputShape(src.shape().dropFirst());
    Shape out = batchOutput(src);
    Tensor dst = Tensor.zeros(out, src.dtype());
    backend.poolingForward(pool(src.shape().rank() - 1), src.reshape(view(src.shape())), dst.reshape(view(out)));
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.poolingBackward(pool(src.shape().rank() - 1), src.reshape(view(src.shape())),
        diffDst.reshape(view(diffDst.shape())), diffSrc.reshape(view(src.shape())));
    return diffSrc;
  }
}
