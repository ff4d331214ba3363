package dev.fovea.kernels.backend.reference;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.PoolParams;
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
}
