package dev.fovea.driver.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.driver.worker.Evaluation;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.apache.spark.SparkContext;

/**
 * What a training run publishes as it goes: it keeps the {@link RunRecord}, listens to Spark for
 * the round's tasks, serves the live {@link Dashboard} when asked, and renders {@code report.html}
 * at the end. The training loop calls {@link #round}, {@link #epoch} and {@link #report}; nothing
 * here changes what is trained.
 */
public final class RunMonitor implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RunRecord record = new RunRecord();
  private final SparkContext spark;
  private final TaskListener listener;
  private final Dashboard dashboard;
  private List<Double> mean = List.of(0.0);
  private List<Double> std = List.of(1.0);

  /**
   * Starts recording (and serving, when {@code options} say so; the address is announced through
   * {@code log}), before the run prepares its data.
   */
  public RunMonitor(SparkContext spark, Dashboard.Options options, Consumer<String> log) {
    this.spark = spark;
    this.listener = new TaskListener(record);
    spark.addSparkListener(listener);
    Dashboard d = null;
    if (options.enabled()) {
      String page = HtmlReport.live();
      d = Dashboard.start(options, () -> page, record::json, w -> log.accept("warning: " + w));
      if (d != null) {
        log.accept("dashboard: " + d.address());
      }
    }
    this.dashboard = d;
  }

  /**
   * Training starts; see {@link RunRecord#begin}.
   *
   * @param mean per-channel mean of pixels in [0, 1] the inputs were normalised with (to show
   *     misclassified images as they are stored)
   * @param std per-channel standard deviation, likewise
   */
  public void begin(String title, List<String> classes, Map<String, Object> settings, long totalRounds,
      int roundsPerEpoch, List<Double> mean, List<Double> std) {
    this.mean = List.copyOf(mean);
    this.std = List.copyOf(std);
    record.begin(title, classes, settings, totalRounds, roundsPerEpoch);
  }

  /** The record's document, as the page reads it. */
  public String json() {
    return record.json();
  }

  /** The live dashboard's address, or null when none is served. */
  public String address() {
    return dashboard == null ? null : dashboard.address();
  }

  /** The job group of round {@code round} (1-based), by which the task listener knows the round's jobs. */
  public static String jobGroup(long round) {
    return TaskListener.GROUP_PREFIX + round;
  }

  /** A Spark job description: {@code description}, and the dashboard's address when one is served. */
  public String describe(String description) {
    // Spark's UI renders a description as HTML only when its links are root-relative (UIUtils.makeDescription);
    // an absolute link would show the whole description escaped, so the address is plain text
    return dashboard == null ? description : description + " · dashboard " + dashboard.address();
  }

  /** See {@link RunRecord#round}. */
  public void round(long round, int epoch, double loss, long images, double seconds, double computeSeconds,
      double lr) {
    record.round(round, epoch, loss, images, seconds, computeSeconds, lr);
    FoveaMetrics.round(round, epoch, loss, images, seconds, computeSeconds, lr);
  }

  /** An epoch's metrics and its evaluation's confusion matrix, per-class accuracy and worst mistakes. */
  public void epoch(int epoch, double trainLoss, Evaluation e) {
    record.epoch(epoch, trainLoss, e.accuracy(), e.top5Accuracy(), e.meanLoss());
    FoveaMetrics.evaluation(e.accuracy(), e.meanLoss());
    record.evaluation(details(epoch, e));
  }

  /** Restores the rounds and epochs of a resumed run's history (history.jsonl, epochs.jsonl contents). */
  public void restore(String history, String epochs) {
    for (JsonNode h : lines(history)) {
      record.round(h.path("round").asLong(), h.path("epoch").asInt(), h.path("loss").asDouble(),
          h.path("images").asLong(), h.path("seconds").asDouble(), h.path("compute_seconds").asDouble(), Double.NaN);
    }
    for (JsonNode e : lines(epochs)) {
      record.epoch(e.path("epoch").asInt(), e.path("train_loss").asDouble(), e.path("test_accuracy").asDouble(),
          e.path("test_top5_accuracy").asDouble(), e.path("test_loss").asDouble());
    }
  }

  /** The run's end: its summary.json; returns report.html (the page with the final data inlined). */
  public String report(String summaryJson, Evaluation last, int epoch) {
    record.evaluation(details(epoch, last));
    record.finish(summaryJson);
    return HtmlReport.report(record.json());
  }

  /** Stops serving and listening. */
  @Override
  public void close() {
    spark.removeSparkListener(listener);
    if (dashboard != null) {
      dashboard.close();
    }
  }

  private JsonNode details(int epoch, Evaluation e) {
    ObjectNode d = JSON.createObjectNode();
    d.put("epoch", epoch);
    ArrayNode confusion = d.putArray("confusion");
    int k = e.classes;
    for (int t = 0; t < k; t++) {
      ArrayNode row = confusion.addArray();
      for (int p = 0; p < k; p++) {
        row.add(e.confusion[t * k + p]);
      }
    }
    ArrayNode perClass = d.putArray("per_class");
    for (double a : e.perClassAccuracy()) {
      if (Double.isFinite(a)) {
        perClass.add(a);
      } else {
        perClass.addNull();
      }
    }
    ArrayNode mistakes = d.putArray("mistakes");
    for (Evaluation.Mistake m : e.mistakes) {
      ObjectNode o = mistakes.addObject();
      o.put("image", "data:image/png;base64," + Base64.getEncoder().encodeToString(png(m)));
      o.put("truth", m.truth);
      o.put("predicted", m.predicted);
      o.put("confidence", m.confidence);
    }
    return d;
  }

  /** The mistake's input, un-normalised back to 0-255 pixels, as PNG (grey or RGB). */
  private byte[] png(Evaluation.Mistake m) {
    int plane = m.height * m.width;
    boolean grey = m.channels != 3;
    BufferedImage img = new BufferedImage(m.width, m.height, grey ? BufferedImage.TYPE_BYTE_GRAY
        : BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < m.height; y++) {
      for (int x = 0; x < m.width; x++) {
        int i = y * m.width + x;
        if (grey) {
          int v = pixel(m.pixels[i], 0);
          img.getRaster().setSample(x, y, 0, v);
        } else {
          img.setRGB(x, y, pixel(m.pixels[i], 0) << 16 | pixel(m.pixels[plane + i], 1) << 8
              | pixel(m.pixels[2 * plane + i], 2));
        }
      }
    }
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", b);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return b.toByteArray();
  }

  /** A normalised value {@code (p / 255 - mean) / std} of channel {@code c} back to its pixel p. */
  private int pixel(float v, int c) {
    double mu = mean.get(Math.min(c, mean.size() - 1));
    double sd = std.get(Math.min(c, std.size() - 1));
    return (int) Math.max(0, Math.min(255, Math.round(255 * (v * (sd > 1e-12 ? sd : 1) + mu))));
  }

  /** The JSON objects of a JSON-lines text (one per non-blank line), as history.jsonl holds them. */
  public static List<JsonNode> lines(String text) {
    List<JsonNode> out = new java.util.ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        try {
          out.add(JSON.readTree(line));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return out;
  }

  /** Flat settings for the page: what the run was asked to do. */
  public static Map<String, Object> settings(Object... keysAndValues) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }
}
