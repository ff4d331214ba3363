package dev.fovea.kernels.backend.cuda;

import static dev.fovea.kernels.backend.cuda.Cuda.checkDnn;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CROSS_CORRELATION;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FMA_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateConvolutionDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyConvolutionDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionBackwardDataAlgorithm;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionBackwardFilterAlgorithm;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionForwardAlgorithm;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionGroupCount;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionMathType;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionNdDescriptor;

import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.Shape;
import java.util.Arrays;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

/**
 * The plan of one convolution (params, src, weights and dst shapes): its cuDNN descriptors and,
 * found on first use of each pass, the algorithm cuDNN measures fastest for it ({@code
 * cudnnFind*Algorithm}) with its workspace size, or, for a deterministic plan (compiled steps),
 * the first deterministic algorithm of cuDNN's heuristics ({@code cudnnGet*Algorithm_v7}, nothing
 * timed) with the descriptor's math type, so that every run and every backend on the device pick
 * the same one. 1D convolutions run as 2D ones over a trailing unit axis.
 */
// cuDNN 9 marks its legacy (descriptor) API deprecated in favour of the graph API; it is complete and
// supported through cuDNN 9, and the compiled step is where a graph-API lowering belongs.
@SuppressWarnings("deprecation")
final class CudnnConvolution implements AutoCloseable {

  /** Whether cuDNN can run {@code p} as it is: symmetric padding on every axis. */
  static boolean supports(ConvParams p) {
    return Arrays.equals(p.padBegin(), p.padEnd());
  }

  final cudnnTensorStruct src;
  final cudnnFilterStruct weights;
  final cudnnTensorStruct dst;
  final cudnnTensorStruct bias;
  final cudnnConvolutionStruct conv = new cudnnConvolutionStruct();
  private final boolean deterministic;
  private final int mathType;
  private int forwardAlgo = -1;
  private long forwardWorkspace;
  private int backwardDataAlgo = -1;
  private long backwardDataWorkspace;
  private int backwardWeightsAlgo = -1;
  private long backwardWeightsWorkspace;

  CudnnConvolution(ConvParams p, Shape srcShape, Shape weightsShape, Shape dstShape, boolean tf32) {
    this(p, srcShape, weightsShape, dstShape, tf32, false);
  }

