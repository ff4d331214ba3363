package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * Batch normalisation per channel of {@code src (N, C, ...)}, m = N · (spatial size) values per
 * channel:
 *
 * <pre>
 *   training:   μ = mean(src[:, c]),  σ² = mean((src[:, c] - μ)²)   (biased)
 *               running_mean ← (1 - momentum) · running_mean + momentum · μ
 *               running_var  ← (1 - momentum) · running_var  + momentum · σ² · m / (m - 1)
 *   evaluation: μ = running_mean,  σ² = running_var
 *   dst = gamma · (src - μ) · invStd + beta,   invStd = 1 / sqrt(σ² + epsilon)
 * </pre>
 *
 * Backward in training, with {@code x̂ = (src - μ) · invStd} and sums over the m values of a
 * channel: {@code diffGamma += Σ diffDst · x̂}, {@code diffBeta += Σ diffDst}, {@code diffSrc =
 * gamma · invStd / m · (m · diffDst - Σ diffDst - x̂ · Σ diffDst · x̂)}. At evaluation μ and
 * invStd are constants and {@code diffSrc = gamma · invStd · diffDst}. A null gamma is 1 and a
 * null beta 0 (Keras's {@code scale=False}, {@code center=False}).
 */
final class ReferenceBatchNormalization {
  private ReferenceBatchNormalization() {}

  private static final String OP = "batch normalization";

  static void forward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor beta,
      Tensor runningMean, Tensor runningVariance, Tensor saveMean, Tensor saveInvStd, Tensor dst) {
    Checks.rankAtLeast(OP, "source", src, 2);
    int n = src.shape().dim(0);
    int c = src.shape().dim(1);
    int inner = Checks.inner(src.shape());
    int m = n * inner;
    Shape ch = Shape.of(c);
    Checks.shape(OP, "dst", dst, src.shape());
    Checks.shape(OP, "runningMean", runningMean, ch);
    Checks.shape(OP, "runningVariance", runningVariance, ch);
    Checks.shape(OP, "saveMean", saveMean, ch);
    Checks.shape(OP, "saveInvStd", saveInvStd, ch);
    if (gamma != null) {
      Checks.shape(OP, "gamma", gamma, ch);
    }
    if (beta != null) {
      Checks.shape(OP, "beta", beta, ch);
    }
    if (training && m < 2) {
      throw new IllegalArgumentException(OP + ": training needs more than 1 value per channel, source " + src.shape());
    }
    double[] x = src.toDoubleArray();
    double[] mean = new double[c];
    double[] var = new double[c];
    if (training) {
      for (int i = 0; i < x.length; i++) {
        mean[(i / inner) % c] += x[i];
      }
      for (int k = 0; k < c; k++) {
        mean[k] /= m;
      }
      for (int i = 0; i < x.length; i++) {
        double d = x[i] - mean[(i / inner) % c];
        var[(i / inner) % c] += d * d;
      }
      for (int k = 0; k < c; k++) {
        var[k] /= m;
      }
      p.updateRunning(runningMean, runningVariance, mean, var, m);
    } else {
      mean = runningMean.toDoubleArray();
      var = runningVariance.toDoubleArray();
    }
    double[] inv = p.inverseStd(var);
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      int k = (i / inner) % c;
      double g = gamma == null ? 1 : gamma.get(k);
      double b = beta == null ? 0 : beta.get(k);
      y[i] = g * (x[i] - mean[k]) * inv[k] + b;
    }
    saveMean.copyFrom(mean);
    saveInvStd.copyFrom(inv);
    dst.copyFrom(y);
  }

  /** Overwrites {@code diffSrc}; accumulates into {@code diffGamma} and {@code diffBeta} (each may be null). */
  static void backward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor saveMean,
      Tensor saveInvStd, Tensor diffDst, Tensor diffSrc, Tensor diffGamma, Tensor diffBeta) {
    Checks.rankAtLeast(OP, "source", src, 2);
    int c = src.shape().dim(1);
    int inner = Checks.inner(src.shape());
    int m = src.shape().dim(0) * inner;
    Shape ch = Shape.of(c);
    Checks.shape(OP, "diffDst", diffDst, src.shape());
    Checks.shape(OP, "diffSrc", diffSrc, src.shape());
    Checks.shape(OP, "saveMean", saveMean, ch);
    Checks.shape(OP, "saveInvStd", saveInvStd, ch);
    if (gamma != null) {
      Checks.shape(OP, "gamma", gamma, ch);
    }
    double[] x = src.toDoubleArray();
    double[] dy = diffDst.toDoubleArray();
    double[] mean = saveMean.toDoubleArray();
    double[] inv = saveInvStd.toDoubleArray();
    double[] sumDy = new double[c];
    double[] sumDyXhat = new double[c];
    for (int i = 0; i < x.length; i++) {
      int k = (i / inner) % c;
      sumDy[k] += dy[i];
      sumDyXhat[k] += dy[i] * (x[i] - mean[k]) * inv[k];
    }
    double[] dx = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      int k = (i / inner) % c;
      double g = gamma == null ? 1 : gamma.get(k);
      if (training) {
        double xhat = (x[i] - mean[k]) * inv[k];
        dx[i] = g * inv[k] / m * (m * dy[i] - sumDy[k] - xhat * sumDyXhat[k]);
      } else {
        dx[i] = g * inv[k] * dy[i];
      }
    }
    diffSrc.copyFrom(dx);
    if (diffGamma != null) {
      Checks.shape(OP, "diffGamma", diffGamma, ch);
      diffGamma.addFrom(sumDyXhat);
    }
    if (diffBeta != null) {
      Checks.shape(OP, "diffBeta", diffBeta, ch);
      diffBeta.addFrom(sumDy);
    }
  }
}
