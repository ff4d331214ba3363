package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;

/**
 * Parametric ReLU with a trained slope {@code (C)} per channel, or {@code (1)} shared when not
 * {@code perChannel}; the slope starts at 0.25 (PyTorch).
 */
public record Prelu(String name, boolean perChannel) implements UnaryLayer {

  @Override
  public String type() {
    return "prelu";
  }

  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  @Override
  public List<ParamSpec> params(Shape input) {
    return List.of(ParamSpec.constant("slope", Shape.of(perChannel ? input.dim(0) : 1), Initializer.QUARTER));
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(src.shape(), src.dtype());
    backend.preluForward(src, params[0], dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.preluBackward(src, params[0], diffDst, diffSrc, diffParams[0]);
    return ctx.needDiffSrc() ? diffSrc : null;
  }
}
