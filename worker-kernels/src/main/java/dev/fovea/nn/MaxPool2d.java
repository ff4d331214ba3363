package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;
import java.util.Optional;

/** 2D max pooling with a square window and stride equal to the window. */
public record MaxPool2d(String name, int size) implements UnaryLayer {

  @Override
  public String type() {
    return "maxpool2d";
  }

  private PoolParams pool() {
    return PoolParams.max2d(size);
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != 3) {
      throw new IllegalArgumentException(name + ": expects (C, H, W) input, got " + input);
    }
    try {
      return pool().outputShape(input.prepend(1)).dropFirst();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
    }
  }

  @Override
  public List<ParamSpec> params(Shape input) {
    return List.of();
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(outputShape(src.shape().dropFirst()).prepend(src.shape().dim(0)), src.dtype());
    backend.poolingForward(pool(), src, dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.poolingBackward(pool(), src, diffDst, diffSrc);
    return diffSrc;
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.of(new NetworkGraph.Pooling(PoolParams.max2d(size())));
  }
}