  /** @param deterministic whether to pick cuDNN's first deterministic heuristic algorithm instead of the fastest measured */
  CudnnConvolution(ConvParams p, Shape srcShape, Shape weightsShape, Shape dstShape, boolean tf32,
      boolean deterministic) {
    this.deterministic = deterministic;
    this.mathType = tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
    int r = p.spatialRank();
    int axes = Math.max(r, 2); // a 1D convolution runs as 2D with a trailing unit axis
    int[] pad = new int[axes];
    int[] stride = new int[axes];
    int[] dilation = new int[axes];
    Arrays.fill(stride, 1);
    Arrays.fill(dilation, 1);
    for (int i = 0; i < r; i++) {
      pad[i] = p.padBegin()[i];
      stride[i] = p.stride()[i];
      dilation[i] = p.dilation()[i];
    }
    src = CudnnDescriptors.tensor(srcShape);
    weights = CudnnDescriptors.filter(weightsShape.dims());
    dst = CudnnDescriptors.tensor(dstShape);
    bias = CudnnDescriptors.channels(dstShape.dim(1), axes + 2);
    checkDnn(cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor");
    checkDnn(cudnnSetConvolutionNdDescriptor(conv, axes, pad, stride, dilation, CUDNN_CROSS_CORRELATION,
        CUDNN_DATA_FLOAT), "cudnnSetConvolutionNdDescriptor " + p);
    checkDnn(cudnnSetConvolutionGroupCount(conv, p.groups()), "cudnnSetConvolutionGroupCount");
    // FMA_MATH keeps FP32 exact to the reference's tolerance; DEFAULT lets cuDNN use TF32 tensor cores.
    checkDnn(cudnnSetConvolutionMathType(conv, mathType),
        "cudnnSetConvolutionMathType");
  }

  /** The forward algorithm, measured on first use. */
  int forwardAlgo(cudnnContext h) {
    if (forwardAlgo < 0) {
      int[] n = {0};
      try (cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(CUDNN_CONVOLUTION_FWD_ALGO_COUNT)) {
        if (deterministic) {
          checkDnn(cudnnGetConvolutionForwardAlgorithm_v7(h, src, weights, conv, dst, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
              n, perf), "cudnnGetConvolutionForwardAlgorithm_v7");
        } else {
          checkDnn(cudnnFindConvolutionForwardAlgorithm(h, src, weights, conv, dst, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, n,
              perf), "cudnnFindConvolutionForwardAlgorithm");
        }
        for (int i = 0; i < n[0]; i++) {
          perf.position(i);
          if (perf.status() == CUDNN_STATUS_SUCCESS
              && (!deterministic || perf.determinism() == CUDNN_DETERMINISTIC && perf.mathType() == mathType)) {
            forwardAlgo = perf.algo();
            forwardWorkspace = perf.memory();
            break;
          }
        }
      }
      if (forwardAlgo < 0) {
        throw new IllegalStateException("cudnn: no " + (deterministic ? "deterministic " : "") + "forward convolution algorithm for this shape");
      }
    }
    return forwardAlgo;
  }

  long forwardWorkspace() {
    return forwardWorkspace;
  }

  /** The backward-data algorithm, measured on first use. */
  int backwardDataAlgo(cudnnContext h) {
    if (backwardDataAlgo < 0) {
      int[] n = {0};
      try (cudnnConvolutionBwdDataAlgoPerf_t perf =
          new cudnnConvolutionBwdDataAlgoPerf_t(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT)) {
        if (deterministic) {
          checkDnn(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, weights, dst, conv, src,
              CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, n, perf), "cudnnGetConvolutionBackwardDataAlgorithm_v7");
        } else {
          checkDnn(cudnnFindConvolutionBackwardDataAlgorithm(h, weights, dst, conv, src,
              CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, n, perf), "cudnnFindConvolutionBackwardDataAlgorithm");
        }
        for (int i = 0; i < n[0]; i++) {
          perf.position(i);
          if (perf.status() == CUDNN_STATUS_SUCCESS
              && (!deterministic || perf.determinism() == CUDNN_DETERMINISTIC && perf.mathType() == mathType)) {
            backwardDataAlgo = perf.algo();
            backwardDataWorkspace = perf.memory();
            break;
          }
        }
      }
      if (backwardDataAlgo < 0) {
        throw new IllegalStateException("cudnn: no " + (deterministic ? "deterministic " : "") + "backward-data convolution algorithm for this shape");
      }
    }
    return backwardDataAlgo;
  }

  long backwardDataWorkspace() {
    return backwardDataWorkspace;
  }

  /** The backward-weights (filter) algorithm, measured on first use. */
  int backwardWeightsAlgo(cudnnContext h) {
    if (backwardWeightsAlgo < 0) {
      int[] n = {0};
      try (cudnnConvolutionBwdFilterAlgoPerf_t perf =
          new cudnnConvolutionBwdFilterAlgoPerf_t(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT)) {
        if (deterministic) {
          checkDnn(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, src, dst, conv, weights,
              CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, n, perf), "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
        } else {
          checkDnn(cudnnFindConvolutionBackwardFilterAlgorithm(h, src, dst, conv, weights,
              CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, n, perf), "cudnnFindConvolutionBackwardFilterAlgorithm");
        }
        for (int i = 0; i < n[0]; i++) {
          perf.position(i);
          if (perf.status() == CUDNN_STATUS_SUCCESS
              && (!deterministic || perf.determinism() == CUDNN_DETERMINISTIC && perf.mathType() == mathType)) {
            backwardWeightsAlgo = perf.algo();
            backwardWeightsWorkspace = perf.memory();
            break;
          }
        }
      }
      if (backwardWeightsAlgo < 0) {
        throw new IllegalStateException("cudnn: no " + (deterministic ? "deterministic " : "") + "backward-weights convolution algorithm for this shape");
      }
    }
    return backwardWeightsAlgo;
  }

  long backwardWeightsWorkspace() {
    return backwardWeightsWorkspace;
  }

  @Override
  public void close() {
    CudnnDescriptors.destroy(src);
    CudnnDescriptors.destroy(weights);
    CudnnDescriptors.destroy(dst);
    CudnnDescriptors.destroy(bias);
    if (!conv.isNull()) {
      cudnnDestroyConvolutionDescriptor(conv);
    }
  }
}
