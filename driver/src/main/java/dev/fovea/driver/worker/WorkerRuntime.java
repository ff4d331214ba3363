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

/**
 * Per-JVM state of an executor: backends kept between rounds (a native backend's plans and buffers
 * survive from one round to the next) and built networks. Backends are borrowed by one task at a
 * time and closed when the JVM exits.
 */
public final class WorkerRuntime {
  private static final Map<String, ArrayDeque<Backend>> IDLE = new HashMap<>();
  private static final Map<String, Network> NETWORKS = new HashMap<>();
  private static final java.util.List<Backend> ALL = new java.util.ArrayList<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(WorkerRuntime::closeAll, "fovea-backend-close"));
  }

  private WorkerRuntime() {}

  /** A backend for this task; give it back with {@link #release}. */
  public static synchronized Backend borrow(String name, int threads) {
    String key = name + "/" + threads;
    ArrayDeque<Backend> idle = IDLE.computeIfAbsent(key, k -> new ArrayDeque<>());
    if (!idle.isEmpty()) {
      return idle.pop();
    }
    BackendProvider p = Backends.resolve(name, w -> System.err.println("fovea: warning: " + w));
    Backend b = p.create(threads);
    ALL.add(b);
    return b;
  }

  public static synchronized void release(String name, int threads, Backend b) {
    IDLE.computeIfAbsent(name + "/" + threads, k -> new ArrayDeque<>()).push(b);
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
