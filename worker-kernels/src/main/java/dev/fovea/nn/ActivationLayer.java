package dev.fovea.nn;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;
import java.util.Optional;

/** An element-wise activation; the output shape is the input shape. */
public record ActivationLayer(String name, Activation function) implements UnaryLayer {

  @Override
  public String type() {
    return function.kind().name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  @Override
  public List<ParamSpec> params(Shape input) {
    return List.of();
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(src.shape(), src.dtype());
    backend.eltwiseForward(function, src, dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.eltwiseBackward(function, src, diffDst, diffSrc);
    return diffSrc;
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.of(new NetworkGraph.Eltwise(function()));
  }
}
