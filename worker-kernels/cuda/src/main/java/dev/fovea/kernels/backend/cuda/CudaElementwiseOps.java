package dev.fovea.kernels.backend.cuda;

import static dev.fovea.kernels.backend.cuda.Cuda.checkDnn;
import static dev.fovea.kernels.backend.cuda.CudaOpContext.f32;
import static org.bytedeco.cuda.global.cudnn.CUDNN_ACTIVATION_ELU;
import static org.bytedeco.cuda.global.cudnn.CUDNN_ACTIVATION_RELU;
import static org.bytedeco.cuda.global.cudnn.CUDNN_ACTIVATION_SIGMOID;
import static org.bytedeco.cuda.global.cudnn.CUDNN_ACTIVATION_TANH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_NOT_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.cudnnActivationBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnActivationForward;
import static org.bytedeco.cuda.global.cudnn.cudnnAddTensor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetActivationDescriptor;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Tensor;
import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The element-wise ops of {@link CudaBackend} through cuDNN: the activations cuDNN has (ReLU,
 * sigmoid, tanh, ELU) and weighted sums; and the activation descriptors {@link CudaLowering}
 * shares. Each method runs its op on the device and returns true, or returns false having done
 * nothing, and the backend then runs the reference.
 */
// cuDNN 9 marks its legacy (descriptor) API deprecated; see CudaBackend.
@SuppressWarnings("deprecation")
final class CudaElementwiseOps extends CudaOpFamily {
  CudaElementwiseOps(CudaOpContext ctx) {
    super(ctx);
  }

  // ---- activations ----

  /** cuDNN's mode for {@code f}, or -1 where cuDNN has no such activation. */
  static int activationMode(Activation f) {
    return switch (f.kind()) {
      case RELU -> f.alpha() == 0 ? CUDNN_ACTIVATION_RELU : -1;
      case SIGMOID -> CUDNN_ACTIVATION_SIGMOID;
      case TANH -> CUDNN_ACTIVATION_TANH;
      case ELU -> CUDNN_ACTIVATION_ELU;
      default -> -1;
    };
  }

  static cudnnActivationStruct activation(Activation f) {
    cudnnActivationStruct desc = new cudnnActivationStruct();
    checkDnn(cudnnCreateActivationDescriptor(desc), "cudnnCreateActivationDescriptor");
    double coef = f.kind() == Activation.Kind.ELU ? f.alpha() : 0;
    checkDnn(cudnnSetActivationDescriptor(desc, activationMode(f), CUDNN_NOT_PROPAGATE_NAN, coef),
        "cudnnSetActivationDescriptor " + f);
    return desc;
  }

  boolean eltwiseForward(Activation f, Tensor src, Tensor dst) {
    if (!f32(src, dst) || activationMode(f) < 0) {
      return false;
    }
    ctx.begin();
    cudnnActivationStruct act = activation(f);
    cudnnTensorStruct d = CudnnDescriptors.tensor(new int[] {1, src.size()});
    try {
      Pointer x = memory.upload(src);
      Pointer y = memory.take(dst.size());
      checkDnn(cudnnActivationForward(cudnn, act, one, d, x, zero, d, y), "cudnnActivationForward");
      memory.download(y, dst);
    } finally {
      cudnnDestroyActivationDescriptor(act);
      CudnnDescriptors.destroy(d);
    }
    return true;
  }

  boolean eltwiseBackward(Activation f, Tensor src, Tensor diffDst, Tensor diffSrc) {
    if (!f32(src, diffDst, diffSrc) || activationMode(f) < 0) {
      return false;
    }
    ctx.begin();
    cudnnActivationStruct act = activation(f);
    cudnnTensorStruct d = CudnnDescriptors.tensor(new int[] {1, src.size()});
    try {
      Pointer x = memory.upload(src);
      Pointer y = memory.take(src.size());
      checkDnn(cudnnActivationForward(cudnn, act, one, d, x, zero, d, y), "cudnnActivationForward");
      Pointer dy = memory.upload(diffDst);
      Pointer dx = memory.take(diffSrc.size());
      checkDnn(cudnnActivationBackward(cudnn, act, one, d, y, d, dy, d, x, zero, d, dx), "cudnnActivationBackward");
      memory.download(dx, diffSrc);
    } finally {
      cudnnDestroyActivationDescriptor(act);
      CudnnDescriptors.destroy(d);
    }
    return true;
  }

  // ---- weighted sum (residual addition) ----

  boolean sumForward(double[] scales, Tensor[] srcs, Tensor dst) {
    if (!f32(srcs) || !f32(dst) || srcs.length == 0) {
      return false;
    }
    ctx.begin();
    cudnnTensorStruct d = CudnnDescriptors.tensor(new int[] {1, dst.size()});
    try {
      Pointer y = memory.take(dst.size());
      for (int i = 0; i < srcs.length; i++) {
        Pointer x = memory.upload(srcs[i]);
        try (FloatPointer scale = new FloatPointer((float) scales[i])) {
          // y = scale · x + (0 for the first source, else y)
          checkDnn(cudnnAddTensor(cudnn, scale, d, x, i == 0 ? zero : one, d, y), "cudnnAddTensor (sum)");
        }
      }
      memory.download(y, dst); // dst may be one of the sources: every source was read before this
    } finally {
      CudnnDescriptors.destroy(d);
    }
    return true;
  }
}
