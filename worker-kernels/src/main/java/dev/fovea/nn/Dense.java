package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;
import java.util.Optional;

/**
 * Fully connected layer with bias: input {@code (K)} per sample, output {@code (units)}. Weights
 * {@code (units, K)} (PyTorch's layout), Glorot-uniform unless stated; bias zeros.
 */
public record Dense(String name, int units, ParamInit init) implements UnaryLayer {

  public Dense {
    if (units < 1) {
      throw new IllegalArgumentException(name + ": units must be >= 1, got " + units);
    }
  }

  @Override
  public String type() {
    return "dense";
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != 1) {
      throw new IllegalArgumentException(name + ": expects a flat (K) input, got " + input + "; add a flatten layer");
    }
    return Shape.of(units);
  }

  /** {@code K · units}. */
  @Override
  public long macs(Shape input) {
    return (long) input.size() * units;
  }

  @Override
  public List<ParamSpec> params(Shape input) {
    int k = input.size();
    return List.of(
        new ParamSpec("weights", Shape.of(units, k), init, k, units),
        new ParamSpec("bias", Shape.of(units), Initializer.ZEROS, 1, 1));
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(Shape.of(src.shape().dim(0), units), src.dtype());
    backend.innerProductForward(src, params[0], params[1], dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    backend.innerProductBackwardWeights(src, diffDst, diffParams[0], diffParams[1]);
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.innerProductBackwardData(diffDst, params[0], diffSrc);
    return diffSrc;
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.of(new NetworkGraph.InnerProduct());
  }
}
