package dev.fovea.driver.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the dashboard shows of a run, as it happens: per round, per epoch, per worker task, the
 * latest evaluation and, at the end, the summary. Written by the training loop and Spark's listener
 * bus, read by the dashboard's HTTP threads; every method is synchronised. {@link #json()} is the
 * document the page draws: series in columns (one array per quantity, as uPlot takes them).
 */
public final class RunRecord {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final double MIB = 1024.0 * 1024.0;

  private final ObjectNode meta;
  private final Map<String, ArrayNode> rounds = new LinkedHashMap<>();
  private final Map<String, ArrayNode> epochs = new LinkedHashMap<>();
  /** Round → stage → worker → (executor, seconds): the training tasks as Spark's listener saw them. */
  private final TreeMap<Long, TreeMap<Integer, TreeMap<Integer, Task>>> tasks = new TreeMap<>();
  private final List<Long> roundNumbers = new ArrayList<>();
  private JsonNode evaluation;
  private JsonNode summary;
  private String status = "preparing";

  private record Task(String executor, double seconds, double peakHeapMib) {}

  /** An empty record: the run is preparing its data. */
  public RunRecord() {
    meta = JSON.createObjectNode();
    for (String k : List.of("round", "epoch", "loss", "images_per_second", "seconds", "compute_seconds",
        "sync_seconds", "lr", "heap_used_mib", "heap_committed_mib")) {
      rounds.put(k, JSON.createArrayNode());
    }
    for (String k : List.of("epoch", "train_loss", "test_accuracy", "test_top5_accuracy", "test_loss")) {
      epochs.put(k, JSON.createArrayNode());
    }
  }

  /**
   * The run knows what it will train: training starts.
   *
   * @param title the page's heading
   * @param classes class names, in label order
   * @param settings the run's settings as shown (flat: names to numbers or strings)
   * @param totalRounds rounds the run will train, all epochs together
   * @param roundsPerEpoch rounds per epoch
   */
  public synchronized void begin(String title, List<String> classes, Map<String, Object> settings, long totalRounds,
      int roundsPerEpoch) {
    meta.put("title", title);
    meta.putPOJO("classes", List.copyOf(classes));
    meta.set("settings", JSON.valueToTree(settings));
    meta.put("total_rounds", totalRounds);
    meta.put("rounds_per_epoch", roundsPerEpoch);
    status = "running";
  }

  /**
   * One round, as the driver measured it.
   *
   * @param seconds the round's wall time on the driver
   * @param computeSeconds the slowest worker's compute time; the rest of the round is synchronisation
   * @param lr the learning rate the round trained with; NaN when not known (a resumed run's history)
   */
  public synchronized void round(long round, int epoch, double loss, long images, double seconds,
      double computeSeconds, double lr) {
    Runtime rt = Runtime.getRuntime();
    roundNumbers.add(round);
    rounds.get("round").add(round);
    rounds.get("epoch").add(epoch);
    rounds.get("loss").add(loss);
    rounds.get("images_per_second").add(seconds > 0 ? images / seconds : 0);
    rounds.get("seconds").add(seconds);
    rounds.get("compute_seconds").add(computeSeconds);
    rounds.get("sync_seconds").add(Math.max(0, seconds - computeSeconds));
    number(rounds.get("lr"), lr);
    rounds.get("heap_used_mib").add((rt.totalMemory() - rt.freeMemory()) / MIB);
    rounds.get("heap_committed_mib").add(rt.totalMemory() / MIB);
  }

  /** One epoch's training loss and test metrics. */
  public synchronized void epoch(int epoch, double trainLoss, double accuracy, double top5, double testLoss) {
    epochs.get("epoch").add(epoch);
    number(epochs.get("train_loss"), trainLoss);
    number(epochs.get("test_accuracy"), accuracy);
    number(epochs.get("test_top5_accuracy"), top5);
    number(epochs.get("test_loss"), testLoss);
  }

  /**
   * The latest evaluation's details: {@code confusion} (rows: true class), {@code per_class}
   * accuracy, {@code mistakes} (objects with {@code image}, a PNG data URI, {@code truth}, {@code
   * predicted}, {@code confidence}).
   */
  public synchronized void evaluation(JsonNode details) {
    evaluation = details;
  }

