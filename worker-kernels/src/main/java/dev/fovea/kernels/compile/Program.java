package dev.fovea.kernels.compile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A list of actions planned once and run many times, each tagged with what it is for ({@code
 * node/part}, e.g. {@code conv1/fwd.weights}), with an optional profile: seconds per tag, each
 * action then waiting for the device so that the times add up to the program's.
 */
public final class Program {
  private final List<Runnable> actions = new ArrayList<>();
  private final List<String> tags = new ArrayList<>();
  private long[] ns;

  /** Appends {@code action} tagged {@code tag}. */
  public void add(String tag, Runnable action) {
    actions.add(action);
    tags.add(tag);
  }

  /** How many actions the program has. */
  public int size() {
    return actions.size();
  }

  /**
   * Runs every action inside {@code stream.enter()} and {@code exit()}, then waits for the device;
   * when {@code profiling}, times each action (waiting after each) into this program's profile.
   */
  public void run(DeviceStream stream, boolean profiling) {
    stream.enter();
    try {
      if (profiling) {
        if (ns == null) {
          ns = new long[actions.size()];
        }
        for (int k = 0; k < actions.size(); k++) {
          long t0 = System.nanoTime();
          actions.get(k).run();
          stream.sync();
          ns[k] += System.nanoTime() - t0;
        }
      } else {
        for (Runnable r : actions) {
          r.run();
        }
      }
      stream.sync();
    } finally {
      stream.exit();
    }
  }

  /** Clears the profile. */
  public void resetProfile() {
    ns = null;
  }

  /** Adds the seconds spent per tag since the profile was reset into {@code out}. */
  public void profileInto(Map<String, Double> out) {
    if (ns == null) {
      return;
    }
    for (int k = 0; k < ns.length; k++) {
      out.merge(tags.get(k), ns[k] / 1e9, Double::sum);
    }
  }

  /** Seconds per tag since the profile was reset. */
  public Map<String, Double> profile() {
    Map<String, Double> out = new LinkedHashMap<>();
    profileInto(out);
    return out;
  }

  /** Forgets every action. */
  public void clear() {
    actions.clear();
    tags.clear();
    ns = null;
  }
}
