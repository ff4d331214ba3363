package dev.fovea.kernels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/** Chooses a backend by name: {@code reference}, {@code onednn}, ... or {@code auto}. */
public final class Backends {
  private Backends() {}

  /** Every provider on the class path, highest priority first. */
  public static List<BackendProvider> providers() {
    List<BackendProvider> list = new ArrayList<>();
    ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(list::add);
    list.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
    return list;
  }

  /**
   * The provider for {@code name}, as {@link #resolve(String, boolean, Consumer)} when no GPUs were
   * asked for.
   *
   * @throws IllegalArgumentException for an unknown name, or a named backend that cannot run here
   */
  public static BackendProvider resolve(String name, Consumer<String> warn) {
    return resolve(name, false, warn);
  }

  /**
   * The provider for {@code name}. {@code auto} picks the available provider of highest priority
   * (cuda, then onednn, then reference) and reports through {@code warn} each preferred one it
   * passed over, with the reason; a GPU backend it passes over is reported only when {@code
   * gpusRequested} (the user or the Spark configuration asked for GPUs), so a CPU user sees no word
   * of CUDA.
   *
   * @throws IllegalArgumentException for an unknown name, or a named backend that cannot run here
   */
  public static BackendProvider resolve(String name, boolean gpusRequested, Consumer<String> warn) {
    List<BackendProvider> all = providers();
    if ("auto".equals(name)) {
      for (BackendProvider p : all) {
        if (p.isAvailable()) {
          return p;
        }
        if (gpusRequested || !p.usesGpu()) {
          warn.accept("backend " + p.name() + " is not available (" + p.unavailableReason() + "); falling back");
        }
      }
      throw new IllegalStateException("no backend is available");
    }
    for (BackendProvider p : all) {
      if (p.name().equals(name)) {
        if (!p.isAvailable()) {
          throw new IllegalArgumentException("backend " + name + " cannot run here: " + p.unavailableReason());
        }
        return p;
      }
    }
    List<String> names = new ArrayList<>();
    all.forEach(p -> names.add(p.name()));
    throw new IllegalArgumentException("unknown backend '" + name + "'; known: auto, " + String.join(", ", names));
  }
}
