package dev.fovea.kernels.backend.cuda;

import static dev.fovea.kernels.backend.cuda.Cuda.checkDnn;
import static dev.fovea.kernels.backend.cuda.CudaOpContext.f32;
import static org.bytedeco.cuda.global.cudnn.CUDNN_BATCHNORM_SPATIAL;
import static org.bytedeco.cuda.global.cudnn.CUDNN_SOFTMAX_ACCURATE;
import static org.bytedeco.cuda.global.cudnn.CUDNN_SOFTMAX_LOG;
import static org.bytedeco.cuda.global.cudnn.CUDNN_SOFTMAX_MODE_INSTANCE;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationForwardInference;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationForwardTraining;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDeriveBNTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSoftmaxBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnSoftmaxForward;

import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.Tensor;
import java.util.Arrays;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.Pointer;

/**
 * The normalising ops of {@link CudaBackend} through cuDNN: batch normalisation (training, and its
 * inference forward), softmax and log-softmax; and the batch-norm descriptor {@link CudaLowering}
 * shares. Each method runs its op on the device and returns true, or returns false having done
 * nothing, and the backend then runs the reference.
 */
// cuDNN 9 marks its legacy (descriptor) API deprecated; see CudaBackend.
@SuppressWarnings("deprecation")
final class CudaNormalizationOps extends CudaOpFamily {
  CudaNormalizationOps(CudaOpContext ctx) {
    super(ctx);
  }

  // ---- batch normalisation ----

  private static float[] filled(int n, float v) {
    float[] a = new float[n];
    Arrays.fill(a, v);
    return a;
  }

  static cudnnTensorStruct bnDescriptor(cudnnTensorStruct x) {
    cudnnTensorStruct bn = new cudnnTensorStruct();
    checkDnn(cudnnCreateTensorDescriptor(bn), "cudnnCreateTensorDescriptor");
    checkDnn(cudnnDeriveBNTensorDescriptor(bn, x, CUDNN_BATCHNORM_SPATIAL), "cudnnDeriveBNTensorDescriptor");
    return bn;
  }

  boolean batchNormalizationForward(BatchNormParams p, boolean training, Tensor src, Tensor gamma, Tensor beta,
      Tensor runningMean, Tensor runningVariance, Tensor saveMean, Tensor saveInvStd, Tensor dst) {
    if (!f32(src, gamma, beta, runningMean, runningVariance, saveMean, saveInvStd, dst)
        || src.shape().rank() > 5 || training && src.size() / src.shape().dim(1) < 2) {
      return false;
    }
    ctx.begin();
    int c = src.shape().dim(1);
    cudnnTensorStruct xd = CudnnDescriptors.tensor(src.shape());
    cudnnTensorStruct bn = bnDescriptor(xd);
    try {
      Pointer x = memory.upload(src);
      Pointer y = memory.take(dst.size());
      Pointer g = gamma == null ? memory.upload(filled(c, 1)) : memory.upload(gamma);
      Pointer b = beta == null ? memory.upload(filled(c, 0)) : memory.upload(beta);
      Pointer rm = memory.upload(runningMean);
      Pointer rv = memory.upload(runningVariance);
      if (training) {
        Pointer sm = memory.take(c);
        Pointer si = memory.take(c);
        // cuDNN's running variance is the unbiased one, as BatchNormParams.updateRunning
        checkDnn(cudnnBatchNormalizationForwardTraining(cudnn, CUDNN_BATCHNORM_SPATIAL, one, zero, xd, x, xd, y, bn, g,
            b, p.momentum(), rm, rv, p.epsilon(), sm, si), "cudnnBatchNormalizationForwardTraining");
        memory.download(rm, runningMean);
        memory.download(rv, runningVariance);
        memory.download(sm, saveMean);
        memory.download(si, saveInvStd);
      } else {
        checkDnn(cudnnBatchNormalizationForwardInference(cudnn, CUDNN_BATCHNORM_SPATIAL, one, zero, xd, x, xd, y, bn, g,
            b, rm, rv, p.epsilon()), "cudnnBatchNormalizationForwardInference");
        saveMean.copyFrom(runningMean);
        saveInvStd.copyFrom(p.inverseStd(runningVariance.toDoubleArray()));
      }
      memory.download(y, dst);
    } finally {
      CudnnDescriptors.destroy(bn);
      CudnnDescriptors.destroy(xd);
    }
    return true;
  }

