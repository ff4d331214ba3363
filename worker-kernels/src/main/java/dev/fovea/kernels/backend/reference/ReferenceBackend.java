package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.DropoutParams;
import dev.fovea.kernels.LrnParams;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.ResamplingParams;
import dev.fovea.kernels.Tensor;

/**
 * The plain-Java backend: the executable specification of every op. It accepts FLOAT32 and FLOAT64
 * tensors and computes in double; each op lives in its own class with its formula.
 */
public final class ReferenceBackend implements Backend {

  @Override
  public String name() {
    return "reference";
  }

  @Override
  public void convolutionForward(ConvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    ReferenceConvolution.forward(p, src, weights, bias, dst);
  }

  @Override
  public void convolutionBackwardData(ConvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    ReferenceConvolution.backwardData(p, diffDst, weights, diffSrc);
  }

  @Override
  public void convolutionBackwardWeights(ConvParams p, Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    ReferenceConvolution.backwardWeights(p, src, diffDst, diffWeights, diffBias);
  }

  @Override
  public void poolingForward(PoolParams p, Tensor src, Tensor dst) {
    ReferencePooling.forward(p, src, dst);
  }

  @Override
  public void poolingBackward(PoolParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    ReferencePooling.backward(p, src, diffDst, diffSrc);
  }

  @Override
  public void eltwiseForward(Activation f, Tensor src, Tensor dst) {
    ReferenceEltwise.forward(f, src, dst);
  }

  @Override
  public void eltwiseBackward(Activation f, Tensor src, Tensor diffDst, Tensor diffSrc) {
    ReferenceEltwise.backward(f, src, diffDst, diffSrc);
  }

  @Override
  public void innerProductForward(Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    ReferenceInnerProduct.forward(src, weights, bias, dst);
  }

  @Override
  public void innerProductBackwardData(Tensor diffDst, Tensor weights, Tensor diffSrc) {
    ReferenceInnerProduct.backwardData(diffDst, weights, diffSrc);
  }

  @Override
  public void innerProductBackwardWeights(Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    ReferenceInnerProduct.backwardWeights(src, diffDst, diffWeights, diffBias);
  }

  @Override
  public double softmaxCrossEntropyForward(Tensor src, int[] labels, Tensor dst) {
    return ReferenceSoftmaxCrossEntropy.forward(src, labels, dst);
  }

  @Override
  public void softmaxCrossEntropyBackward(Tensor dst, int[] labels, double scale, Tensor diffSrc) {
    ReferenceSoftmaxCrossEntropy.backward(dst, labels, scale, diffSrc);
  }

  @Override
  public void deconvolutionForward(DeconvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
    ReferenceDeconvolution.forward(p, src, weights, bias, dst);
  }

  @Override
  public void deconvolutionBackwardData(DeconvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
    ReferenceDeconvolution.backwardData(p, diffDst, weights, diffSrc);
  }

  @Override
  public void deconvolutionBackwardWeights(DeconvParams p, Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
    ReferenceDeconvolution.backwardWeights(p, src, diffDst, diffWeights, diffBias);
  }

  @Override
  public void poolingForwardWithIndices(PoolParams p, Tensor src, Tensor dst, int[] indices) {
    ReferencePooling.forwardWithIndices(p, src, dst, indices);
  }

  @Override
  public void adaptivePoolingForward(PoolParams.Kind kind, Tensor src, Tensor dst) {
    ReferenceAdaptivePooling.forward(kind, src, dst);
  }

  @Override
  public void adaptivePoolingBackward(PoolParams.Kind kind, Tensor src, Tensor diffDst, Tensor diffSrc) {
    ReferenceAdaptivePooling.backward(kind, src, diffDst, diffSrc);
  }

  @Override
  public void maxUnpoolingForward(Tensor src, int[] indices, Tensor dst) {
    ReferenceMaxUnpooling.forward(src, indices, dst);
  }

  @Override
  public void maxUnpoolingBackward(int[] indices, Tensor diffDst, Tensor diffSrc) {
    ReferenceMaxUnpooling.backward(indices, diffDst, diffSrc);
  }

  @Override
  public void resamplingForward(ResamplingParams p, Tensor src, Tensor dst) {
    ReferenceResampling.forward(p, src, dst);
  }

  @Override
  public void resamplingBackward(ResamplingParams p, Tensor diffDst, Tensor diffSrc) {
    ReferenceResampling.backward(p, diffDst, diffSrc);
  }

  @Override
  public void dropoutForward(DropoutParams p, boolean training, long seed, Tensor src, Tensor mask, Tensor dst) {
    ReferenceDropout.forward(p, training, seed, src, mask, dst);
  }

  @Override
  public void dropoutBackward(Tensor mask, Tensor diffDst, Tensor diffSrc) {
    ReferenceDropout.backward(mask, diffDst, diffSrc);
  }

