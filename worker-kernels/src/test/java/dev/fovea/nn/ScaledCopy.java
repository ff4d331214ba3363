package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;
import java.util.Optional;

/**
 * A layer written outside {@code dev.fovea.nn}'s own set, as a user would: {@code dst = scale ·
 * src}, run on the host by its own code, and, when {@code lowers}, lowered to the graph's scaled
 * sum so compiling backends run it natively. Nothing in {@link Network} names it.
 */
public record ScaledCopy(String name, double scale, boolean lowers) implements UnaryLayer {

  @Override
  public String type() {
    return "scaled_copy";
  }

  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(src.shape(), src.dtype());
    backend.sumForward(new double[] {scale}, new Tensor[] {src}, dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.sumForward(new double[] {scale}, new Tensor[] {diffDst}, diffSrc);
    return diffSrc;
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return lowers ? Optional.of(new NetworkGraph.Sum(new double[] {scale})) : Optional.empty();
  }
}
