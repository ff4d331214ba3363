package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * Fully connected layer: {@code dst[n, o] = bias[o] + Σ_k src[n, k] · weights[o, k]}, weights
 * {@code (O, K)}. A source of higher rank is read as {@code (N, K)} with K the size of one sample.
 */
final class ReferenceInnerProduct {
  private ReferenceInnerProduct() {}

  private static int[] dims(Tensor src, Tensor weights, Tensor dst) {
    int n = src.shape().dim(0);
    int k = src.shape().sampleSize();
    int o = weights.shape().dim(0);
    if (weights.shape().rank() != 2 || weights.shape().dim(1) != k) {
      throw new IllegalArgumentException(
          "inner product: weights " + weights.shape() + " do not fit source " + src.shape() + " (expected (O, " + k + "))");
    }
    if (!dst.shape().equals(Shape.of(n, o))) {
      throw new IllegalArgumentException("inner product: dst is " + dst.shape() + ", expected " + Shape.of(n, o));
    }
    return new int[] {n, k, o};
  }

  static void forward(Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    int[] d = dims(src, weights, dst);
    int n = d[0];
    int o = d[2];
    double[] y = new double[n * o];
    if (bias != null) {
      if (!bias.shape().equals(Shape.of(o))) {
        throw new IllegalArgumentException("inner product: bias is " + bias.shape() + ", expected " + Shape.of(o));
      }
      double[] b = bias.toDoubleArray();
      for (int i = 0; i < n; i++) {
        System.arraycopy(b, 0, y, i * o, o);
      }
    }
    Gemm.nt(n, o, d[1], src.toDoubleArray(), 0, weights.toDoubleArray(), 0, y, 0);
    dst.copyFrom(y);
  }

  static void backwardData(Tensor diffDst, Tensor weights, Tensor diffSrc) {
    int[] d = dims(diffSrc, weights, diffDst);
    double[] dx = new double[d[0] * d[1]];
    Gemm.nn(d[0], d[1], d[2], diffDst.toDoubleArray(), 0, weights.toDoubleArray(), 0, dx, 0);
    diffSrc.copyFrom(dx);
  }

  static void backwardWeights(Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    int[] d = dims(src, diffWeights, diffDst);
    int n = d[0];
    int o = d[2];
    double[] dy = diffDst.toDoubleArray();
    double[] dw = new double[o * d[1]];
    Gemm.tn(o, d[1], n, dy, 0, src.toDoubleArray(), 0, dw, 0);
    diffWeights.addFrom(dw);
    if (diffBias != null) {
      double[] db = new double[o];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < o; j++) {
          db[j] += dy[i * o + j];
        }
      }
      diffBias.addFrom(db);
    }
  }
}