  /**
   * A training task of {@code round} finished: worker {@code worker} (the task's partition) ran in
   * stage {@code stage} on {@code executor} for {@code seconds}; {@code peakHeapBytes} is the
   * executor's peak JVM heap during the task as Spark reports it, 0 when not measured.
   */
  public synchronized void task(long round, int stage, int worker, String executor, double seconds,
      long peakHeapBytes) {
    tasks.computeIfAbsent(round, r -> new TreeMap<>()).computeIfAbsent(stage, s -> new TreeMap<>())
        .put(worker, new Task(executor, seconds, peakHeapBytes / MIB));
  }

  /** The run has ended; {@code summaryJson} is its summary.json. */
  public synchronized void finish(String summaryJson) {
    try {
      summary = JSON.readTree(summaryJson);
    } catch (IOException e) {
      throw new IllegalStateException("summary.json: " + e.getMessage(), e);
    }
    status = "finished";
  }

  /** Rounds recorded so far. */
  public synchronized int rounds() {
    return roundNumbers.size();
  }

  /** The whole record as the page reads it. */
  public synchronized String json() {
    ObjectNode root = meta.deepCopy();
    root.put("status", status);
    ObjectNode r = root.putObject("rounds");
    rounds.forEach(r::set);
    ObjectNode e = root.putObject("epochs");
    epochs.forEach(e::set);
    root.set("workers", workers());
    if (evaluation != null) {
      root.set("evaluation", evaluation);
    }
    if (summary != null) {
      root.set("summary", summary);
    }
    try {
      return JSON.writeValueAsString(root);
    } catch (IOException ex) {
      throw new IllegalStateException(ex);
    }
  }

  /**
   * Per worker, its training task's seconds in each recorded round (null where none was seen), and
   * per executor its peak JVM heap in each round where Spark measured it. A round's training stage
   * is the first of its stages that ran tasks (later ones average, earlier ones were skipped).
   */
  private ObjectNode workers() {
    TreeMap<Integer, String> executorOf = new TreeMap<>();
    TreeMap<String, Boolean> measuredHeap = new TreeMap<>();
    List<TreeMap<Integer, Task>> perRound = new ArrayList<>();
    for (long round : roundNumbers) {
      TreeMap<Integer, TreeMap<Integer, Task>> stages = tasks.get(round);
      TreeMap<Integer, Task> training = stages == null ? new TreeMap<>() : stages.firstEntry().getValue();
      perRound.add(training);
      training.forEach((w, t) -> {
        executorOf.put(w, t.executor());
        if (t.peakHeapMib() > 0) {
          measuredHeap.put(t.executor(), true);
        }
      });
    }
    ObjectNode out = JSON.createObjectNode();
    ArrayNode labels = out.putArray("labels");
    ArrayNode seconds = out.putArray("seconds");
    executorOf.forEach((w, executor) -> {
      labels.add("worker " + w + " (executor " + executor + ")");
      ArrayNode s = seconds.addArray();
      for (TreeMap<Integer, Task> round : perRound) {
        Task t = round.get(w);
        if (t == null) {
          s.addNull();
        } else {
          s.add(t.seconds());
        }
      }
    });
    ArrayNode heapLabels = out.putArray("heap_labels");
    ArrayNode heap = out.putArray("peak_heap_mib");
    for (String executor : measuredHeap.keySet()) {
      heapLabels.add("executor " + executor + " peak heap");
      ArrayNode s = heap.addArray();
      for (TreeMap<Integer, Task> round : perRound) {
        double peak = 0;
        for (Task t : round.values()) {
          if (t.executor().equals(executor)) {
            peak = Math.max(peak, t.peakHeapMib());
          }
        }
        if (peak > 0) {
          s.add(peak);
        } else {
          s.addNull();
        }
      }
    }
    return out;
  }

  private static void number(ArrayNode a, double v) {
    if (Double.isFinite(v)) {
      a.add(v);
    } else {
      a.addNull();
    }
  }
}
