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
 * Max or average pooling over 1, 2 or 3 spatial axes: input {@code (C, in...)}, output {@code (C,
 * out...)}. Average pooling never counts padded cells (Keras's behaviour).
 *
 * @param padding cells on both sides per axis (ignored when {@code same})
 * @param same Keras/TensorFlow {@code 'same'} padding, computed per input size
 */
public record Pooling(String name, PoolParams.Kind kind, int[] kernel, int[] stride, int[] padding, boolean same)
    implements UnaryLayer {

  public Pooling {
    int r = kernel.length;
    if (r < 1 || r > 3 || stride.length != r || padding.length != r) {
      throw new IllegalArgumentException(name + ": kernel, stride and padding must have 1, 2 or 3 equal-length entries");
    }
    kernel = kernel.clone();
    stride = stride.clone();
    padding = padding.clone();
  }

  /** A 2D max pool with a square window. */
  public static Pooling max2d(String name, int kernel, int stride, int padding) {
    return new Pooling(name, PoolParams.Kind.MAX, new int[] {kernel, kernel}, new int[] {stride, stride},
        new int[] {padding, padding}, false);
  }

  /** A 2D average pool with a square window. */
  public static Pooling avg2d(String name, int kernel, int stride, int padding) {
    return new Pooling(name, PoolParams.Kind.AVG, new int[] {kernel, kernel}, new int[] {stride, stride},
        new int[] {padding, padding}, false);
  }

  /** A 2D pool with Keras {@code 'same'} padding. */
  public static Pooling same2d(String name, PoolParams.Kind kind, int kernel, int stride) {
    return new Pooling(name, kind, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {0, 0}, true);
  }

  @Override
  public String type() {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + "pool" + kernel.length + "d";
  }

  PoolParams pool(Shape input) {
    if (same) {
      return PoolParams.same(kind, kernel, stride, Arrays.copyOfRange(input.dims(), 1, input.rank()));
    }
    return new PoolParams(kind, kernel, stride, padding, padding, false);
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != kernel.length + 1) {
      throw new IllegalArgumentException(name + ": expects an input of rank " + (kernel.length + 1) + ", got " + input);
    }
    try {
      return pool(input).outputShape(input.prepend(1)).dropFirst();
    } catch (IllegalArgumentException e) {
      throw named(e);
    }
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(batchOutput(src), src.dtype());
    backend.poolingForward(pool(src.shape().dropFirst()), src, dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.poolingBackward(pool(src.shape().dropFirst()), src, diffDst, diffSrc);
    return diffSrc;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Pooling p && name.equals(p.name) && kind == p.kind && Arrays.equals(kernel, p.kernel)
        && Arrays.equals(stride, p.stride) && Arrays.equals(padding, p.padding) && same == p.same;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(kernel);
  }

  @Override
  public String toString() {
    return "Pooling[" + name + ", " + kind + ", kernel " + Arrays.toString(kernel) + ", stride "
        + Arrays.toString(stride) + "]";
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.of(new NetworkGraph.Pooling(pool(inputs.get(0))));
  }
}
