package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;
import java.util.Optional;

/** Flattens each sample to a vector: {@code (N, C, H, W) -> (N, C·H·W)}, a view without copying. */
public record Flatten(String name) implements UnaryLayer {

  @Override
  public String type() {
    return "flatten";
  }

  @Override
  public Shape outputShape(Shape input) {
    return Shape.of(input.size());
  }

  @Override
  public List<ParamSpec> params(Shape input) {
    return List.of();
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    return src.reshape(Shape.of(src.shape().dim(0), src.shape().sampleSize()));
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    return ctx.needDiffSrc() ? diffDst.reshape(src.shape()) : null;
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.of(new NetworkGraph.Flatten());
  }
}
