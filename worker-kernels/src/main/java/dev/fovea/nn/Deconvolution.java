package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Transposed convolution over 1, 2 or 3 spatial axes (PyTorch's {@code ConvTranspose2d}): input
 * {@code (C, in...)}, output {@code (filters, out...)}, weights {@code (C, filters, k...)}, bias
 * {@code (filters)} when {@code bias}.
 */
public record Deconvolution(String name, int filters, int[] kernel, int[] stride, int[] padding,
    int[] outputPadding, boolean bias, ParamInit init) implements UnaryLayer {

  public Deconvolution {
    int r = kernel.length;
    if (r < 1 || r > 3 || stride.length != r || padding.length != r || outputPadding.length != r) {
      throw new IllegalArgumentException(name + ": kernel, stride, padding and outputPadding must have 1, 2 or 3"
          + " equal-length entries");
    }
    kernel = kernel.clone();
    stride = stride.clone();
    padding = padding.clone();
    outputPadding = outputPadding.clone();
  }

  @Override
  public String type() {
    return "deconv" + kernel.length + "d";
  }

  private DeconvParams deconv() {
    int[] one = new int[kernel.length];
    Arrays.fill(one, 1);
    return new DeconvParams(new ConvParams(stride, padding, padding, one, 1), outputPadding);
  }

  private Shape weightShape(Shape input) {
    int[] d = new int[kernel.length + 2];
    d[0] = input.dim(0);
    d[1] = filters;
    System.arraycopy(kernel, 0, d, 2, kernel.length);
    return Shape.of(d);
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != kernel.length + 1) {
      throw new IllegalArgumentException(name + ": expects an input of rank " + (kernel.length + 1) + ", got " + input);
    }
    try {
      return deconv().outputShape(input.prepend(1), weightShape(input)).dropFirst();
    } catch (IllegalArgumentException e) {
      throw named(e);
    }
  }

  /** {@code in.size() · filters · Πk}: every input cell is scattered through the whole kernel. */
  @Override
  public long macs(Shape input) {
    long scatter = filters;
    for (int k : kernel) {
      scatter *= k;
    }
    return input.size() * scatter;
  }

  @Override
  public List<ParamSpec> params(Shape input) {
    int fan = 1;
    for (int k : kernel) {
      fan *= k;
    }
    ParamSpec w = new ParamSpec("weights", weightShape(input), init, filters * fan, input.dim(0) * fan);
    return bias ? List.of(w, ParamSpec.constant("bias", Shape.of(filters), Initializer.ZEROS)) : List.of(w);
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(batchOutput(src), src.dtype());
    backend.deconvolutionForward(deconv(), src, params[0], bias ? params[1] : null, dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    backend.deconvolutionBackwardWeights(deconv(), src, diffDst, diffParams[0], bias ? diffParams[1] : null);
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.deconvolutionBackwardData(deconv(), diffDst, params[0], diffSrc);
    return diffSrc;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Deconvolution c && name.equals(c.name) && filters == c.filters
        && Arrays.equals(kernel, c.kernel) && Arrays.equals(stride, c.stride) && Arrays.equals(padding, c.padding)
        && Arrays.equals(outputPadding, c.outputPadding) && bias == c.bias && init.equals(c.init);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(kernel);
  }

  @Override
  public String toString() {
    return "Deconvolution[" + name + ", " + filters + " filters, kernel " + Arrays.toString(kernel) + "]";
  }
}
