package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Adaptive max or average pooling to a fixed output size, {@code (C, in...) -> (C, size...)} for any
 * input size (PyTorch's {@code AdaptiveAvgPool2d(size)}; windows as {@link
 * Backend#adaptivePoolingForward}). Before a classifier it lets a network take inputs of other
 * sizes than it was built for with the same parameters ({@link Network#withInputShape}).
 *
 * @param size the output size per spatial axis (1 to 3 axes)
 */
public record AdaptivePooling(String name, PoolParams.Kind kind, int[] size) implements UnaryLayer {

  public AdaptivePooling {
    if (kind == null || size == null || size.length < 1 || size.length > 3) {
      throw new IllegalArgumentException(name + ": needs a kind and an output size of 1 to 3 axes");
    }
    for (int s : size) {
      if (s < 1) {
        throw new IllegalArgumentException(name + ": output sizes must be >= 1, got " + Arrays.toString(size));
      }
    }
    size = size.clone();
  }

  /** A 2D adaptive pool to {@code h × w}. */
  public static AdaptivePooling of2d(String name, PoolParams.Kind kind, int h, int w) {
    return new AdaptivePooling(name, kind, new int[] {h, w});
  }

  @Override
  public String type() {
    return "adaptive" + kind.name().toLowerCase(java.util.Locale.ROOT) + "pool" + size.length + "d";
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != size.length + 1) {
      throw new IllegalArgumentException(name + ": expects an input of rank " + (size.length + 1) + ", got " + input);
    }
    int[] d = new int[size.length + 1];
    d[0] = input.dim(0);
    System.arraycopy(size, 0, d, 1, size.length);
    return Shape.of(d);
  }

  /** The ordinary pooling this layer equals on {@code input} (one sample's shape), or null (see {@link PoolParams#adaptiveUniform}). */
  PoolParams uniform(Shape input) {
    return PoolParams.adaptiveUniform(kind, input.prepend(1), outputShape(input).prepend(1));
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(batchOutput(src), src.dtype());
    backend.adaptivePoolingForward(kind, src, dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.adaptivePoolingBackward(kind, src, diffDst, diffSrc);
    return diffSrc;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AdaptivePooling a && name.equals(a.name) && kind == a.kind && Arrays.equals(size, a.size);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(size);
  }

  @Override
  public String toString() {
    return "AdaptivePooling[" + name + ", " + kind + ", size " + Arrays.toString(size) + "]";
  }

  /** Lowers to a plain pooling where the input is a multiple of the output; else the host runs it. */
  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.ofNullable(uniform(inputs.get(0))).map(NetworkGraph.Pooling::new);
  }
}
