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
  public void close() {
    delegate.close();
  }
}
