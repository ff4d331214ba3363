package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.allFloat;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.LrnParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.compile.SoftmaxCrossEntropy;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The normalising ops of {@link OneDnnBackend}: batch normalisation, local response normalisation,
 * softmax and log-softmax, softmax cross-entropy. Each method runs its op natively and returns true
 * (or a plan), or returns false (null) having done nothing, and the backend then runs the reference.
 */
final class OneDnnNormalizationOps {
  private final OneDnnPlans plans;

  OneDnnNormalizationOps(OneDnnPlans plans) {
    this.plans = plans;
  }

  // ---- batch normalisation ----

  /** Whether the batch-normalisation arguments are what the native path takes; else the reference checks them. */
  private static boolean bnFits(Tensor src, Tensor... perChannel) {
    if (!OneDnnBatchNormalization.supports(src.shape())) {
      return false;
    }
    Shape ch = Shape.of(src.shape().dim(1));
    for (Tensor t : perChannel) {
      if (t != null && !t.shape().equals(ch)) {
        return false;
      }
    }
    return true;
  }

  /** {@code t}, or a tensor of {@code c} copies of {@code value} when t is null. */
  private static Tensor orFill(Tensor t, int c, float value) {
    if (t != null) {
      return t;
    }
    float[] a = new float[c];
    Arrays.fill(a, value);
    return Tensor.wrap(a, Shape.of(c));
  }

  private OneDnnPlan batchNormalizationPlan(boolean backward, boolean training, Shape src, BatchNormParams p) {
    return plans.plan(new OneDnnBatchNormalization.Key(backward, training, src, (float) p.epsilon()),
        k -> OneDnnBatchNormalization.plan((OneDnnBatchNormalization.Key) k, plans.ctx));
  }

