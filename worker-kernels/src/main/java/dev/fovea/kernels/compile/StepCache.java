package dev.fovea.kernels.compile;

import dev.fovea.kernels.CompiledNetwork;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.ResidentNetwork;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The compiled steps a backend holds: at most {@link #MAX_STEPS}, the least recently used freed
 * first, keyed by (owner, batch, mode) with resident steps kept apart by their state blocks; and
 * the keys that cannot compile, remembered so that they are tried once. A backend's {@code
 * compile} and {@code compileResident} are {@link #compile} and {@link #compileResident} here, so
 * the checks every backend makes (closed, compiled steps off, state blocks) are written once.
 */
public final class StepCache {
  /**
   * The most compiled steps a backend keeps: a task uses one network at one or two batch sizes
   * (the last batch of an evaluation may be smaller) in one or two modes.
   */
  public static final int MAX_STEPS = 8;

  /** Compiles one step for the cache. */
  public interface Compiler {
    /**
     * Compiles {@code graph}; throws {@link Unsupported} when the device cannot run some part of
     * it, {@link IllegalStateException} when the device refused a descriptor.
     *
     * @param stateBlocks the optimizer state blocks of a resident step, or -1 for an ordinary step
     */
    CompiledStep<?, ?> compile(NetworkGraph graph, int batch, boolean training, int stateBlocks);
  }

  /** The cache key of a compiled step: the owner (by its {@code equals}), the batch size and the mode. */
  private record Key(Object owner, int batch, boolean training) {}

  /** What a resident step is cached by: its network's owner and state blocks, kept apart from the ordinary step's. */
  private record Resident(Object owner, int stateBlocks) {}

  private final String backend;
  private final boolean enabled;
  private final Runnable bind;
  private boolean closed;
  private final Map<Key, CompiledStep<?, ?>> steps = new LinkedHashMap<>(16, 0.75f, true);
  private final Set<Key> uncompilable = new HashSet<>();
  private boolean profiling;

  /**
   * @param backend the backend's name, for messages
   * @param enabled whether the backend compiles steps at all; when false {@link #compile} and {@link
   *     #compileResident} return null (the network runs layer by layer)
   * @param bind run before every look-up of an open, enabled cache (a device backend binds its device
   *     to the calling thread)
   */
  public StepCache(String backend, boolean enabled, Runnable bind) {
    this.backend = backend;
    this.enabled = enabled;
    this.bind = bind;
  }

  /** A cache of a backend that needs nothing bound before a look-up. */
  public StepCache(String backend, boolean enabled) {
    this(backend, enabled, () -> {});
  }

  /** Whether the backend compiles steps at all. */
  public boolean enabled() {
    return enabled;
  }

  /**
   * A backend's {@link dev.fovea.kernels.NetworkCompiler#compile}: the ordinary step of {@code
   * owner}, compiled by {@code compiler} on first use; null when compiled steps are off or it cannot
   * compile.
   *
   * @throws IllegalStateException when the cache (its backend) is closed
   */
  public CompiledNetwork compile(Object owner, int batch, boolean training, Supplier<NetworkGraph> graph,
      Compiler compiler) {
    return step(owner, batch, training, -1, graph, compiler);
  }

  /**
   * A backend's {@link dev.fovea.kernels.NetworkCompiler#compileResident}: the resident training step
   * of {@code owner} with {@code stateBlocks} optimizer state blocks, compiled by {@code compiler} on
   * first use; null when compiled steps are off or it cannot compile resident.
   *
   * @throws IllegalArgumentException when {@code stateBlocks} is negative
   * @throws IllegalStateException when the cache (its backend) is closed
   */
  public ResidentNetwork compileResident(Object owner, int batch, int stateBlocks, Supplier<NetworkGraph> graph,
      Compiler compiler) {
    if (stateBlocks < 0) {
      throw new IllegalArgumentException("state blocks must be >= 0, got " + stateBlocks);
    }
    return step(owner, batch, true, stateBlocks, graph, compiler);
  }

  private CompiledStep<?, ?> step(Object owner, int batch, boolean training, int stateBlocks,
      Supplier<NetworkGraph> graph, Compiler compiler) {
    if (closed) {
      throw new IllegalStateException("backend " + backend + " is closed");
    }
    if (!enabled) {
      return null;
    }
    bind.run();
    return get(owner, batch, training, stateBlocks, graph, compiler);
  }

  /**
   * The step of {@code owner} for this batch size and mode, compiled by {@code compiler} on first
   * use; null when it cannot compile (logged once, then remembered).
   *
   * @param stateBlocks the optimizer state blocks of a resident step, or -1 for an ordinary step
   */
  private CompiledStep<?, ?> get(Object owner, int batch, boolean training, int stateBlocks,
      Supplier<NetworkGraph> graph, Compiler compiler) {
    boolean resident = stateBlocks >= 0;
    Key key = new Key(resident ? new Resident(owner, stateBlocks) : owner, batch, training);
    CompiledStep<?, ?> step = steps.get(key);
    if (step != null || uncompilable.contains(key)) {
      return step;
    }
    try {
      step = compiler.compile(graph.get(), batch, training, stateBlocks);
    } catch (Unsupported e) {
      System.getLogger(StepCache.class.getName()).log(System.Logger.Level.INFO, "backend " + backend
          + " runs this network" + (resident ? " with its parameters on the heap: " : " layer by layer: ")
          + e.getMessage());
      uncompilable.add(key);
      return null;
    } catch (IllegalStateException e) {
      // the device refused a descriptor of the graph: the network still runs, op by op, with the
      // backend's per-op paths and their own fallbacks
      System.getLogger(StepCache.class.getName()).log(System.Logger.Level.WARNING, "backend " + backend
          + " cannot compile this network" + (resident ? " resident: " : " and runs it layer by layer: ")
          + e.getMessage());
      uncompilable.add(key);
      return null;
    }
    step.profile(profiling);
    steps.put(key, step);
    if (steps.size() > MAX_STEPS) {
      Iterator<CompiledStep<?, ?>> eldest = steps.values().iterator();
      CompiledStep<?, ?> evicted = eldest.next();
      eldest.remove();
      evicted.close();
    }
    return step;
  }

  /** Turns per-action timing of every step, held and later compiled, on or off (on clears the times). */
  public void profile(boolean on) {
    profiling = on;
    steps.values().forEach(s -> s.profile(on));
  }

  /** Seconds spent per action tag of every held step since profiling was turned on. */
  public Map<String, Double> profile() {
    Map<String, Double> out = new LinkedHashMap<>();
    steps.values().forEach(s -> s.profileInto(out));
    return out;
  }

  /** Calls {@code action} on every held step. */
  public void forEach(Consumer<CompiledStep<?, ?>> action) {
    steps.values().forEach(action);
  }

  /** How many steps the cache holds. */
  public int size() {
    return steps.size();
  }

  /** Frees every held step; {@link #compile} and {@link #compileResident} throw afterwards. */
  public void close() {
    closed = true;
    steps.values().forEach(CompiledStep::close);
    steps.clear();
  }
}
