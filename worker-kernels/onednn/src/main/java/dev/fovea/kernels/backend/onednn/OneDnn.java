package dev.fovea.kernels.backend.onednn;

import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.Tensor;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.javacpp.Loader;

/**
 * Loading of the native library and small helpers over oneDNN's C API: status checks, plain
 * (row-major) memory descriptors, and the FLOAT32 test every op makes before going native.
 */
final class OneDnn {
  private OneDnn() {}

  /** The system property that hides the native library, to test the unavailable path. */
  static final String DISABLE_PROPERTY = "fovea.onednn.disable";

  private static volatile String loadFailure;
  private static volatile boolean loaded;

  /** Null when the library loads and a CPU engine exists here, else the reason in one line. */
  static synchronized String unavailableReason() {
    if (Boolean.getBoolean(DISABLE_PROPERTY)) {
      return "disabled by " + DISABLE_PROPERTY;
    }
    if (loaded) {
      return null;
    }
    if (loadFailure != null) {
      return loadFailure;
    }
    try {
      Loader.load(org.bytedeco.dnnl.global.dnnl.class);
      if (dnnl_engine_get_count(dnnl_cpu) < 1) {
        loadFailure = "oneDNN loaded but reports no CPU engine";
        return loadFailure;
      }
      loaded = true;
      return null;
    } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError, ...: never let it escape
      String msg = t.getMessage() == null ? "" : t.getMessage().lines().findFirst().orElse("");
      loadFailure = "cannot load the oneDNN native library (" + t.getClass().getSimpleName() + ": " + msg + ")";
      return loadFailure;
    }
  }

  /** {@code major.minor.patch (cpu runtime R)} of the loaded library. */
  static String version() {
    dnnl_version_t v = dnnl_version();
    return v.major() + "." + v.minor() + "." + v.patch() + " (cpu runtime " + runtimeName(v.cpu_runtime()) + ")";
  }

  static String runtimeName(int runtime) {
    if (runtime == DNNL_RUNTIME_OMP) {
      return "OpenMP";
    } else if (runtime == DNNL_RUNTIME_TBB) {
      return "TBB";
    } else if (runtime == DNNL_RUNTIME_THREADPOOL) {
      return "threadpool";
    } else if (runtime == DNNL_RUNTIME_SEQ) {
      return "sequential";
    }
    return "unknown " + runtime;
  }

  /** Thrown when oneDNN has no implementation for a descriptor; the caller falls back. */
  static final class Unimplemented extends dev.fovea.kernels.compile.Unsupported {
    private static final long serialVersionUID = 1L;

    Unimplemented(String what) {
      super("oneDNN has no implementation for " + what);
    }
  }

  /** Throws unless {@code status} is {@code dnnl_success}. */
  static void check(int status, String what) {
    if (status == dnnl_success) {
      return;
    }
    if (status == dnnl_unimplemented) {
      throw new Unimplemented(what);
    }
    throw new IllegalStateException("oneDNN " + what + " failed: " + statusName(status));
  }

  static String statusName(int status) {
    if (status == dnnl_out_of_memory) {
      return "out of memory";
    } else if (status == dnnl_invalid_arguments) {
      return "invalid arguments";
    } else if (status == dnnl_unimplemented) {
      return "unimplemented";
    } else if (status == dnnl_runtime_error) {
      return "runtime error";
    }
    return "status " + status;
  }

  /** The format tag of a dense row-major tensor of the given rank (a, ab, abc, ...). */
  static int plainTag(int rank) {
    return switch (rank) {
      case 1 -> dnnl_a;
      case 2 -> dnnl_ab;
      case 3 -> dnnl_abc;
      case 4 -> dnnl_abcd;
      case 5 -> dnnl_abcde;
      case 6 -> dnnl_abcdef;
      default -> throw new IllegalArgumentException("rank " + rank + " is not supported by oneDNN");
    };
  }

  /** A new f32 memory descriptor; the caller destroys it. {@code tag} may be format_tag_any. */
  static dnnl_memory_desc md(long[] dims, int tag) {
    dnnl_memory_desc md = new dnnl_memory_desc();
    check(dnnl_memory_desc_create_with_tag(md, dims.length, dims, dnnl_f32, tag), "memory_desc_create");
    return md;
  }

  /** A new dense row-major f32 memory descriptor; the caller destroys it. */
  static dnnl_memory_desc plain(long... dims) {
    return md(dims, plainTag(dims.length));
  }

  /** A new f32 memory descriptor letting the primitive choose its layout. */
  static dnnl_memory_desc any(long... dims) {
    return md(dims, dnnl_format_tag_any);
  }

  static dnnl_engine newEngine() {
    dnnl_engine engine = new dnnl_engine();
    check(dnnl_engine_create(engine, dnnl_cpu, 0), "engine_create");
    return engine;
  }

  /** Whether every tensor is FLOAT32 (null tensors are ignored); the native ops need it. */
  static boolean allFloat(Tensor... tensors) {
    for (Tensor t : tensors) {
      if (t != null && t.dtype() != dev.fovea.kernels.DType.FLOAT32) {
        return false;
      }
    }
    return true;
  }

  static long[] longs(int... values) {
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