  boolean batchNormalizationForward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor beta,
      Tensor runningMean, Tensor runningVariance, Tensor saveMean, Tensor saveInvStd, Tensor dst) {
    OneDnnPlan plan = null;
    if (allFloat(src, gamma, beta, runningMean, runningVariance, saveMean, saveInvStd, dst)
        && bnFits(src, gamma, beta, runningMean, runningVariance, saveMean, saveInvStd)
        && dst.shape().equals(src.shape()) && (!training || src.size() / src.shape().dim(1) >= 2)) {
      plan = batchNormalizationPlan(false, training, src.shape(), p);
    }
    if (plan == null) {
      return false;
    }
    int c = src.shape().dim(1);
    plan.in(0).write(src);
    plan.in(1).write(orFill(gamma, c, 1f));
    plan.in(2).write(orFill(beta, c, 0f));
    if (!training) {
      plan.in(3).write(runningMean);
      plan.in(4).write(runningVariance);
    }
    plans.run(plan);
    plan.out(0).read(dst);
    double[] mean;
    double[] var;
    if (training) {
      Tensor m = Tensor.zeros(Shape.of(c));
      Tensor v = Tensor.zeros(Shape.of(c));
      plan.out(1).read(m);
      plan.out(2).read(v);
      mean = m.toDoubleArray();
      var = v.toDoubleArray();
      // the running statistics in double, rounded once, by the reference's rule
      p.updateRunning(runningMean, runningVariance, mean, var, src.size() / c);
    } else {
      mean = runningMean.toDoubleArray();
      var = runningVariance.toDoubleArray();
    }
    saveMean.copyFrom(mean);
    saveInvStd.copyFrom(p.inverseStd(var));
    return true;
  }

  /** Overwrites {@code diffSrc}; accumulates into {@code diffGamma} and {@code diffBeta}. */
  boolean batchNormalizationBackward(BatchNormParams p, boolean training, Tensor src, Tensor gamma,
      Tensor saveMean, Tensor saveInvStd, Tensor diffDst, Tensor diffSrc, Tensor diffGamma, Tensor diffBeta) {
    OneDnnPlan plan = null;
    if (allFloat(src, gamma, saveMean, saveInvStd, diffDst, diffSrc, diffGamma, diffBeta)
        && bnFits(src, gamma, saveMean, saveInvStd, diffGamma, diffBeta) && diffDst.shape().equals(src.shape())
        && diffSrc.shape().equals(src.shape())) {
      plan = batchNormalizationPlan(true, training, src.shape(), p);
    }
    if (plan == null) {
      return false;
    }
    int c = src.shape().dim(1);
    // oneDNN takes the variance; recover it from the saved 1 / sqrt(var + epsilon) with the float
    // epsilon oneDNN adds back, so its inverse standard deviation is the saved one to rounding.
    float eps = (float) p.epsilon();
    float[] var = new float[c];
    for (int k = 0; k < c; k++) {
      double inv = saveInvStd.get(k);
      var[k] = (float) (1 / (inv * inv) - eps);
    }
    plan.in(0).write(src);
    plan.in(1).write(saveMean);
    plan.in(2).write(Tensor.wrap(var, Shape.of(c)));
    plan.in(3).write(diffDst);
    plan.in(4).write(orFill(gamma, c, 1f));
    plans.run(plan);
    plan.out(0).read(diffSrc);
    if (diffGamma != null) {
      plan.out(1).addTo(diffGamma);
    }
    if (diffBeta != null) {
      plan.out(2).addTo(diffBeta);
    }
    return true;
  }

  // ---- local response normalisation ----

  private OneDnnPlan lrnPlan(boolean backward, LrnParams p, Tensor src, Tensor... others) {
    if (!OneDnnLrn.supports(p, src.shape()) || !allFloat(src) || !allFloat(others)) {
      return null;
    }
    for (Tensor t : others) {
      if (!t.shape().equals(src.shape())) {
        return null;
      }
    }
    return plans.plan(new OneDnnLrn.Key(backward, src.shape(), p.size(), (float) p.alpha(), (float) p.beta(),
        (float) p.k()), k -> OneDnnLrn.plan((OneDnnLrn.Key) k, plans.ctx));
  }

  boolean lrnForward(LrnParams p, Tensor src, Tensor dst) {
    OneDnnPlan plan = lrnPlan(false, p, src, dst);
    if (plan == null) {
      return false;
    }
    plans.run(plan, src, dst);
    return true;
  }

  boolean lrnBackward(LrnParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    OneDnnPlan plan = lrnPlan(true, p, src, diffDst, diffSrc);
    if (plan == null) {
      return false;
    }
    plans.run(plan, src, diffDst, diffSrc);
    return true;
  }

  // ---- softmax and log-softmax ----

  private OneDnnPlan softmaxPlan(boolean backward, boolean log, Shape shape) {
    return plans.plan(new OneDnnSoftmax.OpKey(backward, log, shape.dim(0), shape.sampleSize()),
        k -> OneDnnSoftmax.plan((OneDnnSoftmax.OpKey) k, plans.ctx));
  }

  boolean softmaxForward(boolean log, Tensor src, Tensor dst) {
    OneDnnPlan plan = null;
    if (allFloat(src, dst) && src.shape().rank() >= 2 && dst.shape().equals(src.shape())) {
      plan = softmaxPlan(false, log, src.shape());
    }
    if (plan == null) {
      return false;
    }
    plans.run(plan, src, dst);
    return true;
  }

  boolean softmaxBackward(boolean log, Tensor dst, Tensor diffDst, Tensor diffSrc) {
    OneDnnPlan plan = null;
    if (allFloat(dst, diffDst, diffSrc) && dst.shape().rank() >= 2 && diffDst.shape().equals(dst.shape())
        && diffSrc.shape().equals(dst.shape())) {
      plan = softmaxPlan(true, log, dst.shape());
    }
    if (plan == null) {
      return false;
    }
    plans.run(plan, dst, diffDst, diffSrc);
    return true;
  }

  // ---- softmax cross-entropy ----

  /** The log-softmax plan softmax cross-entropy runs on, after its argument checks; null for the reference. */
  OneDnnPlan softmaxCrossEntropyPlan(Tensor src, int[] labels, Tensor dst) {
    int n = src.shape().dim(0);
    int k = src.shape().sampleSize();
    if (!allFloat(src, dst)) {
      return null;
    }
    if (dst.size() != src.size()) {
      throw new IllegalArgumentException(
          "softmax cross-entropy: dst " + dst.shape() + " differs from src " + src.shape());
    }
    Backend.checkLabels("softmax cross-entropy", labels, n, k);
    return plans.plan(new OneDnnSoftmax.Key(n, k), key -> OneDnnSoftmax.plan((OneDnnSoftmax.Key) key, plans.ctx));
  }

  /** Softmax cross-entropy forward on {@code plan} (from {@link #softmaxCrossEntropyPlan}): the loss; dst holds probabilities. */
  double softmaxCrossEntropyForward(OneDnnPlan plan, Tensor src, int[] labels, Tensor dst) {
    int n = src.shape().dim(0);
    int k = src.shape().sampleSize();
    plans.run(plan, src, dst); // log-probabilities, turned into probabilities below
    float[] y = dst.floatArray();
    int off = dst.offset();
    double loss = SoftmaxCrossEntropy.loss(FloatBuffer.wrap(y, off, n * k).slice(), labels, n, k);
    for (int i = 0; i < n * k; i++) {
      y[off + i] = SoftmaxCrossEntropy.probability(y[off + i]);
    }
    return loss;
  }

  boolean softmaxCrossEntropyBackward(Tensor dst, int[] labels, double scale, Tensor diffSrc) {
    if (!allFloat(dst, diffSrc) || dst.size() != diffSrc.size()) {
      return false;
    }
    // An element-wise formula on (N, K): no primitive would pay for its launch; computed in double
    // and rounded once, exactly as the reference does.
    int n = dst.shape().dim(0);
    int k = dst.shape().sampleSize();
    float[] y = dst.floatArray();
    float[] g = diffSrc.floatArray();
    int yo = dst.offset();
    int go = diffSrc.offset();
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < k; j++) {
        g[go + r * k + j] = SoftmaxCrossEntropy.gradient(y[yo + r * k + j], j == labels[r], scale);
      }
    }
    return true;
  }
}
