package dev.fovea.kernels.conformance;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The cases of the conformance suite: shapes from LeNet, VGG, ResNet and Inception, plus edge
 * cases (1×1 inputs, stride larger than the kernel, odd sizes, batch 1). Add a case here and every
 * backend is held to it.
 */
public final class ConformanceCases {
  private ConformanceCases() {}

  /** FLOAT32 uniform values in [-1, 1) from a seed. */
  static Tensor input(Shape shape, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] d = new float[shape.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) rng.nextDouble(-1, 1);
    }
    return Tensor.wrap(d, shape);
  }

  private static ConvParams conv(int[] stride, int[] pad, int[] dil, int groups) {
    return new ConvParams(stride, pad, pad, dil, groups);
  }

  private static ConvParams conv2(int stride, int pad, int dil, int groups) {
    return conv(new int[] {stride, stride}, new int[] {pad, pad}, new int[] {dil, dil}, groups);
  }

  /** Convolution forward, backward-data and backward-weights (with bias) on one geometry. */
  static OpCase convolution(String name, ConvParams p, Shape src, Shape weights, double tol) {
    return new OpCase("convolution", name, tol, b -> {
      Tensor x = input(src, 1);
      Tensor w = input(weights, 2);
      Tensor bias = input(Shape.of(weights.dim(0)), 3);
      Shape out = p.outputShape(src, weights);
      Tensor dst = Tensor.zeros(out);
      b.convolutionForward(p, x, w, bias, dst);
      Tensor dy = input(out, 4);
      Tensor dx = Tensor.zeros(src);
      b.convolutionBackwardData(p, dy, w, dx);
      Tensor dw = input(weights, 5); // backward-weights accumulates: start from non-zero values
      Tensor db = input(bias.shape(), 6);
      b.convolutionBackwardWeights(p, x, dy, dw, db);
      return List.of(dst, dx, dw, db);
    });
  }

  static OpCase pooling(String name, PoolParams p, Shape src) {
    return pooling(name, p, src, false);
  }

  /**
   * Pooling forward and backward; with {@code afterRelu} the source is clamped at 0 as after a
   * ReLU, so many windows hold ties (all zeros) and max pooling's first-maximum rule is exercised.
   */
  static OpCase pooling(String name, PoolParams p, Shape src, boolean afterRelu) {
    return new OpCase("pooling", name, 1e-6, b -> {
      Tensor x = input(src, 7);
      if (afterRelu) {
        float[] d = x.floatArray();
        for (int i = 0; i < d.length; i++) {
          d[i] = Math.max(0f, d[i]);
        }
      }
      Shape out = p.outputShape(src);
      Tensor dst = Tensor.zeros(out);
      b.poolingForward(p, x, dst);
      Tensor dx = Tensor.zeros(src);
      b.poolingBackward(p, x, input(out, 8), dx);
      return List.of(dst, dx);
    });
  }

  static OpCase eltwise(Activation f, Shape shape) {
    return new OpCase("eltwise", f.kind() + " alpha=" + f.alpha() + " " + shape, 1e-6, b -> {
      Tensor x = input(shape, 9);
      Tensor dst = Tensor.zeros(shape);
      b.eltwiseForward(f, x, dst);
      Tensor dx = Tensor.zeros(shape);
      b.eltwiseBackward(f, x, input(shape, 10), dx);
      return List.of(dst, dx);
    });
  }

  static OpCase innerProduct(String name, Shape src, int outputs, double tol) {
    return new OpCase("inner product", name, tol, b -> {
      Tensor x = input(src, 11);
      Tensor w = input(Shape.of(outputs, src.sampleSize()), 12);
      Tensor bias = input(Shape.of(outputs), 13);
      Tensor dst = Tensor.zeros(Shape.of(src.dim(0), outputs));
      b.innerProductForward(x, w, bias, dst);
      Tensor dy = input(dst.shape(), 14);
      Tensor dx = Tensor.zeros(src);
      b.innerProductBackwardData(dy, w, dx);
      Tensor dw = input(w.shape(), 15);
      Tensor db = input(bias.shape(), 16);
      b.innerProductBackwardWeights(x, dy, dw, db);
      return List.of(dst, dx, dw, db);
    });
  }

  static OpCase softmaxCrossEntropy(String name, int n, int classes, float scale) {
    return new OpCase("softmax cross-entropy", name, 1e-5, b -> {
      Tensor x = input(Shape.of(n, classes), 17);
      float[] logits = x.floatArray();
      for (int i = 0; i < logits.length; i++) {
        logits[i] *= scale;
      }
      int[] labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = (i * 7) % classes;
      }
      Tensor probs = Tensor.zeros(x.shape());
      double loss = b.softmaxCrossEntropyForward(x, labels, probs);
      Tensor dx = Tensor.zeros(x.shape());
      b.softmaxCrossEntropyBackward(probs, labels, 1.0 / n, dx);
      return List.of(Tensor.wrap(new float[] {(float) (loss / n)}, Shape.of(1)), probs, dx);
    });
  }

  /** Every case, in a stable order. */
  public static List<OpCase> all() {
    List<OpCase> c = new ArrayList<>();
    // Convolution: real networks
    c.add(convolution("LeNet conv1 5x5x20", conv2(1, 0, 1, 1), Shape.of(4, 1, 28, 28), Shape.of(20, 1, 5, 5), 1e-4));
    c.add(convolution("LeNet conv2 5x5x50", conv2(1, 0, 1, 1), Shape.of(4, 20, 12, 12), Shape.of(50, 20, 5, 5), 1e-4));
    c.add(convolution("VGG 3x3 pad 1", conv2(1, 1, 1, 1), Shape.of(2, 64, 14, 14), Shape.of(64, 64, 3, 3), 1e-4));
    c.add(convolution("ResNet stem 7x7 stride 2 pad 3", conv2(2, 3, 1, 1), Shape.of(2, 3, 32, 32),
        Shape.of(16, 3, 7, 7), 1e-4));
    c.add(convolution("ResNet 1x1 projection stride 2", conv2(2, 0, 1, 1), Shape.of(2, 32, 14, 14),
        Shape.of(64, 32, 1, 1), 1e-4));
    c.add(convolution("Inception 1x7 asymmetric", new ConvParams(new int[] {1, 1}, new int[] {0, 3},
        new int[] {0, 3}, new int[] {1, 1}, 1), Shape.of(2, 16, 9, 9), Shape.of(24, 16, 1, 7), 1e-4));
    c.add(convolution("depthwise 3x3", conv2(1, 1, 1, 16), Shape.of(2, 16, 10, 10), Shape.of(16, 1, 3, 3), 1e-4));
    c.add(convolution("grouped 3x3 groups 4", conv2(1, 1, 1, 4), Shape.of(2, 16, 8, 8), Shape.of(32, 4, 3, 3), 1e-4));
    c.add(convolution("dilated 3x3 dilation 2", conv2(1, 2, 2, 1), Shape.of(2, 8, 11, 11), Shape.of(8, 8, 3, 3), 1e-4));
    c.add(convolution("1d stride 2", conv(new int[] {2}, new int[] {1}, new int[] {1}, 1), Shape.of(2, 4, 17),
        Shape.of(6, 4, 3), 1e-4));
    c.add(convolution("3d 3x3x3 pad 1", conv(new int[] {1, 1, 1}, new int[] {1, 1, 1}, new int[] {1, 1, 1}, 1),
        Shape.of(1, 3, 6, 6, 6), Shape.of(4, 3, 3, 3, 3), 1e-4));
    c.add(convolution("TF SAME stride 2, padding only at the end", new ConvParams(new int[] {2, 2},
        new int[] {0, 0}, new int[] {1, 1}, new int[] {1, 1}, 1), Shape.of(2, 8, 10, 10), Shape.of(16, 8, 3, 3), 1e-4));
    c.add(convolution("3d grouped dilated, asymmetric padding", new ConvParams(new int[] {1, 2, 1},
        new int[] {2, 0, 1}, new int[] {0, 1, 2}, new int[] {2, 1, 2}, 2), Shape.of(2, 4, 7, 8, 6),
        Shape.of(6, 2, 2, 3, 2), 1e-4));
    c.add(convolution("1d grouped dilated", conv(new int[] {1}, new int[] {2}, new int[] {2}, 3),
        Shape.of(3, 6, 20), Shape.of(9, 2, 3), 1e-4));
    // Convolution: the benchmark's network layers cheap enough for the reference, at batch 1
    for (NetworkShapes.ConvLayer layer : NetworkShapes.CONVOLUTIONS) {
      if (layer.flops(1) <= 1.2e8) {
        c.add(convolution(layer + ", batch 1", layer.params(), layer.src(1), layer.weights(), 1e-4));
      }
    }
    // Convolution: edge cases
    c.add(convolution("1x1 input, batch 1", conv2(1, 0, 1, 1), Shape.of(1, 5, 1, 1), Shape.of(3, 5, 1, 1), 1e-5));
    c.add(convolution("stride 3 larger than kernel 2", conv2(3, 0, 1, 1), Shape.of(1, 2, 11, 10),
        Shape.of(3, 2, 2, 2), 1e-5));
    c.add(convolution("odd sizes 13x7", conv2(2, 1, 1, 1), Shape.of(3, 3, 13, 7), Shape.of(5, 3, 3, 3), 1e-5));
    // Pooling
    c.add(pooling("LeNet max 2x2", PoolParams.max2d(2), Shape.of(4, 20, 24, 24)));
    c.add(pooling("ResNet max 3x3 stride 2 pad 1", new PoolParams(PoolParams.Kind.MAX, new int[] {3, 3},
        new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, false), Shape.of(2, 8, 16, 16)));
    c.add(pooling("GoogLeNet avg 3x3 stride 1 pad 1", new PoolParams(PoolParams.Kind.AVG, new int[] {3, 3},
        new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, false), Shape.of(2, 8, 7, 7)));
    c.add(pooling("avg 2x2 counting padding", new PoolParams(PoolParams.Kind.AVG, new int[] {2, 2},
        new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, true), Shape.of(1, 3, 5, 5)));
    c.add(pooling("avg 3x3 stride 2 asymmetric padding", new PoolParams(PoolParams.Kind.AVG, new int[] {3, 3},
        new int[] {2, 2}, new int[] {0, 1}, new int[] {2, 1}, false), Shape.of(2, 4, 9, 8)));
    c.add(pooling("max 3x3 stride 2 asymmetric padding", new PoolParams(PoolParams.Kind.MAX, new int[] {3, 3},
        new int[] {2, 2}, new int[] {0, 1}, new int[] {2, 1}, false), Shape.of(2, 4, 9, 8)));
    c.add(pooling("max 2x2 after ReLU (ties)", PoolParams.max2d(2), Shape.of(2, 8, 12, 12), true));
    c.add(pooling("max 3x3 stride 2 pad 1 after ReLU (ties)", new PoolParams(PoolParams.Kind.MAX, new int[] {3, 3},
        new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, false), Shape.of(2, 8, 13, 13), true));
    c.add(pooling("max 1d 3 stride 2", new PoolParams(PoolParams.Kind.MAX, new int[] {3}, new int[] {2},
        new int[] {0}, new int[] {0}, false), Shape.of(2, 3, 15)));
    c.add(pooling("max 3d 2x2x2", new PoolParams(PoolParams.Kind.MAX, new int[] {2, 2, 2}, new int[] {2, 2, 2},
        new int[] {0, 0, 0}, new int[] {0, 0, 0}, false), Shape.of(1, 2, 4, 6, 6)));
    // Element-wise
    for (Activation.Kind k : Activation.Kind.values()) {
      c.add(eltwise(new Activation(k, 0, 0), Shape.of(4, 500)));
    }
    c.add(eltwise(new Activation(Activation.Kind.RELU, 0.01, 0), Shape.of(2, 8, 5, 5)));
    // Inner product
    c.add(innerProduct("LeNet fc1 800 to 500", Shape.of(8, 50, 4, 4), 500, 1e-4));
    c.add(innerProduct("LeNet fc2 500 to 10", Shape.of(8, 500), 10, 1e-4));
    c.add(innerProduct("batch 1, 1 output", Shape.of(1, 7), 1, 1e-5));
    // Softmax cross-entropy
    c.add(softmaxCrossEntropy("10 classes", 8, 10, 3f));
    c.add(softmaxCrossEntropy("1000 classes", 4, 1000, 3f));
    c.add(softmaxCrossEntropy("logits of 1e4", 4, 10, 1e4f));
    return c;
  }
}
