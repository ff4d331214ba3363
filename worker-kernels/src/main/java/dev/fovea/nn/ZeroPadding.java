package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.Arrays;

/** Zero padding of the spatial axes: {@code (C, in...) -> (C, in + padBegin + padEnd...)}. */
public record ZeroPadding(String name, int[] padBegin, int[] padEnd) implements UnaryLayer {

  public ZeroPadding {
    if (padBegin.length != padEnd.length || padBegin.length < 1 || padBegin.length > 3) {
      throw new IllegalArgumentException(name + ": padBegin and padEnd must have 1, 2 or 3 equal-length entries");
    }
    padBegin = padBegin.clone();
    padEnd = padEnd.clone();
  }

  @Override
  public String type() {
    return "zeropad";
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != padBegin.length + 1) {
      throw new IllegalArgumentException(name + ": expects an input of rank " + (padBegin.length + 1) + ", got "
          + input);
    }
    int[] d = input.dims();
    for (int i = 0; i < padBegin.length; i++) {
      d[i + 1] += padBegin[i] + padEnd[i];
    }
    return Shape.of(d);
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(batchOutput(src), src.dtype());
    backend.paddingForward(padBegin, padEnd, src, dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.paddingBackward(padBegin, padEnd, diffDst, diffSrc);
    return diffSrc;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ZeroPadding z && name.equals(z.name) && Arrays.equals(padBegin, z.padBegin)
        && Arrays.equals(padEnd, z.padEnd);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(padBegin);
  }

  @Override
  public String toString() {
    return "ZeroPadding[" + name + ", " + Arrays.toString(padBegin) + ", " + Arrays.toString(padEnd) + "]";
  }
}
