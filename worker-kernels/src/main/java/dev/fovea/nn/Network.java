package dev.fovea.nn;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A sequential network: layers applied in order to a batch, ending in class logits. Shapes are
 * inferred when it is built, and every parameter is a named slice ({@code layer.param}) of one flat
 * vector described by {@link #layout()}. The network holds no parameter values itself: they are
 * passed to each call, so one network serves any number of parameter vectors.
 */
public final class Network {
  private final Shape inputShape;
  private final List<Layer> layers;
  private final List<Shape> outputShapes;
  private final ParamLayout layout;
  private final List<List<ParamLayout.Slice>> layerSlices;

  private Network(Shape inputShape, List<Layer> layers) {
    this.inputShape = inputShape;
    this.layers = Collections.unmodifiableList(new ArrayList<>(layers));
    List<Shape> shapes = new ArrayList<>();
    List<List<ParamLayout.Slice>> slices = new ArrayList<>();
    ParamLayout.Builder lb = new ParamLayout.Builder();
    Set<String> names = new HashSet<>();
    Shape shape = inputShape;
    for (Layer layer : layers) {
      if (!names.add(layer.name())) {
        throw new IllegalArgumentException("duplicate layer name '" + layer.name() + "'");
      }
      List<ParamLayout.Slice> own = new ArrayList<>();
      for (Layer.ParamSpec spec : layer.params(shape)) {
        own.add(lb.add(layer.name() + "." + spec.name(), spec.shape(), spec.init(), spec.fanIn(), spec.fanOut()));
      }
      slices.add(own);
      shape = layer.outputShape(shape);
      shapes.add(shape);
    }
    if (shape.rank() != 1) {
      throw new IllegalArgumentException("the network must end in a flat (classes) output, got " + shape);
    }
    this.outputShapes = Collections.unmodifiableList(shapes);
    this.layerSlices = slices;
    this.layout = lb.build();
  }

  /** A network for input samples of shape {@code (C, H, W)} made of {@code layers} in order. */
  public static Network sequential(Shape inputShape, List<Layer> layers) {
    return new Network(inputShape, layers);
  }

  /** Shape of one input sample, {@code (C, H, W)}. */
  public Shape inputShape() {
    return inputShape;
  }

  public List<Layer> layers() {
    return layers;
  }

  public ParamLayout layout() {
    return layout;
  }

  /** Number of output classes (the size of the logits). */
  public int numClasses() {
    return outputShapes.get(outputShapes.size() - 1).dim(0);
  }

  private Tensor[] views(float[] values, int layer) {
    List<ParamLayout.Slice> own = layerSlices.get(layer);
    Tensor[] t = new Tensor[own.size()];
    for (int i = 0; i < t.length; i++) {
      t[i] = Tensor.wrap(values, own.get(i).offset(), own.get(i).shape());
    }
    return t;
  }

  private Tensor[] views(double[] values, int layer) {
    List<ParamLayout.Slice> own = layerSlices.get(layer);
    Tensor[] t = new Tensor[own.size()];
    for (int i = 0; i < t.length; i++) {
      t[i] = Tensor.wrap(values, own.get(i).offset(), own.get(i).shape());
    }
    return t;
  }

  private void checkParams(int length) {
    if (length != layout.size()) {
      throw new IllegalArgumentException(
          "parameter vector has " + length + " values, the network needs " + layout.size());
    }
  }

  private void checkInput(Tensor src) {
    if (!src.shape().dropFirst().equals(inputShape)) {
      throw new IllegalArgumentException("input batch " + src.shape() + " does not match the network input "
          + inputShape.prepend(src.shape().dim(0)));
    }
  }

  /** Logits {@code (N, classes)} for a batch {@code src (N, C, H, W)}, in evaluation mode. */
  public Tensor forward(Backend backend, float[] params, Tensor src) {
    checkParams(params.length);
    checkInput(src);
    Tensor x = src;
    for (int i = 0; i < layers.size(); i++) {
      x = layers.get(i).forward(backend, x, views(params, i), false);
    }
    return x;
  }

  /**
   * One training pass over a batch: overwrites {@code grads} with the gradient of the mean
   * softmax cross-entropy over the batch and returns the summed (not averaged) loss.
   *
   * @param src images {@code (N, C, H, W)}
   * @param labels N class indices
   */
  public double lossAndGradient(Backend backend, float[] params, float[] grads, Tensor src, int[] labels) {
    checkParams(params.length);
    checkParams(grads.length);
    java.util.Arrays.fill(grads, 0f);
    return lossAndGradient(backend, i -> views(params, i), i -> views(grads, i), src, labels);
  }

  /**
   * {@link #lossAndGradient(Backend, float[], float[], Tensor, int[])} in double: with a FLOAT64
   * {@code src} on the reference backend every value is a double, for gradient checks of whole
   * networks.
   */
  public double lossAndGradient(Backend backend, double[] params, double[] grads, Tensor src, int[] labels) {
    checkParams(params.length);
    checkParams(grads.length);
    java.util.Arrays.fill(grads, 0d);
    return lossAndGradient(backend, i -> views(params, i), i -> views(grads, i), src, labels);
  }

  private double lossAndGradient(Backend backend, java.util.function.IntFunction<Tensor[]> params,
      java.util.function.IntFunction<Tensor[]> grads, Tensor src, int[] labels) {
    checkInput(src);
    int n = src.shape().dim(0);
    Tensor[] acts = new Tensor[layers.size() + 1];
    acts[0] = src;
    for (int i = 0; i < layers.size(); i++) {
      acts[i + 1] = layers.get(i).forward(backend, acts[i], params.apply(i), true);
    }
    Tensor logits = acts[layers.size()];
    Tensor probs = Tensor.zeros(logits.shape(), logits.dtype());
    double loss = backend.softmaxCrossEntropyForward(logits, labels, probs);
    Tensor diff = Tensor.zeros(logits.shape(), logits.dtype());
    backend.softmaxCrossEntropyBackward(probs, labels, 1.0 / n, diff);
    for (int i = layers.size() - 1; i >= 0; i--) {
      diff = layers.get(i).backward(backend, acts[i], acts[i + 1], diff, params.apply(i), grads.apply(i), i > 0);
    }
    return loss;
  }

  /** A table of layers, types, output shapes and parameter counts, with the total. */
  public String summary() {
    StringBuilder b = new StringBuilder();
    String fmt = "%-14s %-12s %-18s %12s%n";
    b.append(String.format(fmt, "layer", "type", "output shape", "parameters"));
    b.append("-".repeat(59)).append('\n');
    b.append(String.format(fmt, "input", "input", inputShape, 0));
    for (int i = 0; i < layers.size(); i++) {
      long count = layerSlices.get(i).stream().mapToLong(ParamLayout.Slice::size).sum();
      b.append(String.format(fmt, layers.get(i).name(), layers.get(i).type(), outputShapes.get(i), count));
    }
    b.append("-".repeat(59)).append('\n');
    b.append(String.format("total parameters: %,d%n", layout.size()));
    return b.toString();
  }
}
