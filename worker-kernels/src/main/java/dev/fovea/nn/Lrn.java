package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.LrnParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/** Local response normalisation across channels, PyTorch's {@code LocalResponseNorm(size, alpha, beta, k)}. */
public record Lrn(String name, int size, double alpha, double beta, double k) implements UnaryLayer {

  public Lrn {
    new LrnParams(size, alpha, beta, k); // validates
  }

  @Override
  public String type() {
    return "lrn";
  }

  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(src.shape(), src.dtype());
    backend.lrnForward(new LrnParams(size, alpha, beta, k), src, dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.lrnBackward(new LrnParams(size, alpha, beta, k), src, diffDst, diffSrc);
    return diffSrc;
  }
}
