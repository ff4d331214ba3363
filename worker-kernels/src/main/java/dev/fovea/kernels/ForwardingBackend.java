package dev.fovea.kernels;

/**
 * A backend that hands every op to another backend. A native backend extends it and overrides the
 * ops it implements natively; the rest fall back, op by op, to the delegate (usually the reference
 * backend), so every op always exists on every backend.
 */
public abstract class ForwardingBackend implements Backend {
  private final Backend delegate;

  protected ForwardingBackend(Backend delegate) {
    this.delegate = delegate;
  }

  /** The backend that runs the ops this one does not override. */
  protected Backend delegate() {
    return delegate;
  }

  @Override
  public void convolutionForward(ConvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    delegate.convolutionForward(p, src, weights, bias, dst);
  }

  @Override
  public void convolutionBackwardData(ConvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    delegate.convolutionBackwardData(p, diffDst, weights, diffSrc);
  }

  @Override
  public void convolutionBackwardWeights(ConvParams p, Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    delegate.convolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
  }

  @Override
  public void poolingForward(PoolParams p, Tensor src, Tensor dst) {
    delegate.poolingForward(p, src, dst);
  }

  @Override
  public void poolingBackward(PoolParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    delegate.poolingBackward(p, src, diffDst, diffSrc);
  }

  @Override
  public void eltwiseForward(Activation f, Tensor src, Tensor dst) {
    delegate.eltwiseForward(f, src, dst);
  }

  @Override
  public void eltwiseBackward(Activation f, Tensor src, Tensor diffDst, Tensor diffSrc) {
    delegate.eltwiseBackward(f, src, diffDst, diffSrc);
  }

  @Override
  public void innerProductForward(Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    delegate.innerProductForward(src, weights, bias, dst);
  }

  @Override
  public void innerProductBackwardData(Tensor diffDst, Tensor weights, Tensor diffSrc) {
    delegate.innerProductBackwardData(diffDst, weights, diffSrc);
  }

  @Override
  public void innerProductBackwardWeights(Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    delegate.innerProductBackwardWeights(src, diffDst, diffWeights, diffBias);
  }

  @Override
  public double softmaxCrossEntropyForward(Tensor src, int[] labels, Tensor dst) {
    return delegate.softmaxCrossEntropyForward(src, labels, dst);
  }

  @Override
  public void softmaxCrossEntropyBackward(Tensor dst, int[] labels, double scale, Tensor diffSrc) {
    delegate.softmaxCrossEntropyBackward(dst, labels, scale, diffSrc);
  }

  @Override
  public void deconvolutionForward(DeconvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    delegate.deconvolutionForward(p, src, weights, bias, dst);
  }

  @Override
  public void deconvolutionBackwardData(DeconvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    delegate.deconvolutionBackwardData(p, diffDst, weights, diffSrc);
  }

  @Override
  public void deconvolutionBackwardWeights(DeconvParams p, Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    delegate.deconvolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
  }

  @Override
  public void poolingForwardWithIndices(PoolParams p, Tensor src, Tensor dst, int[] indices) {
    delegate.poolingForwardWithIndices(p, src, dst, indices);
  }

  @Override
  public void maxUnpoolingForward(Tensor src, int[] indices, Tensor dst) {
    delegate.maxUnpoolingForward(src, indices, dst);
  }

  @Override
  public void maxUnpoolingBackward(int[] indices, Tensor diffDst, Tensor diffSrc) {
    delegate.maxUnpoolingBackward(indices, diffDst, diffSrc);
  }

  @Override
  public void adaptivePoolingForward(PoolParams.Kind kind, Tensor src, Tensor dst) {
    delegate.adaptivePoolingForward(kind, src, dst);
  }

  @Override
  public void adaptivePoolingBackward(PoolParams.Kind kind, Tensor src, Tensor diffDst, Tensor diffSrc) {
    delegate.adaptivePoolingBackward(kind, src, diffDst, diffSrc);
  }

  @Override
  public void resamplingForward(ResamplingParams p, Tensor src, Tensor dst) {
    delegate.resamplingForward(p, src, dst);
  }

  @Override
  public void resamplingBackward(ResamplingParams p, Tensor diffDst, Tensor diffSrc) {
    delegate.resamplingBackward(p, diffDst, diffSrc);
  }

  @Override
  public void dropoutForward(DropoutParams p, boolean training, long seed, Tensor src, Tensor mask, Tensor dst) {
    delegate.dropoutForward(p, training, seed, src, mask, dst);
  }

  @Override
  public void dropoutBackward(Tensor mask, Tensor diffDst, Tensor diffSrc) {
    delegate.dropoutBackward(mask, diffDst, diffSrc);
  }

