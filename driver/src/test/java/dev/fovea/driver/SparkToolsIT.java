package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.report.FoveaMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark's own tools show a run: with {@code spark.eventLog.enabled} the event log (what the History
 * Server replays) holds every round's and every evaluation's job under Fovea's description, and
 * Spark's metrics system holds Fovea's gauges (registered by the {@link FoveaMetrics} plugin that
 * Fovea's sessions list in {@code spark.plugins}) with the last round's figures of the history.
 */
class SparkToolsIT {
  @TempDir Path tmp;

  @Test
  void eventLogAndMetricsSystemShowTheRun() throws Exception {
    Path data = FashionMnist.subset(tmp, 320, 64);
    Path events = Files.createDirectories(tmp.resolve("events"));
    System.setProperty("spark.eventLog.enabled", "true");
    System.setProperty("spark.eventLog.dir", events.toUri().toString());
    System.setProperty("spark.eventLog.compress", "false"); // plain JSON lines to read here
    SparkSession spark;
    try {
      spark = SparkSessions.create("SparkToolsIT", null, 2);
    } finally {
      System.clearProperty("spark.eventLog.enabled");
      System.clearProperty("spark.eventLog.dir");
      System.clearProperty("spark.eventLog.compress");
    }
    TrainingRun.Result r;
    double round;
    double loss;
    double sync;
    try {
      TrainConfig c = TrainConfig.builder().data(data.toString()).shards(tmp.resolve("shards").toString())
          .out(tmp.resolve("out").toString()).workers(2).batch(16).stepsPerRound(2).epochs(1).backend("reference")
          .seed(3).build();
      r = new TrainingRun(spark, c, line -> { }).run();
      MetricRegistry registry = SparkEnv.get().metricsSystem().getSourcesByName("plugin." + FoveaMetrics.class
          .getName()).head().metricRegistry();
      round = gauge(registry, "round");
      loss = gauge(registry, "loss");
      sync = gauge(registry, "syncSeconds");
      assertEquals(r.testAccuracy(), gauge(registry, "testAccuracy"), 0.0);
    } finally {
      spark.stop();
    }
    List<JsonNode> history = r.historyRecords();
    JsonNode last = history.get(history.size() - 1);
    assertEquals(last.get("round").asDouble(), round, 0.0, "the metrics system's round is the history's last");
    assertEquals(last.get("loss").asDouble(), loss, 0.0);
    assertEquals(last.get("seconds").asDouble() - last.get("compute_seconds").asDouble(), sync, 1e-12);

    List<Path> logs; // one file, or (Spark 4's rolling event logs) a folder of event files and a status marker
    try (Stream<Path> s = Files.walk(events)) {
      logs = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("appstatus")
          && !p.getFileName().toString().endsWith(".crc")).toList(); // Hadoop checksum files beside them
    }
    assertTrue(!logs.isEmpty(), "no event log under " + events);
    List<String> descriptions = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (Path log : logs) {
      for (String line : Files.readAllLines(log)) {
        JsonNode e = json.readTree(line);
        if (e.path("Event").asText().equals("SparkListenerJobStart")) {
          descriptions.add(e.path("Properties").path("spark.job.description").asText());
        }
      }
    }
    // every round is named by a job: its own ("epoch 1 · round k", one job a round) or its group's
    // ("epoch 1 · rounds a–b", allreduce's several rounds in one job)
    java.util.regex.Pattern named = java.util.regex.Pattern.compile("epoch 1 · rounds? (\\d+)(?:–(\\d+))?\\b.*");
    for (int k = 1; k <= history.size(); k++) {
      int round1 = k;
      assertTrue(descriptions.stream().map(named::matcher).anyMatch(m -> m.matches() && Integer.parseInt(m.group(1))
          <= round1 && round1 <= Integer.parseInt(m.group(m.group(2) == null ? 1 : 2))),
          "round " + k + " of epoch 1 in " + descriptions);
    }
    assertTrue(descriptions.stream().anyMatch(d -> d.startsWith("evaluate")), descriptions.toString());
  }

  private static double gauge(MetricRegistry registry, String name) {
    Gauge<?> g = registry.getGauges().get(name);
    assertTrue(g != null, "gauge " + name + " in " + registry.getNames());
    return ((Number) g.getValue()).doubleValue();
  }
}
