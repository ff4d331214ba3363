package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Batch normalisation per channel of {@code (C, ...)}. Trainable parameters {@code gamma (C)} (when
 * {@code scale}) and {@code beta (C)} (when {@code center}); buffers {@code mean (C)} and {@code
 * variance (C)}, the running statistics, updated in place by training passes and used by
 * evaluation passes.
 *
 * @param epsilon added to the variance (PyTorch 1e-5, Keras 1e-3)
 * @param momentum weight of the new batch in the running averages, PyTorch's convention (0.1;
 *     Keras's 0.99 is 0.01 here)
 * @param scale whether gamma is trained (Keras's {@code scale=False} drops it, as Inception-ResNet-v2
 *     does)
 * @param center whether beta is trained
 */
public record BatchNorm(String name, double epsilon, double momentum, boolean scale, boolean center)
    implements UnaryLayer {

  public BatchNorm {
    new BatchNormParams(epsilon, momentum); // validates
  }

  /** PyTorch's {@code BatchNorm2d} defaults: epsilon 1e-5, momentum 0.1, gamma and beta. */
  public static BatchNorm of(String name) {
    return new BatchNorm(name, 1e-5, 0.1, true, true);
  }

  @Override
  public String type() {
    return "batchnorm";
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() < 1) {
      throw new IllegalArgumentException(name + ": expects a (C, ...) input, got " + input);
    }
    return input;
  }

  @Override
  public List<ParamSpec> params(Shape input) {
    List<ParamSpec> p = new ArrayList<>();
    if (scale) {
      p.add(ParamSpec.constant("gamma", Shape.of(input.dim(0)), Initializer.ONES));
    }
    if (center) {
      p.add(ParamSpec.constant("beta", Shape.of(input.dim(0)), Initializer.ZEROS));
    }
    return p;
  }

  @Override
  public List<ParamSpec> buffers(Shape input) {
    return List.of(ParamSpec.constant("mean", Shape.of(input.dim(0)), Initializer.ZEROS),
        ParamSpec.constant("variance", Shape.of(input.dim(0)), Initializer.ONES));
  }

  private Tensor gamma(Tensor[] params) {
    return scale ? params[0] : null;
  }

  private Tensor beta(Tensor[] params) {
    return center ? params[scale ? 1 : 0] : null;
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    int c = src.shape().dim(1);
    Tensor saveMean = Tensor.zeros(Shape.of(c), src.dtype());
    Tensor saveInvStd = Tensor.zeros(Shape.of(c), src.dtype());
    Tensor dst = Tensor.zeros(src.shape(), src.dtype());
    backend.batchNormalizationForward(new BatchNormParams(epsilon, momentum), ctx.training(), src, gamma(params),
        beta(params), ctx.buffers()[0], ctx.buffers()[1], saveMean, saveInvStd, dst);
    ctx.save(new Tensor[] {saveMean, saveInvStd});
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    Tensor[] saved = (Tensor[]) ctx.saved();
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.batchNormalizationBackward(new BatchNormParams(epsilon, momentum), ctx.training(), src, gamma(params),
        saved[0], saved[1], diffDst, diffSrc, gamma(diffParams), beta(diffParams));
    return ctx.needDiffSrc() ? diffSrc : null;
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.of(new NetworkGraph.BatchNormalization(new BatchNormParams(epsilon(), momentum()), scale(), center(),
        inference));
  }
}
