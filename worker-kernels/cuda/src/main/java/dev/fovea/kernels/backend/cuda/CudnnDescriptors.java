package dev.fovea.kernels.backend.cuda;

import static dev.fovea.kernels.backend.cuda.Cuda.checkDnn;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_NCHW;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateFilterDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyFilterDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetFilterNdDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetTensorNdDescriptor;

import dev.fovea.kernels.Shape;
import java.util.Arrays;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

/**
 * cuDNN tensor and filter descriptors for Fovea's row-major FLOAT32 tensors. cuDNN wants 4 or 5
 * dimensions, so shorter shapes get trailing unit axes: {@code (N, K)} is {@code (N, K, 1, 1)} and
 * a 1D {@code (N, C, L)} is {@code (N, C, L, 1)}, which keeps the row-major strides.
 */
// cuDNN 9 marks its legacy (descriptor) API deprecated in favour of the graph API; it is complete and
// supported through cuDNN 9, and the compiled step is where a graph-API lowering belongs.
@SuppressWarnings("deprecation")
final class CudnnDescriptors {
  private CudnnDescriptors() {}

  /** {@code dims} padded with trailing 1s to at least 4 axes. */
  static int[] atLeast4(int[] dims) {
    if (dims.length >= 4) {
      return dims.clone();
    }
    int[] d = Arrays.copyOf(dims, 4);
    for (int i = dims.length; i < 4; i++) {
      d[i] = 1;
    }
    return d;
  }

  /** A fully packed row-major tensor descriptor; destroy it with {@link #destroy(cudnnTensorStruct)}. */
  static cudnnTensorStruct tensor(int[] dims) {
    int[] d = atLeast4(dims);
    int[] strides = new int[d.length];
    int s = 1;
    for (int i = d.length - 1; i >= 0; i--) {
      strides[i] = s;
      s *= d[i];
    }
    cudnnTensorStruct desc = new cudnnTensorStruct();
    checkDnn(cudnnCreateTensorDescriptor(desc), "cudnnCreateTensorDescriptor");
    checkDnn(cudnnSetTensorNdDescriptor(desc, CUDNN_DATA_FLOAT, d.length, d, strides), "cudnnSetTensorNdDescriptor "
        + Arrays.toString(d));
    return desc;
  }

  static cudnnTensorStruct tensor(Shape shape) {
    return tensor(shape.dims());
  }

  /** The descriptor of a per-channel vector broadcast over {@code like}: {@code (1, C, 1, ...)}. */
  static cudnnTensorStruct channels(int c, int rank) {
    int[] d = new int[Math.max(rank, 4)];
    Arrays.fill(d, 1);
    d[1] = c;
    return tensor(d);
  }

  /** A filter descriptor for weights {@code (OC, C / groups, k...)}, row-major (NCHW). */
  static cudnnFilterStruct filter(int[] dims) {
    int[] d = atLeast4(dims);
    cudnnFilterStruct desc = new cudnnFilterStruct();
    checkDnn(cudnnCreateFilterDescriptor(desc), "cudnnCreateFilterDescriptor");
    checkDnn(cudnnSetFilterNdDescriptor(desc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d.length, d),
        "cudnnSetFilterNdDescriptor " + Arrays.toString(d));
    return desc;
  }

  static void destroy(cudnnTensorStruct desc) {
    if (desc != null && !desc.isNull()) {
      cudnnDestroyTensorDescriptor(desc);
    }
  }

  static void destroy(cudnnFilterStruct desc) {
    if (desc != null && !desc.isNull()) {
      cudnnDestroyFilterDescriptor(desc);
    }
  }
}
