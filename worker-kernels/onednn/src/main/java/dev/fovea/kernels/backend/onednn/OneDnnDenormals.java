package dev.fovea.kernels.backend.onednn;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.Locale;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

/**
 * Flushes denormals to zero in oneDNN's threads without changing the Java thread's floating-point
 * mode. oneDNN has no setting for it and the JavaCPP presets expose no MXCSR access, so glibc's
 * {@code fegetenv} / {@code fesetenv} are bound through the JDK 17 foreign linker (reached by
 * reflection, like {@link OneDnnThreads}; same JVM flags). On x86-64 glibc a {@code fenv_t} is 32
 * bytes with the SSE control register {@code __mxcsr} at byte offset 28; {@link #enter()} sets its
 * FTZ (bit 15) and DAZ (bit 6) bits on the calling thread and {@link #exit()} puts back the
 * environment saved on entry, so Java code on the thread keeps IEEE gradual underflow.
 *
 * <p>OpenMP's worker threads are covered by inheritance: Linux gives a new thread its creator's
 * MXCSR, and libgomp creates a calling thread's team inside the first parallel region that needs
 * it, which with this class always runs between {@code enter} and {@code exit} (the backend wraps
 * planning and every execution). Workers never change their MXCSR afterwards, so they keep FTZ and
 * DAZ. A team created earlier by other code in the process without them would keep IEEE denormals;
 * the test {@code OneDnnBackendTest.denormalsAreFlushedInOneDnnButNotInJava} checks both sides.
 *
 * <p>Where the binding is impossible (another OS or architecture, or the JVM without {@code
 * --add-modules jdk.incubator.foreign --enable-native-access=ALL-UNNAMED}), {@link #enforced()} is
 * false, {@link #enter()} and {@link #exit()} do nothing and denormals are computed as IEEE says
 * (correct, possibly slow); {@link #unenforcedReason()} says why.
 */
final class OneDnnDenormals implements AutoCloseable {
  /** Bytes of glibc's x86-64 {@code fenv_t}. */
  static final int FENV_BYTES = 32;
  /** Byte offset of {@code __mxcsr} in it. */
  static final int MXCSR_OFFSET = 28;
  /** MXCSR flush-to-zero (results) and denormals-are-zero (inputs) bits. */
  static final int FTZ_DAZ = (1 << 15) | (1 << 6);

  private static final MethodHandle FEGETENV;
  private static final MethodHandle FESETENV;
  private static final String UNBOUND_REASON;

  static {
    MethodHandle get = null;
    MethodHandle set = null;
    String reason = null;
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      reason = "fenv_t layout known only for Linux x86-64 (glibc), not " + os + " " + arch;
    } else {
      try {
        get = downcall("fegetenv");
        set = downcall("fesetenv");
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        reason = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        get = null;
        set = null;
      }
    }
    FEGETENV = get;
    FESETENV = set;
    UNBOUND_REASON = reason;
  }

  /** A method handle {@code (long address)int} for {@code int symbol(fenv_t *)}. */
  private static MethodHandle downcall(String symbol) throws ReflectiveOperationException {
    Class<?> linker = Class.forName("jdk.incubator.foreign.CLinker");
    Class<?> memoryAddress = Class.forName("jdk.incubator.foreign.MemoryAddress");
    Class<?> addressable = Class.forName("jdk.incubator.foreign.Addressable");
    Class<?> descriptor = Class.forName("jdk.incubator.foreign.FunctionDescriptor");
    Class<?> layout = Class.forName("jdk.incubator.foreign.MemoryLayout");
    Object target;
    Pointer address = Loader.addressof(symbol);
    if (address != null && !address.isNull()) {
      target = memoryAddress.getMethod("ofLong", long.class).invoke(null, address.address());
    } else {
      Object lookup = linker.getMethod("systemLookup").invoke(null);
      Object found = lookup.getClass().getMethod("lookup", String.class).invoke(lookup, symbol);
      target = ((java.util.Optional<?>) found).orElseThrow(
          () -> new IllegalStateException(symbol + " not found in the loaded native libraries"));
    }
    Object cInt = linker.getField("C_INT").get(null);
    Object cPointer = linker.getField("C_POINTER").get(null);
    Object args = Array.newInstance(layout, 1);
    Array.set(args, 0, cPointer);
    Object fd = descriptor.getMethod("of", layout, args.getClass()).invoke(null, cInt, args);
    MethodType type = MethodType.methodType(int.class, memoryAddress);
    Object instance = linker.getMethod("getInstance").invoke(null);
    Method downcallHandle = linker.getMethod("downcallHandle", addressable, MethodType.class, descriptor);
    MethodHandle h = (MethodHandle) downcallHandle.invoke(instance, target, type, fd);
    MethodHandle ofLong = MethodHandles.publicLookup().findStatic(memoryAddress, "ofLong",
        MethodType.methodType(memoryAddress, long.class));
    return MethodHandles.filterArguments(h, 0, ofLong);
  }

  /** Whether denormals are flushed in oneDNN's threads. */
  static boolean enforced() {
    return FESETENV != null;
  }

  /** Why {@link #enforced()} is false, in one line; null when it is true. */
  static String unenforcedReason() {
    return UNBOUND_REASON;
  }

  private final BytePointer saved;
  private final BytePointer flushing;
  private int depth;

  /** Native room for two environments, freed by {@link #close()}. */
  OneDnnDenormals() {
    if (enforced()) {
      saved = new BytePointer(FENV_BYTES);
      flushing = new BytePointer(FENV_BYTES);
    } else {
      saved = null;
      flushing = null;
    }
  }

  /** Saves the calling thread's environment and sets FTZ and DAZ; nested calls only count. */
  void enter() {
    if (saved == null || depth++ > 0) {
      return;
    }
    call(FEGETENV, saved, "fegetenv");
    Pointer.memcpy(flushing, saved, FENV_BYTES);
    flushing.putInt(MXCSR_OFFSET, flushing.getInt(MXCSR_OFFSET) | FTZ_DAZ);
    call(FESETENV, flushing, "fesetenv");
  }

  /** Puts back the environment {@link #enter()} saved. */
  void exit() {
    if (saved == null || --depth > 0) {
      return;
    }
    call(FESETENV, saved, "fesetenv");
  }

  private static void call(MethodHandle h, BytePointer env, String what) {
    int status;
    try {
      status = (int) h.invokeExact(env.address());
    } catch (Throwable t) {
      throw new IllegalStateException(what + " failed", t);
    }
    if (status != 0) {
      throw new IllegalStateException(what + " returned " + status);
    }
  }

  @Override
  public void close() {
    if (saved != null) {
      saved.close();
      flushing.close();
    }
  }
}
