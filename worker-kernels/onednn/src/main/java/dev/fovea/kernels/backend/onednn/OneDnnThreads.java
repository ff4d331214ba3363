package dev.fovea.kernels.backend.onednn;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

/**
 * Applies a backend's thread limit to the OpenMP runtime (GNU libgomp) that the bytedeco oneDNN
 * build runs its primitives on. See the package documentation for the whole story; in short:
 *
 * <ul>
 *   <li>OpenMP's thread count is a per-thread setting ({@code omp_set_num_threads} sets the calling
 *       thread's {@code nthreads-var}), read by oneDNN when it plans and runs a primitive. The
 *       JavaCPP presets do not expose it, so it is bound at run time through the JDK 17 foreign
 *       linker ({@code jdk.incubator.foreign}) at the address JavaCPP's {@link Loader#addressof}
 *       finds in the loaded libgomp. The incubator is reached by reflection so the code compiles
 *       without incubator warnings; it needs the JVM flags {@code --add-modules
 *       jdk.incubator.foreign --enable-native-access=ALL-UNNAMED}.
 *   <li>Without those flags nothing can be set from Java: libgomp then uses {@code
 *       OMP_NUM_THREADS} from the process environment (read once, when it loads), or else one
 *       thread per CPU of the process's affinity mask. {@link #enforced()} is false and the backend
 *       warns when that default may exceed its limit.
 * </ul>
 */
final class OneDnnThreads {
  private OneDnnThreads() {}

  private static final MethodHandle SET_NUM_THREADS;
  private static final MethodHandle GET_MAX_THREADS;
  private static final String UNBOUND_REASON;

  static {
    MethodHandle set = null;
    MethodHandle get = null;
    String reason = null;
    try {
      set = downcall("omp_set_num_threads", true);
      get = downcall("omp_get_max_threads", false);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      reason = cause.getClass().getSimpleName() + ": " + cause.getMessage();
      set = null;
      get = null;
    }
    SET_NUM_THREADS = set;
    GET_MAX_THREADS = get;
    UNBOUND_REASON = reason;
  }

  /** A method handle {@code (int)void} (setter) or {@code ()int} for a libgomp function. */
  private static MethodHandle downcall(String symbol, boolean setter) throws ReflectiveOperationException {
    Pointer address = Loader.addressof(symbol);
    if (address == null || address.isNull()) {
      throw new IllegalStateException(symbol + " not found in the loaded native libraries");
    }
    Class<?> linker = Class.forName("jdk.incubator.foreign.CLinker");
    Class<?> memoryAddress = Class.forName("jdk.incubator.foreign.MemoryAddress");
    Class<?> addressable = Class.forName("jdk.incubator.foreign.Addressable");
    Class<?> descriptor = Class.forName("jdk.incubator.foreign.FunctionDescriptor");
    Class<?> layout = Class.forName("jdk.incubator.foreign.MemoryLayout");
    Object cInt = linker.getField("C_INT").get(null);
    Object none = Array.newInstance(layout, 0);
    Object oneInt = Array.newInstance(layout, 1);
    Array.set(oneInt, 0, cInt);
    Object fd = setter
        ? descriptor.getMethod("ofVoid", oneInt.getClass()).invoke(null, oneInt)
        : descriptor.getMethod("of", layout, none.getClass()).invoke(null, cInt, none);
    MethodType type = setter ? MethodType.methodType(void.class, int.class) : MethodType.methodType(int.class);
    Object instance = linker.getMethod("getInstance").invoke(null);
    Object target = memoryAddress.getMethod("ofLong", long.class).invoke(null, address.address());
    Method downcallHandle = linker.getMethod("downcallHandle", addressable, MethodType.class, descriptor);
    return (MethodHandle) downcallHandle.invoke(instance, target, type, fd);
  }

  /** Whether {@link #limit} can set the thread count (the foreign linker is reachable). */
  static boolean enforced() {
    return SET_NUM_THREADS != null;
  }

  /** Why {@link #enforced()} is false, in one line; null when it is true. */
  static String unenforcedReason() {
    return UNBOUND_REASON;
  }

  /** The value this class last gave {@code omp_set_num_threads} on each thread; 0 before. */
  private static final ThreadLocal<int[]> CURRENT = ThreadLocal.withInitial(() -> new int[1]);

  /**
   * Makes the oneDNN primitives that the calling thread plans and runs next use at most {@code
   * threads} threads. A no-op when {@link #enforced()} is false. The native call is made only when
   * the value differs from the one this class last set on this thread (it assumes no other code
   * on the thread calls {@code omp_set_num_threads}).
   */
  static void limit(int threads) {
    if (SET_NUM_THREADS == null) {
      return;
    }
    int[] current = CURRENT.get();
    if (current[0] == threads) {
      return;
    }
    try {
      SET_NUM_THREADS.invokeExact(threads);
    } catch (Throwable t) {
      throw new IllegalStateException("omp_set_num_threads failed", t);
    }
    current[0] = threads;
  }

  /**
   * The most threads the calling thread's next oneDNN primitive may use: {@code
   * omp_get_max_threads()} when bound, else libgomp's default as far as Java can tell ({@code
   * OMP_NUM_THREADS} or the available processors).
   */
  static int maxThreads() {
    if (GET_MAX_THREADS != null) {
      try {
        return (int) GET_MAX_THREADS.invokeExact();
      } catch (Throwable t) {
        throw new IllegalStateException("omp_get_max_threads failed", t);
      }
    }
    String env = System.getenv("OMP_NUM_THREADS");
    if (env != null) {
      try {
        return Integer.parseInt(env.split(",")[0].trim());
      } catch (NumberFormatException e) {
        // libgomp ignores a malformed value too and falls back to the CPU count
      }
    }
    return Runtime.getRuntime().availableProcessors();
  }
}
