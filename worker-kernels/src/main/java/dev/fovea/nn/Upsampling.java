package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/** 2D upsampling by an integer factor, nearest or bilinear: {@code (C, H, W) -> (C, H·scale, W·scale)}. */
public record Upsampling(String name, ResamplingParams.Kind kind, int scale) implements UnaryLayer {

  public Upsampling {
    if (scale < 1) {
      throw new IllegalArgumentException(name + ": scale must be >= 1, got " + scale);
    }
  }

  @Override
  public String type() {
    return "upsample";
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != 3) {
      throw new IllegalArgumentException(name + ": expects a (C, H, W) input, got " + input);
    }
    return Shape.of(input.dim(0), input.dim(1) * scale, input.dim(2) * scale);
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(batchOutput(src), src.dtype());
    backend.resamplingForward(new ResamplingParams(kind, false), src, dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.resamplingBackward(new ResamplingParams(kind, false), diffDst, diffSrc);
    return diffSrc;
  }
}
