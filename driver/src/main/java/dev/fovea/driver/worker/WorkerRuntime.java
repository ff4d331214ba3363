package dev.fovea.driver.worker;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BackendProvider;
import dev.fovea.kernels.Backends;
import dev.fovea.nn.Network;
import dev.fovea.nn.NetworkJson;
import dev.fovea.nn.Zoo;
import dev.fovea.kernels.Shape;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.TaskContext;

/**
 * Per-JVM state of an executor: backends kept between rounds (a native backend's plans and buffers
 * survive from one round to the next) and built networks. Backends are borrowed by one task at a
 * time and closed when the JVM exits.
 */
public final class WorkerRuntime {
  private static final Map<String, ArrayDeque<Backend>> IDLE = new HashMap<>();
  private static final Map<String, Network> NETWORKS = new HashMap<>();
  private static final java.util.List<Backend> ALL = new java.util.ArrayList<>();
  private static final Map<Backend, String> KEYS = new java.util.IdentityHashMap<>();
  private static final Map<Backend, Integer> DEVICES = new java.util.IdentityHashMap<>();
  private static final java.util.Set<String> WARNED = new java.util.HashSet<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(WorkerRuntime::closeAll, "fovea-backend-close"));
  }

  private WorkerRuntime() {}

  /**
   * A backend for this task; give it back with {@link #release}. On a task Spark gave a GPU, the
   * backend is created for that device ordinal ({@link TaskGpus#ordinal}), and {@code auto} reports
   * once per executor JVM that it passed over an unavailable cuda backend; without a GPU it stays
   * silent about CUDA.
   */
  public static synchronized Backend borrow(String name, int threads) {
    int device = TaskGpus.ordinal();
    String key = name + "/" + threads + "/" + device;
    ArrayDeque<Backend> idle = IDLE.computeIfAbsent(key, k -> new ArrayDeque<>());
    Backend b;
    if (!idle.isEmpty()) {
      b = idle.pop();
    } else {
      BackendProvider p = Backends.resolve(name, device >= 0, WorkerRuntime::warnOnce);
      b = p.create(threads, device);
      if (device >= 0) {
        TaskContext tc = TaskContext.get();
        System.err.println("fovea: task " + tc.partitionId() + " (attempt " + tc.taskAttemptId() + ") has GPU address "
            + device + ": backend " + p.name() + " created for device " + device);
      }
      ALL.add(b);
      DEVICES.put(b, device);
    }
    KEYS.put(b, key);
    return b;
  }

  /** The device ordinal {@code b} was created for; -1 for none (a task without a GPU). */
  public static synchronized int deviceOf(Backend b) {
    Integer d = DEVICES.get(b);
    return d == null ? -1 : d;
  }

  public static synchronized void release(String name, int threads, Backend b) {
    String key = KEYS.remove(b);
    IDLE.computeIfAbsent(key != null ? key : name + "/" + threads + "/-1", k -> new ArrayDeque<>()).push(b);
  }

  private static void warnOnce(String warning) {
    if (WARNED.add(warning)) {
      System.err.println("fovea: warning: " + warning);
    }
  }

  /**
   * The network of {@code model}, built once per JVM: a zoo name, or a network's description as
   * {@link NetworkJson} writes it (a JSON object; a model file's architecture), which must take
   * {@code input} and have {@code classes} outputs. Networks hold no parameters and are thread-safe.
   */
  public static synchronized Network network(String model, Shape input, int classes) {
    Function<String, Network> build = k -> {
      if (!model.startsWith("{")) {
        return Zoo.build(model, input, classes);
      }
      Network net = NetworkJson.parse(model, "the model's architecture");
      // a network trained towards target tensors was checked against them on the driver (ModelSpec.build)
      if (!net.inputShape().equals(input) || net.loss().readsLabels() && net.numClasses() != classes) {
        throw new IllegalArgumentException("the model's architecture takes " + net.inputShape() + " to "
            + net.numClasses() + " classes, the data is " + input + " with " + classes + " classes");
      }
      return net;
    };
    return NETWORKS.computeIfAbsent(model + input + classes, build);
  }

  private static synchronized void closeAll() {
    for (Backend b : ALL) {
      try {
        b.close();
      } catch (RuntimeException e) {
        // shutting down: nothing more to do
      }
    }
    ALL.clear();
  }
}
