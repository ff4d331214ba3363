package dev.fovea.kernels.conformance;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.DropoutParams;
import dev.fovea.kernels.LrnParams;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResamplingParams;
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

  /** Adaptive pooling forward and backward; {@code uniform} in the name when every output size divides its input. */
  static OpCase adaptivePooling(String name, PoolParams.Kind kind, Shape src, Shape dst) {
    return new OpCase("adaptive pooling", kind + " " + name, 1e-6, b -> {
      Tensor x = input(src, 40);
      Tensor y = Tensor.zeros(dst);
      b.adaptivePoolingForward(kind, x, y);
      Tensor dx = Tensor.zeros(src);
      b.adaptivePoolingBackward(kind, x, input(dst, 41), dx);
      return List.of(y, dx);
    });
  }

  static OpCase eltwise(Activation f, Shape shape) {
    return eltwise(f, shape, 1);
  }

  /** An activation on inputs uniform in [-scale, scale). */
  static OpCase eltwise(Activation f, Shape shape, float scale) {
    return new OpCase("eltwise", f.kind() + " alpha=" + f.alpha() + " beta=" + f.beta() + " " + shape
        + (scale != 1 ? " inputs x" + scale : ""), 1e-6, b -> {
      Tensor x = scaled(input(shape, 9), scale);
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

  private static Tensor scaled(Tensor t, float scale) {
    float[] d = t.floatArray();
    for (int i = 0; i < d.length; i++) {
      d[i] *= scale;
    }
    return t;
  }

  private static Tensor asTensor(int[] values) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = values[i];
    }
    return Tensor.wrap(f, Shape.of(f.length));
  }

  private static Tensor scalar(double v) {
    return Tensor.wrap(new float[] {(float) v}, Shape.of(1));
  }

  private static int[] labels(int n, int classes) {
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (i * 7 + 3) % classes;
    }
    return labels;
  }

  /** Transposed convolution forward, backward-data and backward-weights (with bias). */
  static OpCase deconvolution(String name, DeconvParams p, Shape src, Shape weights, double tol) {
    return new OpCase("deconvolution", name, tol, b -> {
      Tensor x = input(src, 21);
      Tensor w = input(weights, 22);
      Shape out = p.outputShape(src, weights);
      Tensor bias = input(Shape.of(out.dim(1)), 23);
      Tensor dst = Tensor.zeros(out);
      b.deconvolutionForward(p, x, w, bias, dst);
      Tensor dy = input(out, 24);
      Tensor dx = Tensor.zeros(src);
      b.deconvolutionBackwardData(p, dy, w, dx);
      Tensor dw = input(weights, 25);
      Tensor db = input(bias.shape(), 26);
      b.deconvolutionBackwardWeights(p, x, dy, dw, db);
      return List.of(dst, dx, dw, db);
    });
  }

  /** Max pooling with indices, then max-unpooling of other values at those indices, and its gradient. */
  static OpCase maxUnpooling(String name, PoolParams p, Shape src) {
    return new OpCase("max pooling with indices + max unpooling", name, 1e-6, b -> {
      Tensor x = input(src, 27);
      Shape out = p.outputShape(src);
      Tensor pooled = Tensor.zeros(out);
      int[] indices = new int[pooled.size()];
      b.poolingForwardWithIndices(p, x, pooled, indices);
      Tensor unpooled = Tensor.zeros(src);
      b.maxUnpoolingForward(input(out, 28), indices, unpooled);
      Tensor diffSrc = Tensor.zeros(out);
      b.maxUnpoolingBackward(indices, input(src, 29), diffSrc);
      return List.of(pooled, asTensor(indices), unpooled, diffSrc);
    });
  }

  static OpCase resampling(String name, ResamplingParams p, Shape src, Shape dst) {
    return new OpCase("resampling", name, 1e-6, b -> {
      Tensor y = Tensor.zeros(dst);
      b.resamplingForward(p, input(src, 30), y);
      Tensor dx = Tensor.zeros(src);
      b.resamplingBackward(p, input(dst, 31), dx);
      return List.of(y, dx);
    });
  }

  static OpCase dropout(String name, DropoutParams p, boolean training, Shape shape) {
    return new OpCase("dropout", name, 1e-6, b -> {
      Tensor mask = Tensor.zeros(shape);
      Tensor dst = Tensor.zeros(shape);
      b.dropoutForward(p, training, 1234, input(shape, 32), mask, dst);
      Tensor dx = Tensor.zeros(shape);
      b.dropoutBackward(mask, input(shape, 33), dx);
      return List.of(mask, dst, dx);
    });
  }

  static OpCase batchNormalization(String name, boolean training, Shape shape) {
    return new OpCase("batch normalization", name, 1e-4, b -> {
      BatchNormParams p = BatchNormParams.DEFAULTS;
      Shape ch = Shape.of(shape.dim(1));
      Tensor x = input(shape, 34);
      Tensor gamma = input(ch, 35);
      Tensor beta = input(ch, 36);
      Tensor rm = input(ch, 37);
      Tensor rv = scaled(input(ch, 38), 0.5f);
      for (int i = 0; i < rv.size(); i++) {
        rv.set(i, 1 + rv.get(i));
      }
      Tensor mean = Tensor.zeros(ch);
      Tensor inv = Tensor.zeros(ch);
      Tensor dst = Tensor.zeros(shape);
      b.batchNormalizationForward(p, training, x, gamma, beta, rm, rv, mean, inv, dst);
      Tensor dx = Tensor.zeros(shape);
      Tensor dg = input(ch, 39);
      Tensor dbeta = input(ch, 40);
      b.batchNormalizationBackward(p, training, x, gamma, mean, inv, input(shape, 41), dx, dg, dbeta);
      return List.of(dst, rm, rv, mean, inv, dx, dg, dbeta);
    });
  }

  static OpCase lrn(String name, LrnParams p, Shape shape) {
    return new OpCase("lrn", name, 1e-5, b -> {
      Tensor x = scaled(input(shape, 42), 3f);
      Tensor dst = Tensor.zeros(shape);
      b.lrnForward(p, x, dst);
      Tensor dx = Tensor.zeros(shape);
      b.lrnBackward(p, x, input(shape, 43), dx);
      return List.of(dst, dx);
    });
  }

  static OpCase concat(String name, int axis, Shape... srcs) {
    return new OpCase("concat", name, 1e-6, b -> {
      Tensor[] xs = new Tensor[srcs.length];
      Tensor[] dxs = new Tensor[srcs.length];
      int[] d = srcs[0].dims();
      d[axis] = 0;
      for (int i = 0; i < srcs.length; i++) {
        xs[i] = input(srcs[i], 44 + i);
        dxs[i] = Tensor.zeros(srcs[i]);
        d[axis] += srcs[i].dim(axis);
      }
      Tensor dst = Tensor.zeros(Shape.of(d));
      b.concatForward(axis, xs, dst);
      b.concatBackward(axis, input(dst.shape(), 50), dxs);
      List<Tensor> out = new ArrayList<>(List.of(dst));
      out.addAll(List.of(dxs));
      return out;
    });
  }

  static OpCase sum(String name, double[] scales, Shape shape) {
    return new OpCase("sum", name, 1e-6, b -> {
      Tensor[] xs = new Tensor[scales.length];
      for (int i = 0; i < xs.length; i++) {
        xs[i] = input(shape, 51 + i);
      }
      Tensor dst = Tensor.zeros(shape);
      b.sumForward(scales, xs, dst);
      return List.of(dst);
    });
  }

  static OpCase padding(String name, int[] begin, int[] end, Shape src) {
    return new OpCase("padding", name, 0, b -> {
      int[] d = src.dims();
      for (int i = 0; i < begin.length; i++) {
        d[2 + i] += begin[i] + end[i];
      }
      Tensor dst = Tensor.zeros(Shape.of(d));
      b.paddingForward(begin, end, input(src, 55), dst);
      Tensor dx = Tensor.zeros(src);
      b.paddingBackward(begin, end, input(dst.shape(), 56), dx);
      return List.of(dst, dx);
    });
  }

  static OpCase prelu(String name, Shape src, Shape slope) {
    return new OpCase("prelu", name, 1e-5, b -> {
      Tensor x = input(src, 57);
      Tensor a = scaled(input(slope, 58), 0.3f);
      Tensor dst = Tensor.zeros(src);
      b.preluForward(x, a, dst);
      Tensor dx = Tensor.zeros(src);
      Tensor da = input(slope, 59);
      b.preluBackward(x, a, input(src, 60), dx, da);
      return List.of(dst, dx, da);
    });
  }

  static OpCase rrelu(String name, Shape src) {
    return new OpCase("rrelu", name, 1e-6, b -> {
      Tensor x = input(src, 61);
      Tensor slope = Tensor.zeros(src);
      Tensor dst = Tensor.zeros(src);
      b.rreluForward(1.0 / 8, 1.0 / 3, 99, x, slope, dst);
      Tensor dx = Tensor.zeros(src);
      b.preluBackward(x, slope, input(src, 62), dx, null);
      return List.of(slope, dst, dx);
    });
  }

  static OpCase softmax(String name, boolean log, int n, int classes, float scale) {
    return new OpCase(log ? "log-softmax" : "softmax", name, 1e-5, b -> {
      Tensor x = scaled(input(Shape.of(n, classes), 63), scale);
      Tensor dst = Tensor.zeros(x.shape());
      b.softmaxForward(log, x, dst);
      Tensor dx = Tensor.zeros(x.shape());
      b.softmaxBackward(log, dst, input(x.shape(), 64), dx);
      return List.of(dst, dx);
    });
  }

  static OpCase smoothedCrossEntropy(String name, int n, int classes, double smoothing, float scale) {
    return new OpCase("softmax cross-entropy, label smoothing", name, 1e-5, b -> {
      Tensor x = scaled(input(Shape.of(n, classes), 65), scale);
      int[] labels = labels(n, classes);
      Tensor probs = Tensor.zeros(x.shape());
      double loss = b.softmaxCrossEntropyForward(x, labels, smoothing, probs);
      Tensor dx = Tensor.zeros(x.shape());
      b.softmaxCrossEntropyBackward(probs, labels, smoothing, 1.0 / n, dx);
      return List.of(scalar(loss / n), probs, dx);
    });
  }

  static OpCase sigmoidCrossEntropy(String name, Shape shape, float scale) {
    return new OpCase("sigmoid cross-entropy", name, 1e-5, b -> {
      Tensor x = scaled(input(shape, 66), scale);
      Tensor t = input(shape, 67);
      for (int i = 0; i < t.size(); i++) {
        t.set(i, t.get(i) > 0 ? 1 : 0);
      }
      Tensor dst = Tensor.zeros(shape);
      double loss = b.sigmoidCrossEntropyForward(x, t, dst);
      Tensor dx = Tensor.zeros(shape);
      b.sigmoidCrossEntropyBackward(dst, t, 1.0 / shape.dim(0), dx);
      return List.of(scalar(loss / shape.dim(0)), dst, dx);
    });
  }

  static OpCase squaredError(String name, Shape shape) {
    return new OpCase("squared error", name, 1e-5, b -> {
      Tensor x = input(shape, 68);
      Tensor t = input(shape, 69);
      double loss = b.squaredErrorForward(x, t);
      Tensor dx = Tensor.zeros(shape);
      b.squaredErrorBackward(x, t, 1.0 / shape.size(), dx);
      return List.of(scalar(loss / shape.size()), dx);
    });
  }

  static OpCase absoluteError(String name, Shape shape) {
    return new OpCase("absolute error", name, 1e-5, b -> {
      Tensor x = input(shape, 71);
      Tensor t = input(shape, 72);
      double loss = b.absoluteErrorForward(x, t);
      Tensor dx = Tensor.zeros(shape);
      b.absoluteErrorBackward(x, t, 1.0 / shape.size(), dx);
      return List.of(scalar(loss / shape.size()), dx);
    });
  }

  static OpCase nll(String name, int n, int classes) {
    return new OpCase("nll", name, 1e-5, b -> {
      Tensor logp = scaled(input(Shape.of(n, classes), 70), 5f);
      int[] labels = labels(n, classes);
      double loss = b.nllForward(logp, labels);
      Tensor dx = Tensor.zeros(logp.shape());
      b.nllBackward(labels, 1.0 / n, dx);
      return List.of(scalar(loss / n), dx);
    });
  }

  private static DeconvParams deconv2(int stride, int pad, int outPad, int dil, int groups) {
    return new DeconvParams(conv2(stride, pad, dil, groups), new int[] {outPad, outPad});
  }

  private static PoolParams pool(PoolParams.Kind kind, int k, int s, int pad, int rank) {
    int[] kk = new int[rank];
    int[] ss = new int[rank];
    int[] pp = new int[rank];
    java.util.Arrays.fill(kk, k);
    java.util.Arrays.fill(ss, s);
    java.util.Arrays.fill(pp, pad);
    return new PoolParams(kind, kk, ss, pp, pp, false);
  }

  /** The cases of the ops added for the complete toolbox (issue 3). */
  static List<OpCase> toolbox() {
    List<OpCase> c = new ArrayList<>();
    // Transposed convolution
    c.add(deconvolution("FCN 2x upsampling 4x4 stride 2 pad 1", deconv2(2, 1, 0, 1, 1), Shape.of(2, 16, 7, 7),
        Shape.of(16, 8, 4, 4), 1e-4));
    c.add(deconvolution("DCGAN 5x5 stride 2 pad 2 output padding 1", deconv2(2, 2, 1, 1, 1), Shape.of(2, 32, 4, 4),
        Shape.of(32, 16, 5, 5), 1e-4));
    c.add(deconvolution("U-Net 2x2 stride 2", deconv2(2, 0, 0, 1, 1), Shape.of(1, 32, 6, 6), Shape.of(32, 16, 2, 2),
        1e-4));
    c.add(deconvolution("grouped 3x3 groups 4 dilation 2", deconv2(1, 2, 0, 2, 4), Shape.of(2, 16, 5, 5),
        Shape.of(16, 3, 3, 3), 1e-4));
    c.add(deconvolution("depthwise 4x4 stride 2", deconv2(2, 1, 0, 1, 8), Shape.of(1, 8, 5, 5),
        Shape.of(8, 1, 4, 4), 1e-4));
    c.add(deconvolution("1d stride 3 output padding 2", new DeconvParams(conv(new int[] {3}, new int[] {1},
        new int[] {1}, 1), new int[] {2}), Shape.of(2, 4, 9), Shape.of(4, 6, 5), 1e-4));
    c.add(deconvolution("3d 2x2x2 stride 2", new DeconvParams(conv(new int[] {2, 2, 2}, new int[] {0, 0, 0},
        new int[] {1, 1, 1}, 1), new int[] {0, 0, 0}), Shape.of(1, 4, 3, 3, 3), Shape.of(4, 2, 2, 2, 2), 1e-4));
    c.add(deconvolution("1x1 input, batch 1", deconv2(1, 0, 0, 1, 1), Shape.of(1, 5, 1, 1), Shape.of(5, 3, 3, 3),
        1e-5));
    // Global pooling
    c.add(pooling("ResNet-50 global average 7x7", PoolParams.global(PoolParams.Kind.AVG, Shape.of(2, 64, 7, 7)),
        Shape.of(2, 64, 7, 7)));
    c.add(pooling("global max 5x5", PoolParams.global(PoolParams.Kind.MAX, Shape.of(2, 32, 5, 5)),
        Shape.of(2, 32, 5, 5)));
    c.add(pooling("global average 1d", PoolParams.global(PoolParams.Kind.AVG, Shape.of(2, 8, 13)),
        Shape.of(2, 8, 13)));
    c.add(pooling("global max 3d", PoolParams.global(PoolParams.Kind.MAX, Shape.of(1, 4, 3, 4, 5)),
        Shape.of(1, 4, 3, 4, 5)));
    c.add(pooling("TensorFlow same max 3x3 stride 2 on 8x8", PoolParams.same(PoolParams.Kind.MAX, new int[] {3, 3},
        new int[] {2, 2}, new int[] {8, 8}), Shape.of(2, 4, 8, 8)));
    // Max pooling with indices and max-unpooling
    c.add(maxUnpooling("SegNet 2x2 stride 2", PoolParams.max2d(2), Shape.of(2, 16, 8, 8)));
    c.add(maxUnpooling("odd input 2x2 stride 2", PoolParams.max2d(2), Shape.of(1, 3, 5, 7)));
    c.add(maxUnpooling("1d 3 stride 3", pool(PoolParams.Kind.MAX, 3, 3, 0, 1), Shape.of(2, 4, 12)));
    c.add(maxUnpooling("3d 2x2x2", pool(PoolParams.Kind.MAX, 2, 2, 0, 3), Shape.of(1, 2, 4, 4, 6)));
    // Resampling
    c.add(resampling("nearest 2x 7x7", ResamplingParams.NEAREST, Shape.of(2, 8, 7, 7), Shape.of(2, 8, 14, 14)));
    c.add(resampling("nearest odd 5x3 to 7x8", ResamplingParams.NEAREST, Shape.of(1, 4, 5, 3), Shape.of(1, 4, 7, 8)));
    c.add(resampling("nearest 3x by 2x, FPN-style", ResamplingParams.NEAREST, Shape.of(2, 8, 5, 6),
        Shape.of(2, 8, 15, 12)));
    ResamplingParams nails = new ResamplingParams(ResamplingParams.Kind.BED_OF_NAILS, false);
    c.add(resampling("bed of nails 2x, SegNet-style 7x7", nails, Shape.of(2, 8, 7, 7), Shape.of(2, 8, 14, 14)));
    c.add(resampling("bed of nails 3x by 2x", nails, Shape.of(1, 4, 5, 6), Shape.of(1, 4, 15, 12)));
    for (boolean align : new boolean[] {false, true}) {
      ResamplingParams p = new ResamplingParams(ResamplingParams.Kind.BILINEAR, align);
      c.add(resampling("bilinear 2x 7x7 alignCorners=" + align, p, Shape.of(2, 8, 7, 7), Shape.of(2, 8, 14, 14)));
      c.add(resampling("bilinear 5x3 to 7x8 alignCorners=" + align, p, Shape.of(1, 4, 5, 3), Shape.of(1, 4, 7, 8)));
      c.add(resampling("bilinear downsample 9x9 to 4x4 alignCorners=" + align, p, Shape.of(1, 2, 9, 9),
          Shape.of(1, 2, 4, 4)));
      c.add(resampling("bilinear 1x1 to 3x3 alignCorners=" + align, p, Shape.of(1, 2, 1, 1), Shape.of(1, 2, 3, 3)));
    }
    // Dropout
    c.add(dropout("AlexNet fc 0.5", new DropoutParams(0.5, false), true, Shape.of(4, 512)));
    c.add(dropout("spatial 0.2", new DropoutParams(0.2, true), true, Shape.of(2, 16, 7, 7)));
    c.add(dropout("evaluation is identity", new DropoutParams(0.5, false), false, Shape.of(4, 64)));
    c.add(dropout("rate 0", new DropoutParams(0, false), true, Shape.of(3, 10)));
    // Batch normalisation
    c.add(batchNormalization("ResNet 64 channels, training", true, Shape.of(4, 64, 8, 8)));
    c.add(batchNormalization("ResNet 64 channels, evaluation", false, Shape.of(4, 64, 8, 8)));
    c.add(batchNormalization("dense 100 features, training", true, Shape.of(8, 100)));
    c.add(batchNormalization("batch 1, 3d, training", true, Shape.of(1, 4, 2, 3, 3)));
    c.add(batchNormalization("ResNet-50 res4 256 channels 14x14, training", true, Shape.of(2, 256, 14, 14)));
    c.add(batchNormalization("ResNet-50 res4 256 channels 14x14, evaluation", false, Shape.of(2, 256, 14, 14)));
    // Local response normalisation
    c.add(lrn("AlexNet size 5, k 2", new LrnParams(5, 1e-4 * 5, 0.75, 2), Shape.of(2, 32, 7, 7)));
    c.add(lrn("GoogLeNet size 5", LrnParams.of(5), Shape.of(2, 16, 7, 7)));
    c.add(lrn("size 3, k 1, strong alpha", new LrnParams(3, 0.5, 0.75, 1), Shape.of(2, 8, 5, 5)));
    c.add(lrn("size 4 (asymmetric window), strong alpha", new LrnParams(4, 1, 0.75, 1), Shape.of(2, 6, 3, 3)));
    // Concatenation, sum, padding
    c.add(concat("Inception 4 branches", 1, Shape.of(2, 16, 7, 7), Shape.of(2, 32, 7, 7), Shape.of(2, 8, 7, 7),
        Shape.of(2, 8, 7, 7)));
    c.add(concat("dense features axis 1", 1, Shape.of(4, 10), Shape.of(4, 3)));
    c.add(concat("width axis 3", 3, Shape.of(1, 2, 3, 4), Shape.of(1, 2, 3, 1)));
    c.add(sum("ResNet shortcut", new double[] {1, 1}, Shape.of(2, 64, 8, 8)));
    c.add(sum("three scaled sources", new double[] {0.5, -1, 2}, Shape.of(2, 3, 5, 5)));
    c.add(padding("ResNet ZeroPadding2D 3", new int[] {3, 3}, new int[] {3, 3}, Shape.of(2, 3, 16, 16)));
    c.add(padding("asymmetric 0/1 (TensorFlow same)", new int[] {0, 0}, new int[] {1, 1}, Shape.of(1, 8, 7, 7)));
    c.add(padding("1d", new int[] {1}, new int[] {2}, Shape.of(2, 3, 5)));
    c.add(padding("3d", new int[] {1, 0, 2}, new int[] {0, 1, 1}, Shape.of(1, 2, 3, 3, 3)));
    // Parametric and randomised ReLU
    c.add(prelu("per channel 16", Shape.of(2, 16, 8, 8), Shape.of(16)));
    c.add(prelu("shared", Shape.of(4, 500), Shape.of(1)));
    c.add(prelu("per element", Shape.of(2, 3, 4), Shape.of(2, 3, 4)));
    c.add(rrelu("training 4x500", Shape.of(4, 500)));
    // Softmax and losses
    for (boolean log : new boolean[] {false, true}) {
      c.add(softmax("10 classes", log, 8, 10, 3f));
      c.add(softmax("1000 classes", log, 4, 1000, 3f));
      c.add(softmax("logits of 1e4", log, 4, 10, 1e4f));
    }
    c.add(smoothedCrossEntropy("10 classes, 0.1", 8, 10, 0.1, 3f));
    c.add(smoothedCrossEntropy("1000 classes, 0.1", 4, 1000, 0.1, 3f));
    c.add(smoothedCrossEntropy("logits of 1e4, 0.2", 4, 10, 0.2, 1e4f));
    c.add(sigmoidCrossEntropy("multi-label 20", Shape.of(8, 20), 3f));
    c.add(sigmoidCrossEntropy("logits of 1e4", Shape.of(2, 5), 1e4f));
    c.add(squaredError("8x10", Shape.of(8, 10)));
    c.add(squaredError("dense map 2x3x4x4", Shape.of(2, 3, 4, 4)));
    c.add(absoluteError("8x10", Shape.of(8, 10)));
    c.add(absoluteError("image 2x1x28x28", Shape.of(2, 1, 28, 28)));
    c.add(nll("10 classes", 8, 10));
    return c;
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
    // Convolution: every layer of the benchmark shape list, at spatial size <= 10 and <= 16 channels
    for (ConvolutionShapes s : ConvolutionShapes.all()) {
      ConvolutionShapes r = s.reduced(10, 16);
      c.add(convolution(s.name() + " (reduced to " + r.src(1) + ")", r.params(), r.src(1), r.weights(), 1e-4));
    }
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
    // Adaptive pooling: torchvision's AlexNet 6x6 and VGG 7x7 heads at other input sizes
    for (PoolParams.Kind kind : PoolParams.Kind.values()) {
      c.add(adaptivePooling("uniform, VGG at 448: 14x14 to 7x7", kind, Shape.of(2, 16, 14, 14), Shape.of(2, 16, 7, 7)));
      c.add(adaptivePooling("AlexNet at 256: 7x7 to 6x6", kind, Shape.of(2, 16, 7, 7), Shape.of(2, 16, 6, 6)));
      c.add(adaptivePooling("14x14 to 4x4", kind, Shape.of(2, 8, 14, 14), Shape.of(2, 8, 4, 4)));
      c.add(adaptivePooling("1d 10 to 3", kind, Shape.of(2, 4, 10), Shape.of(2, 4, 3)));
    }
    // Pooling across channels (ChannelPooling's view (N, 1, C, spatial...), window (k, 1, ...))
    c.add(pooling("maxout over channels k=2, rotated-digit maps", new PoolParams(PoolParams.Kind.MAX,
        new int[] {2, 1, 1}, new int[] {2, 1, 1}, new int[3], new int[3], false), Shape.of(2, 1, 16, 7, 7)));
    c.add(pooling("average over channels k=4", new PoolParams(PoolParams.Kind.AVG, new int[] {4, 1, 1},
        new int[] {4, 1, 1}, new int[3], new int[3], false), Shape.of(2, 1, 16, 5, 5)));
    c.add(pooling("maxout over dense units k=5", new PoolParams(PoolParams.Kind.MAX, new int[] {5}, new int[] {5},
        new int[1], new int[1], false), Shape.of(4, 1, 500)));
    // Element-wise
    for (Activation.Kind k : Activation.Kind.values()) {
      c.add(eltwise(Activation.of(k), Shape.of(4, 500)));
      c.add(eltwise(Activation.of(k), Shape.of(2, 3, 5, 5), 8f));
    }
    c.add(eltwise(new Activation(Activation.Kind.ELU, 0.5, 0), Shape.of(2, 8, 5, 5), 4f));
    c.add(eltwise(new Activation(Activation.Kind.SWISH, 1.7, 0), Shape.of(2, 8, 5, 5), 4f));
    c.add(eltwise(new Activation(Activation.Kind.RELU, 0.01, 0), Shape.of(2, 8, 5, 5)));
    c.add(eltwise(Activation.kerasRelu(0.2, 6.0, 0.5), Shape.of(2, 8, 5, 5), 8f));
    c.add(eltwise(Activation.kerasRelu(0, 1.0, -0.5), Shape.of(4, 500), 2f));
    // Inner product
    c.add(innerProduct("LeNet fc1 800 to 500", Shape.of(8, 50, 4, 4), 500, 1e-4));
    c.add(innerProduct("LeNet fc2 500 to 10", Shape.of(8, 500), 10, 1e-4));
    c.add(innerProduct("batch 1, 1 output", Shape.of(1, 7), 1, 1e-5));
    // Softmax cross-entropy
    c.add(softmaxCrossEntropy("10 classes", 8, 10, 3f));
    c.add(softmaxCrossEntropy("1000 classes", 4, 1000, 3f));
    c.add(softmaxCrossEntropy("logits of 1e4", 4, 10, 1e4f));
    c.addAll(toolbox());
    return c;
  }
}
