package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.DropoutParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * Inverted dropout (element-wise, or whole channels when {@code spatial}); the identity at
 * evaluation. The mask is drawn from the layer's seed in its {@link LayerContext}, so a training
 * pass is a pure function of the step seed.
 *
 * @param rate probability of dropping, in [0, 1)
 */
public record Dropout(String name, double rate, boolean spatial) implements UnaryLayer {

  public Dropout {
    new DropoutParams(rate, spatial); // validates
  }

  @Override
  public String type() {
    return "dropout";
  }

  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    if (!ctx.training() || rate == 0) {
      return src;
    }
    Tensor mask = Tensor.zeros(src.shape(), src.dtype());
    Tensor dst = Tensor.zeros(src.shape(), src.dtype());
    backend.dropoutForward(new DropoutParams(rate, spatial), true, ctx.seed(), src, mask, dst);
    ctx.save(mask);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    if (ctx.saved() == null) {
      return diffDst;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.dropoutBackward((Tensor) ctx.saved(), diffDst, diffSrc);
    return diffSrc;
  }
}
