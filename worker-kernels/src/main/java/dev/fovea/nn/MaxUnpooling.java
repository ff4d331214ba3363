package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.List;

/**
 * Max-unpooling paired with a named max-pooling layer (SegNet's decoder): each value of its first
 * input {@code (C, out...)} goes back to where the paired pool found its maximum in the pool's own
 * input {@code (C, in...)}, zeros elsewhere; the output has the pool input's shape.
 *
 * <p>In a graph it is written with one input (the values) and the name of the pool, {@code pool};
 * the network binds it when built ({@link #bind}): {@code paired} becomes the pool's definition and the
 * pool's input becomes this layer's second input. Forward recomputes the pool's indices from that
 * second input with {@link Backend#poolingForwardWithIndices} (the same op on the same tensor, so
 * the same indices as the pool's forward pass) and scatters with {@link
 * Backend#maxUnpoolingForward}. Backward gathers the gradient at those indices ({@link
 * Backend#maxUnpoolingBackward}); the indices are piecewise constant in the pool's input, so that
 * input receives no gradient from here.
 *
 * @param pool the name of the paired max-pooling layer ({@link Pooling} of kind MAX or {@link
 *     MaxPool2d}), defined before this layer
 * @param paired the paired pool's definition, null until {@link #bind} (JSON may leave it out)
 */
public record MaxUnpooling(String name, String pool, Pooling paired) implements Layer {

  /** A max-unpooling layer paired with the max-pooling layer called {@code pool}, bound when the network is built. */
  public static MaxUnpooling of(String name, String pool) {
    return new MaxUnpooling(name, pool, null);
  }

  /** This layer paired with {@code layer}, which must be the max-pooling layer named {@link #pool}. */
  MaxUnpooling bind(Layer layer) {
    Pooling p;
    if (layer instanceof MaxPool2d m) {
      p = Pooling.max2d(m.name(), m.size(), m.size(), 0);
    } else if (layer instanceof Pooling q && q.kind() == PoolParams.Kind.MAX) {
      p = q;
    } else {
      throw new IllegalArgumentException(name + ": pool '" + pool + "' must be a max-pooling layer, got a "
          + layer.type());
    }
    return new MaxUnpooling(name, pool, p);
  }

  @Override
  public String type() {
    return "maxunpool" + (paired == null ? "" : paired.kernel().length + "d");
  }

  private Pooling bound() {
    if (paired == null) {
      throw new IllegalArgumentException(name + ": not paired with its pool '" + pool
          + "' (build it into a network, which binds it)");
    }
    return paired;
  }

  @Override
  public Shape outputShape(List<Shape> inputs) {
    if (inputs.size() != 2) {
      throw new IllegalArgumentException(name + ": expects the values to unpool and the input of pool '" + pool
          + "', got " + inputs.size() + " inputs");
    }
    Shape pooled = bound().outputShape(inputs.get(1));
    if (!pooled.equals(inputs.get(0))) {
      throw new IllegalArgumentException(name + ": expects " + pooled + " (the output of pool '" + pool
          + "'), got " + inputs.get(0));
    }
    return inputs.get(1);
  }

  @Override
  public List<ParamSpec> params(List<Shape> inputs) {
    return List.of();
  }

  @Override
  public Tensor forward(Backend backend, Tensor[] srcs, Tensor[] params, LayerContext ctx) {
    Tensor poolInput = srcs[1];
    PoolParams p = bound().pool(poolInput.shape().dropFirst());
    Tensor pooled = Tensor.zeros(srcs[0].shape(), srcs[0].dtype());
    int[] indices = new int[pooled.size()];
    backend.poolingForwardWithIndices(p, poolInput, pooled, indices);
    Tensor dst = Tensor.zeros(poolInput.shape(), srcs[0].dtype());
    backend.maxUnpoolingForward(srcs[0], indices, dst);
    ctx.save(indices);
    return dst;
  }

  @Override
  public Tensor[] backward(Backend backend, Tensor[] srcs, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return new Tensor[2];
    }
    Tensor diffSrc = Tensor.zeros(srcs[0].shape(), srcs[0].dtype());
    backend.maxUnpoolingBackward((int[]) ctx.saved(), diffDst, diffSrc);
    return new Tensor[] {diffSrc, null};
  }
}
