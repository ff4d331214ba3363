package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Weighted element-wise sum of two or more inputs of one shape, {@code dst = Σᵢ scales[i] ·
 * srcs[i]}: ResNet's shortcut (scales {1, 1}) and Inception-ResNet's scaled residual ({1, 0.17}).
 *
 * @param scales one weight per input; an empty array means all ones
 */
public record Add(String name, double[] scales) implements Layer {

  public Add {
    scales = scales.clone();
  }

  /** A plain sum of its inputs. */
  public static Add of(String name) {
    return new Add(name, new double[0]);
  }

  @Override
  public String type() {
    return "add";
  }

  double[] weights(int n) {
    if (scales.length == 0) {
      double[] w = new double[n];
      Arrays.fill(w, 1);
      return w;
    }
    return scales;
  }

  @Override
  public Shape outputShape(List<Shape> inputs) {
    if (inputs.size() < 2) {
      throw new IllegalArgumentException(name + ": expects at least two inputs, got " + inputs.size());
    }
    if (scales.length != 0 && scales.length != inputs.size()) {
      throw new IllegalArgumentException(name + ": has " + scales.length + " scales for " + inputs.size() + " inputs");
    }
    Shape first = inputs.get(0);
    for (int i = 1; i < inputs.size(); i++) {
      if (!inputs.get(i).equals(first)) {
        throw new IllegalArgumentException(name + ": input " + (i + 1) + " has shape " + inputs.get(i)
            + ", expects " + first + " like input 1");
      }
    }
    return first;
  }

  @Override
  public List<ParamSpec> params(List<Shape> inputs) {
    return List.of();
  }

  @Override
  public Tensor forward(Backend backend, Tensor[] srcs, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(srcs[0].shape(), srcs[0].dtype());
    backend.sumForward(weights(srcs.length), srcs, dst);
    return dst;
  }

  @Override
  public Tensor[] backward(Backend backend, Tensor[] srcs, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    double[] w = weights(srcs.length);
    Tensor[] diffSrcs = new Tensor[srcs.length];
    for (int i = 0; i < srcs.length; i++) {
      diffSrcs[i] = Tensor.zeros(srcs[i].shape(), srcs[i].dtype());
      backend.sumForward(new double[] {w[i]}, new Tensor[] {diffDst}, diffSrcs[i]);
    }
    return diffSrcs;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Add a && name.equals(a.name) && Arrays.equals(scales, a.scales);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(scales);
  }

  @Override
  public String toString() {
    return "Add[" + name + ", scales " + Arrays.toString(scales) + "]";
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.of(new NetworkGraph.Sum(weights(inputs.size())));
  }
}
