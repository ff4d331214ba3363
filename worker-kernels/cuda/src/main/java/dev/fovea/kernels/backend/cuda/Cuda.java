package dev.fovea.kernels.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;

import dev.fovea.kernels.OneLine;
import org.bytedeco.javacpp.Loader;

/**
 * Loading of the CUDA runtime, cuDNN and cuBLAS through JavaCPP, the device count, and status
 * checks. The presets bring only their JNI glue: {@code libcudart}, {@code libcudnn} and {@code
 * libcublas} must be found on the machine ({@code LD_LIBRARY_PATH}), so detection has to expect a
 * load failure and turn it into a reason, never an exception.
 */
final class Cuda {
  private Cuda() {}

  /** The system property that hides CUDA, to test the unavailable path on a GPU machine. */
  static final String DISABLE_PROPERTY = "fovea.cuda.disable";

  private static String reason;
  private static boolean probed;
  private static int devices;

  /** Null when the libraries load and at least one device exists, else the reason in one line. */
  static synchronized String unavailableReason() {
    if (Boolean.getBoolean(DISABLE_PROPERTY)) {
      return "disabled by " + DISABLE_PROPERTY;
    }
    if (!probed) {
      reason = probe();
      probed = true;
    }
    return reason;
  }

  /** The number of CUDA devices here; 0 when CUDA is unavailable. */
  static synchronized int deviceCount() {
    return unavailableReason() == null ? devices : 0;
  }

  private static String probe() {
    try {
      Loader.load(org.bytedeco.cuda.global.cudart.class);
    } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError, ...: never let it escape
      return "CUDA runtime not found (" + firstLine(t) + ")";
    }
    int[] count = {0};
    int status;
    try {
      status = cudaGetDeviceCount(count);
    } catch (Throwable t) {
      return "no CUDA device (" + firstLine(t) + ")";
    }
    if (status != cudaSuccess) {
      return "no CUDA device (cudaGetDeviceCount: " + errorString(status) + ")";
    }
    if (count[0] < 1) {
      return "no CUDA device";
    }
    try {
      Loader.load(org.bytedeco.cuda.global.cudnn.class);
    } catch (Throwable t) {
      return "cuDNN not found (" + firstLine(t) + ")";
    }
    try {
      Loader.load(org.bytedeco.cuda.global.cublas.class);
    } catch (Throwable t) {
      return "cuBLAS not found (" + firstLine(t) + ")";
    }
    devices = count[0];
    return null;
  }

  /**
   * The useful line of a load failure: JavaCPP's own message only says its JNI library is not on
   * {@code java.library.path}; the root cause names the CUDA library the dynamic linker could not
   * find ({@code libcuda.so.1: cannot open shared object file: ...}).
   */
  static String firstLine(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = root.getMessage() == null ? "" : root.getMessage().lines().findFirst().orElse("");
    int so = msg.indexOf(".so: ");
    if (so >= 0 && msg.indexOf("cannot open shared object file", so) > 0) {
      msg = msg.substring(so + 5);
    }
    return OneLine.of(root.getClass().getSimpleName() + (msg.isEmpty() ? "" : ": " + msg));
  }

  private static String errorString(int status) {
    try {
      return cudaGetErrorString(status).getString() + " (" + status + ")";
    } catch (Throwable t) {
      return "error " + status;
    }
  }

  /** Throws unless a CUDA runtime call returned {@code cudaSuccess}. */
  static void check(int status, String call) {
    if (status != cudaSuccess) {
      throw new IllegalStateException("cuda: " + call + " failed: " + errorString(status));
    }
  }

  /** Throws unless a cuDNN call returned {@code CUDNN_STATUS_SUCCESS}. */
  static void checkDnn(int status, String call) {
    if (status != org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS) {
      throw new IllegalStateException("cudnn: " + call + " failed: "
          + org.bytedeco.cuda.global.cudnn.cudnnGetErrorString(status).getString() + " (" + status + ")");
    }
  }

  /** Throws unless a cuBLAS call returned {@code CUBLAS_STATUS_SUCCESS}. */
  static void checkBlas(int status, String call) {
    if (status != org.bytedeco.cuda.global.cublas.CUBLAS_STATUS_SUCCESS) {
      throw new IllegalStateException("cublas: " + call + " failed with status " + status);
    }
  }
}
