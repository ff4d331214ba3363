package dev.fovea.nn;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * Randomised leaky ReLU (PyTorch's {@code RReLU}): in training each element's negative slope is
 * drawn from {@code [lower, upper)} with the layer's seed; at evaluation the slope is {@code (lower
 * + upper) / 2}.
 */
public record Rrelu(String name, double lower, double upper) implements UnaryLayer {

  public Rrelu {
    new Activation(Activation.Kind.RRELU, lower, upper); // validates
  }

  @Override
  public String type() {
    return "rrelu";
  }

  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(src.shape(), src.dtype());
    if (ctx.training()) {
      Tensor slope = Tensor.zeros(src.shape(), src.dtype());
      backend.rreluForward(lower, upper, ctx.seed(), src, slope, dst);
      ctx.save(slope);
    } else {
      backend.eltwiseForward(new Activation(Activation.Kind.RRELU, lower, upper), src, dst);
    }
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    if (ctx.saved() instanceof Tensor slope) {
      backend.preluBackward(src, slope, diffDst, diffSrc, null);
    } else {
      backend.eltwiseBackward(new Activation(Activation.Kind.RRELU, lower, upper), src, diffDst, diffSrc);
    }
    return diffSrc;
  }
}