  @Override
  public void batchNormalizationForward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance, Tensor saveMean, Tensor saveInvStd, Tensor dst) {
    ReferenceBatchNormalization.forward(p, training, src, gamma, beta, runningMean, runningVariance, saveMean, saveInvStd, dst);
  }

  @Override
  public void batchNormalizationBackward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor diffDst, Tensor diffSrc, Tensor diffGamma, Tensor diffBeta) {
    ReferenceBatchNormalization.backward(p, training, src, gamma, saveMean, saveInvStd, diffDst, diffSrc, diffGamma, diffBeta);
  }

  @Override
  public void lrnForward(LrnParams p, Tensor src, Tensor dst) {
    ReferenceLrn.forward(p, src, dst);
  }

  @Override
  public void lrnBackward(LrnParams p, Tensor src, Tensor diffDst, Tensor diffSrc) {
    ReferenceLrn.backward(p, src, diffDst, diffSrc);
  }

  @Override
  public void concatForward(int axis, Tensor[] srcs, Tensor dst) {
    ReferenceConcat.forward(axis, srcs, dst);
  }

  @Override
  public void concatBackward(int axis, Tensor diffDst, Tensor[] diffSrcs) {
    ReferenceConcat.backward(axis, diffDst, diffSrcs);
  }

  @Override
  public void sumForward(double[] scales, Tensor[] srcs, Tensor dst) {
    ReferenceSum.forward(scales, srcs, dst);
  }

  @Override
  public void paddingForward(int[] padBegin, int[] padEnd, Tensor src, Tensor dst) {
    ReferencePadding.forward(padBegin, padEnd, src, dst);
  }

  @Override
  public void paddingBackward(int[] padBegin, int[] padEnd, Tensor diffDst, Tensor diffSrc) {
    ReferencePadding.backward(padBegin, padEnd, diffDst, diffSrc);
  }

  @Override
  public void preluForward(Tensor src, Tensor slope, Tensor dst) {
    ReferencePrelu.forward(src, slope, dst);
  }

  @Override
  public void preluBackward(Tensor src, Tensor slope, Tensor diffDst, Tensor diffSrc, Tensor diffSlope) {
    ReferencePrelu.backward(src, slope, diffDst, diffSrc, diffSlope);
  }

  @Override
  public void rreluForward(double lower, double upper, long seed, Tensor src, Tensor slope, Tensor dst) {
    ReferenceRrelu.forward(lower, upper, seed, src, slope, dst);
  }

  @Override
  public void softmaxForward(boolean log, Tensor src, Tensor dst) {
    ReferenceSoftmax.forward(log, src, dst);
  }

  @Override
  public void softmaxBackward(boolean log, Tensor dst, Tensor diffDst, Tensor diffSrc) {
    ReferenceSoftmax.backward(log, dst, diffDst, diffSrc);
  }

  @Override
  public double softmaxCrossEntropyForward(Tensor src, int[] labels, double labelSmoothing, Tensor dst) {
    return ReferenceSoftmaxCrossEntropy.forward(src, labels, labelSmoothing, dst);
  }

  @Override
  public void softmaxCrossEntropyBackward(Tensor dst, int[] labels, double labelSmoothing, double scale, Tensor diffSrc) {
    ReferenceSoftmaxCrossEntropy.backward(dst, labels, labelSmoothing, scale, diffSrc);
  }

  @Override
  public double sigmoidCrossEntropyForward(Tensor src, Tensor targets, Tensor dst) {
    return ReferenceSigmoidCrossEntropy.forward(src, targets, dst);
  }

  @Override
  public void sigmoidCrossEntropyBackward(Tensor dst, Tensor targets, double scale, Tensor diffSrc) {
    ReferenceSigmoidCrossEntropy.backward(dst, targets, scale, diffSrc);
  }

  @Override
  public double squaredErrorForward(Tensor src, Tensor target) {
    return ReferenceSquaredError.forward(src, target);
  }

  @Override
  public void squaredErrorBackward(Tensor src, Tensor target, double scale, Tensor diffSrc) {
    ReferenceSquaredError.backward(src, target, scale, diffSrc);
  }

  @Override
  public double absoluteErrorForward(Tensor src, Tensor target) {
    return ReferenceAbsoluteError.forward(src, target);
  }

  @Override
  public void absoluteErrorBackward(Tensor src, Tensor target, double scale, Tensor diffSrc) {
    ReferenceAbsoluteError.backward(src, target, scale, diffSrc);
  }

  @Override
  public double nllForward(Tensor src, int[] labels) {
    return ReferenceNll.forward(src, labels);
  }

  @Override
  public void nllBackward(int[] labels, double scale, Tensor diffSrc) {
    ReferenceNll.backward(labels, scale, diffSrc);
  }
}