  boolean batchNormalizationBackward(BatchNormParams p, boolean training, Tensor src, Tensor gamma,
      Tensor saveMean, Tensor saveInvStd, Tensor diffDst, Tensor diffSrc, Tensor diffGamma, Tensor diffBeta) {
    // evaluation-mode backward (statistics held fixed) is not cuDNN's formula: the reference runs it
    if (!training || !f32(src, gamma, saveMean, saveInvStd, diffDst, diffSrc, diffGamma, diffBeta)
        || src.shape().rank() > 5) {
      return false;
    }
    ctx.begin();
    int c = src.shape().dim(1);
    cudnnTensorStruct xd = CudnnDescriptors.tensor(src.shape());
    cudnnTensorStruct bn = bnDescriptor(xd);
    try {
      Pointer x = memory.upload(src);
      Pointer dy = memory.upload(diffDst);
      Pointer dx = memory.take(diffSrc.size());
      Pointer g = gamma == null ? memory.upload(filled(c, 1)) : memory.upload(gamma);
      Pointer dg = diffGamma == null ? memory.upload(new float[c]) : memory.upload(diffGamma);
      Pointer db = diffBeta == null ? memory.upload(new float[c]) : memory.upload(diffBeta);
      Pointer sm = memory.upload(saveMean);
      Pointer si = memory.upload(saveInvStd);
      // data gradient overwrites (beta 0), parameter gradients accumulate (beta 1)
      checkDnn(cudnnBatchNormalizationBackward(cudnn, CUDNN_BATCHNORM_SPATIAL, one, zero, one, one, xd, x, xd, dy, xd,
          dx, bn, g, dg, db, p.epsilon(), sm, si), "cudnnBatchNormalizationBackward");
      memory.download(dx, diffSrc);
      if (diffGamma != null) {
        memory.download(dg, diffGamma);
      }
      if (diffBeta != null) {
        memory.download(db, diffBeta);
      }
    } finally {
      CudnnDescriptors.destroy(bn);
      CudnnDescriptors.destroy(xd);
    }
    return true;
  }

  // ---- softmax ----

  boolean softmaxForward(boolean log, Tensor src, Tensor dst) {
    if (!f32(src, dst)) {
      return false;
    }
    ctx.begin();
    int n = src.shape().dim(0);
    cudnnTensorStruct d = CudnnDescriptors.tensor(new int[] {n, src.size() / n});
    try {
      Pointer x = memory.upload(src);
      Pointer y = memory.take(dst.size());
      checkDnn(cudnnSoftmaxForward(cudnn, log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_INSTANCE,
          one, d, x, zero, d, y), "cudnnSoftmaxForward");
      memory.download(y, dst);
    } finally {
      CudnnDescriptors.destroy(d);
    }
    return true;
  }

  boolean softmaxBackward(boolean log, Tensor dst, Tensor diffDst, Tensor diffSrc) {
    if (!f32(dst, diffDst, diffSrc)) {
      return false;
    }
    ctx.begin();
    int n = dst.shape().dim(0);
    cudnnTensorStruct d = CudnnDescriptors.tensor(new int[] {n, dst.size() / n});
    try {
      Pointer y = memory.upload(dst);
      Pointer dy = memory.upload(diffDst);
      Pointer dx = memory.take(diffSrc.size());
      checkDnn(cudnnSoftmaxBackward(cudnn, log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
          CUDNN_SOFTMAX_MODE_INSTANCE, one, d, y, d, dy, zero, d, dx), "cudnnSoftmaxBackward");
      memory.download(dx, diffSrc);
    } finally {
      CudnnDescriptors.destroy(d);
    }
    return true;
  }
}
