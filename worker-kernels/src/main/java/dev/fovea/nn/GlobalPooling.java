package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;
import java.util.Optional;

/**
 * Global max or average pooling over all spatial axes: {@code (C, in...) -> (C)} (Keras's {@code
 * GlobalAveragePooling2D}; PyTorch's {@code AdaptiveAvgPool2d(1)} followed by {@code flatten}).
 */
public record GlobalPooling(String name, PoolParams.Kind kind) implements UnaryLayer {

  @Override
  public String type() {
    return "global" + kind.name().toLowerCase(java.util.Locale.ROOT) + "pool";
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() < 2 || input.rank() > 4) {
      throw new IllegalArgumentException(name + ": expects a (C, spatial...) input with 1 to 3 spatial axes, got "
          + input);
    }
    return Shape.of(input.dim(0));
  }

  private static Shape pooled(Shape src) {
    int[] d = new int[src.rank()];
    java.util.Arrays.fill(d, 1);
    d[0] = src.dim(0);
    d[1] = src.dim(1);
    return Shape.of(d);
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(pooled(src.shape()), src.dtype());
    backend.poolingForward(PoolParams.global(kind, src.shape()), src, dst);
    return dst.reshape(Shape.of(src.shape().dim(0), src.shape().dim(1)));
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.poolingBackward(PoolParams.global(kind, src.shape()), src, diffDst.reshape(pooled(src.shape())), diffSrc);
    return diffSrc;
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.of(new NetworkGraph.GlobalPooling(kind()));
  }
}