  @Override
  public void batchNormalizationForward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, Tensor saveMean, Tensor saveInvStd, Tensor dst) {
    delegate.batchNormalizationForward(p, training, src, gamma, beta, runningMean, runningVariance, saveMean, saveInvStd, dst);
  }

  @Override
  public void batchNormalizationBackward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor diffDst, Tensor diffSrc, Tensor diffGamma, Tensor diffBeta) {
    delegate.batchNormalizationBackward(p, training, src, gamma, saveMean, saveInvStd, diffDst, diffSrc, diffGamma, diffBeta);
  }

  @Override
  public void lrnForward(LrnParams p, Tensor src, Tensor dst) {
    delegate.lrnForward(p, src, dst);
  }

  @Override
  public void lrnBackward(LrnParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    delegate.lrnBackward(p, src, diffDst, diffSrc);
  }

  @Override
  public void concatForward(int axis, Tensor[] srcs, Tensor dst) {
    delegate.concatForward(axis, srcs, dst);
  }

  @Override
  public void concatBackward(int axis, Tensor diffDst, Tensor[] diffSrcs) {
    delegate.concatBackward(axis, diffDst, diffSrcs);
  }

  @Override
  public void sumForward(double[] scales, Tensor[] srcs, Tensor dst) {
    delegate.sumForward(scales, srcs, dst);
  }

  @Override
  public void paddingForward(int[] padBegin, int[] padEnd, Tensor src, Tensor dst) {
    delegate.paddingForward(padBegin, padEnd, src, dst);
  }

  @Override
  public void paddingBackward(int[] padBegin, int[] padEnd, Tensor diffDst, Tensor diffSrc) {
    delegate.paddingBackward(padBegin, padEnd, diffDst, diffSrc);
  }

  @Override
  public void preluForward(Tensor src, Tensor slope, Tensor dst) {
    delegate.preluForward(src, slope, dst);
  }

  @Override
  public void preluBackward(Tensor src, Tensor slope, Tensor diffDst, Tensor diffSrc, Tensor diffSlope) {
    delegate.preluBackward(src, slope, diffDst, diffSrc, diffSlope);
  }

  @Override
  public void rreluForward(double lower, double upper, long seed, Tensor src, Tensor slope, Tensor dst) {
    delegate.rreluForward(lower, upper, seed, src, slope, dst);
  }

  @Override
  public void softmaxForward(boolean log, Tensor src, Tensor dst) {
    delegate.softmaxForward(log, src, dst);
  }

  @Override
  public void softmaxBackward(boolean log, Tensor dst, Tensor diffDst, Tensor diffSrc) {
    delegate.softmaxBackward(log, dst, diffDst, diffSrc);
  }

  @Override
  public double softmaxCrossEntropyForward(Tensor src, int[] labels, double labelSmoothing, Tensor dst) {
    return delegate.softmaxCrossEntropyForward(src, labels, labelSmoothing, dst);
  }

  @Override
  public void softmaxCrossEntropyBackward(Tensor dst, int[] labels, double labelSmoothing, double scale, Tensor diffSrc) {
    delegate.softmaxCrossEntropyBackward(dst, labels, labelSmoothing, scale, diffSrc);
  }

  @Override
  public double sigmoidCrossEntropyForward(Tensor src, Tensor targets, Tensor dst) {
    return delegate.sigmoidCrossEntropyForward(src, targets, dst);
  }

  @Override
  public void sigmoidCrossEntropyBackward(Tensor dst, Tensor targets, double scale, Tensor diffSrc) {
    delegate.sigmoidCrossEntropyBackward(dst, targets, scale, diffSrc);
  }

  @Override
  public double squaredErrorForward(Tensor src, Tensor target) {
    return delegate.squaredErrorForward(src, target);
  }

  @Override
  public void squaredErrorBackward(Tensor src, Tensor target, double scale, Tensor diffSrc) {
    delegate.squaredErrorBackward(src, target, scale, diffSrc);
  }

  @Override
  public double absoluteErrorForward(Tensor src, Tensor target) {
    return delegate.absoluteErrorForward(src, target);
  }

  @Override
  public void absoluteErrorBackward(Tensor src, Tensor target, double scale, Tensor diffSrc) {
    delegate.absoluteErrorBackward(src, target, scale, diffSrc);
  }

  @Override
  public double nllForward(Tensor src, int[] labels) {
    return delegate.nllForward(src, labels);
  }

  @Override
  public void nllBackward(int[] labels, double scale, Tensor diffSrc) {
    delegate.nllBackward(labels, scale, diffSrc);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
