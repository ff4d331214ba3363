package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;
import java.util.Optional;

/**
 * Concatenation of two or more inputs along the channel axis: {@code (C₁, X...), (C₂, X...) -> (C₁
 * + C₂, X...)}; the other axes must agree (Inception's branches).
 */
public record Concat(String name) implements Layer {

  @Override
  public String type() {
    return "concat";
  }

  @Override
  public Shape outputShape(List<Shape> inputs) {
    if (inputs.size() < 2) {
      throw new IllegalArgumentException(name + ": expects at least two inputs, got " + inputs.size());
    }
    Shape first = inputs.get(0);
    int channels = 0;
    for (int i = 0; i < inputs.size(); i++) {
      Shape s = inputs.get(i);
      if (s.rank() != first.rank() || !s.dropFirst().equals(first.dropFirst())) {
        throw new IllegalArgumentException(name + ": input " + (i + 1) + " has shape " + s + ", expects (C, " + first.dropFirst().toString().substring(1)
            + " like input 1 " + first);
      }
      channels += s.dim(0);
    }
    int[] d = first.dims();
    d[0] = channels;
    return Shape.of(d);
  }

  @Override
  public List<ParamSpec> params(List<Shape> inputs) {
    return List.of();
  }

  @Override
  public Tensor forward(Backend backend, Tensor[] srcs, Tensor[] params, LayerContext ctx) {
    int[] d = srcs[0].shape().dims();
    d[1] = 0;
    for (Tensor s : srcs) {
      d[1] += s.shape().dim(1);
    }
    Tensor dst = Tensor.zeros(Shape.of(d), srcs[0].dtype());
    backend.concatForward(1, srcs, dst);
    return dst;
  }

  @Override
  public Tensor[] backward(Backend backend, Tensor[] srcs, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    Tensor[] diffSrcs = new Tensor[srcs.length];
    for (int i = 0; i < srcs.length; i++) {
      diffSrcs[i] = Tensor.zeros(srcs[i].shape(), srcs[i].dtype());
    }
    backend.concatBackward(1, diffDst, diffSrcs);
    return diffSrcs;
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.of(new NetworkGraph.Concat());
  }
}
