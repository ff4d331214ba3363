package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;
import java.util.Optional;

/**
 * 2D convolution with bias: input {@code (C, H, W)} per sample, output {@code (filters, H', W')}.
 * Weights {@code (filters, C, k, k)} drawn from {@code init}; bias zeros.
 */
public record Conv2d(String name, int filters, int kernel, int stride, int padding, ParamInit init)
    implements UnaryLayer {

  public Conv2d {
    if (filters < 1) {
      throw new IllegalArgumentException(name + ": filters must be >= 1, got " + filters);
    }
    if (kernel < 1) {
      throw new IllegalArgumentException(name + ": kernel must be >= 1, got " + kernel);
    }
  }

  ConvParams conv() {
    return ConvParams.conv2d(stride, padding);
  }

  @Override
  public String type() {
    return "conv2d";
  }

  private Shape weightShape(Shape input) {
    return Shape.of(filters, input.dim(0), kernel, kernel);
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != 3) {
      throw new IllegalArgumentException(name + ": expects (C, H, W) input, got " + input);
    }
    try {
      return conv().outputShape(input.prepend(1), weightShape(input)).dropFirst();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
    }
  }

  /** {@code out.size() · C · k²}. */
  @Override
  public long macs(Shape input) {
    return (long) outputShape(input).size() * input.dim(0) * kernel * kernel;
  }

  @Override
  public List<ParamSpec> params(Shape input) {
    int fan = kernel * kernel;
    return List.of(
        new ParamSpec("weights", weightShape(input), init, input.dim(0) * fan, filters * fan),
        new ParamSpec("bias", Shape.of(filters), Initializer.ZEROS, 1, 1));
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Shape out = outputShape(src.shape().dropFirst()).prepend(src.shape().dim(0));
    Tensor dst = Tensor.zeros(out, src.dtype());
    backend.convolutionForward(conv(), src, params[0], params[1], dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    backend.convolutionBackwardWeights(conv(), src, diffDst, diffParams[0], diffParams[1]);
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.convolutionBackwardData(conv(), diffDst, params[0], diffSrc);
    return diffSrc;
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.of(new NetworkGraph.Convolution(conv(), true));
  }
}
