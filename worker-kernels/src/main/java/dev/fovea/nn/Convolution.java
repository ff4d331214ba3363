package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Convolution over 1, 2 or 3 spatial axes (the length of {@code kernel}): input {@code (C, in...)}
 * per sample, output {@code (filters, out...)}. Weights {@code (filters, C / groups, k...)}, bias
 * {@code (filters)} when {@code bias}.
 *
 * @param filters output channels
 * @param kernel kernel size per spatial axis
 * @param stride stride per spatial axis
 * @param padding zero cells on both sides per spatial axis (ignored when {@code same})
 * @param same Keras/TensorFlow {@code 'same'} padding, computed per input size
 * @param dilation spacing of kernel taps per spatial axis
 * @param groups channel groups
 * @param bias whether the layer adds a bias (false before batch norm)
 * @param inChannels expected input channels, checked at build time; 0 infers them
 * @param init weight initialiser
 */
public record Convolution(String name, int filters, int[] kernel, int[] stride, int[] padding, boolean same,
    int[] dilation, int groups, boolean bias, int inChannels, ParamInit init) implements UnaryLayer {

  public Convolution {
    int r = kernel.length;
    if (r < 1 || r > 3 || stride.length != r || padding.length != r || dilation.length != r) {
      throw new IllegalArgumentException(name + ": kernel, stride, padding and dilation must have 1, 2 or 3 equal-length"
          + " entries");
    }
    if (filters < 1 || groups < 1 || filters % groups != 0) {
      throw new IllegalArgumentException(name + ": filters " + filters + " must be >= 1 and divisible by groups "
          + groups);
    }
    kernel = kernel.clone();
    stride = stride.clone();
    padding = padding.clone();
    dilation = dilation.clone();
  }

  /** A square 2D convolution, PyTorch style: symmetric padding, He-normal weights. */
  public static Convolution conv2d(String name, int filters, int kernel, int stride, int padding, boolean bias) {
    return new Convolution(name, filters, new int[] {kernel, kernel}, new int[] {stride, stride},
        new int[] {padding, padding}, false, new int[] {1, 1}, 1, bias, 0, Initializer.HE_NORMAL);
  }

  /** A 2D convolution with Keras {@code 'same'} (or {@code 'valid'}) padding and a (kh, kw) kernel. */
  public static Convolution keras2d(String name, int filters, int kh, int kw, int stride, boolean same, boolean bias) {
    return new Convolution(name, filters, new int[] {kh, kw}, new int[] {stride, stride}, new int[] {0, 0}, same,
        new int[] {1, 1}, 1, bias, 0, Initializer.GLOROT_UNIFORM);
  }

  @Override
  public String type() {
    return "conv" + kernel.length + "d";
  }

  ConvParams conv(Shape input) {
    if (same) {
      int[] in = Arrays.copyOfRange(input.dims(), 1, input.rank());
      return ConvParams.same(kernel, stride, dilation, in, groups);
    }
    return new ConvParams(stride, padding, padding, dilation, groups);
  }

  private Shape weightShape(Shape input) {
    int[] d = new int[kernel.length + 2];
    d[0] = filters;
    d[1] = input.dim(0) / groups;
    System.arraycopy(kernel, 0, d, 2, kernel.length);
    return Shape.of(d);
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != kernel.length + 1) {
      throw new IllegalArgumentException(name + ": expects a (C, spatial...) input of rank " + (kernel.length + 1) + ", got " + input);
    }
    if (inChannels > 0 && input.dim(0) != inChannels) {
      throw new IllegalArgumentException(name + ": expects " + inChannels + " input channels, got " + input.dim(0)
          + " (input shape " + input + ")");
    }
    if (input.dim(0) % groups != 0) {
      throw new IllegalArgumentException(name + ": " + input.dim(0) + " input channels are not divisible by groups "
          + groups);
    }
    try {
      return conv(input).outputShape(input.prepend(1), weightShape(input)).dropFirst();
    } catch (IllegalArgumentException e) {
      throw named(e);
    }
  }

  /** {@code out.size() · (C / groups) · Πk}: every output cell is a dot product over its window. */
  @Override
  public long macs(Shape input) {
    long window = input.dim(0) / groups;
    for (int k : kernel) {
      window *= k;
    }
    return outputShape(input).size() * window;
  }

  @Override
  public List<ParamSpec> params(Shape input) {
    int fan = 1;
    for (int k : kernel) {
      fan *= k;
    }
    ParamSpec w = new ParamSpec("weights", weightShape(input), init, input.dim(0) / groups * fan,
        filters / groups * fan);
    return bias ? List.of(w, ParamSpec.constant("bias", Shape.of(filters), Initializer.ZEROS)) : List.of(w);
  }

  @Override
  public Tensor forward(Backend backend, Tensor src, Tensor[] params, LayerContext ctx) {
    Tensor dst = Tensor.zeros(batchOutput(src), src.dtype());
    backend.convolutionForward(conv(src.shape().dropFirst()), src, params[0], bias ? params[1] : null, dst);
    return dst;
  }

  @Override
  public Tensor backward(Backend backend, Tensor src, Tensor dst, Tensor diffDst, Tensor[] params,
      Tensor[] diffParams, LayerContext ctx) {
    ConvParams p = conv(src.shape().dropFirst());
    backend.convolutionBackwardWeights(p, src, diffDst, diffParams[0], bias ? diffParams[1] : null);
    if (!ctx.needDiffSrc()) {
      return null;
    }
    Tensor diffSrc = Tensor.zeros(src.shape(), src.dtype());
    backend.convolutionBackwardData(p, diffDst, params[0], diffSrc);
    return diffSrc;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Convolution c && name.equals(c.name) && filters == c.filters
        && Arrays.equals(kernel, c.kernel) && Arrays.equals(stride, c.stride) && Arrays.equals(padding, c.padding)
        && same == c.same && Arrays.equals(dilation, c.dilation) && groups == c.groups && bias == c.bias
        && inChannels == c.inChannels && init.equals(c.init);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(kernel);
  }

  @Override
  public String toString() {
    return "Convolution[" + name + ", " + filters + " filters, kernel " + Arrays.toString(kernel) + ", stride "
        + Arrays.toString(stride) + (same ? ", same" : ", padding " + Arrays.toString(padding)) + "]";
  }

  @Override
  public Optional<NetworkGraph.Op> lower(List<Shape> inputs, boolean inference) {
    return Optional.of(new NetworkGraph.Convolution(conv(inputs.get(0)), bias()));
  }
}
