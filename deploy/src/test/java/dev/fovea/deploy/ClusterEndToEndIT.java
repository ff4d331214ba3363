package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.data.testing.ListeningSockets;
import dev.fovea.driver.cli.Fovea;
import dev.fovea.nn.ModelFile;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on real processes: a Spark standalone cluster (a master and two workers, separate
 * JVMs on 127.0.0.1, authenticated with a generated secret and RPC encryption, started by {@code
 * bin/fovea-cluster}) and a real HDFS (NameNode and DataNode processes, {@code bin/fovea-hdfs}).
 * The application jar is submitted through SparkSubmit and reads and writes HDFS. Faults are real:
 * an executor JVM and the driver JVM are killed by PID mid-training.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterEndToEndIT {
  @TempDir static Path tmp;
  static TestCluster tc;
  static String hdfs;
  static List<String> common;
  static float[] reference;
  static double referenceAccuracy;
  static Path localData;

  static ProcessBuilder builder(List<String> command, Path log, Map<String, String> extra) {
    return tc.builder(command, log, extra);
  }

  static String run(List<String> command, long minutes, int expectedExit, Map<String, String> extra) throws Exception {
    return tc.run(command, minutes, expectedExit, extra);
  }

  static List<String> cluster(String... args) {
    return tc.cluster(args);
  }

  static List<String> submit(String out, String... extra) {
    List<String> c = cluster("submit", "train", "--out", out);
    c.addAll(common);
    c.addAll(List.of(extra));
    return c;
  }

  static float[] params(String modelUri) throws IOException {
    FileSystem fs = FileSystem.get(URI.create(modelUri), new Configuration());
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(modelUri))) {
      return ModelFile.read(in, modelUri).params();
    }
  }

  static JsonNode summary(String outUri) throws IOException {
    FileSystem fs = FileSystem.get(URI.create(outUri), new Configuration());
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(outUri + "/summary.json"))) {
      return new ObjectMapper().readTree(in);
    }
  }

  static boolean exists(String uri) throws IOException {
    return FileSystem.get(URI.create(uri), new Configuration()).exists(new org.apache.hadoop.fs.Path(uri));
  }

  /** Waits until the process's log shows {@code marker}; fails if it exits first. */
  static void awaitLog(Process p, Path log, String marker, long seconds) throws Exception {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < end) {
      if (Files.readString(log).contains(marker)) {
        return;
      }
      if (!p.isAlive()) {
        throw new AssertionError("exited before '" + marker + "':\n" + Files.readString(log));
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no '" + marker + "' within " + seconds + " s:\n" + Files.readString(log));
  }

  @BeforeAll
  static void start() throws Exception {
    // two cores per executor, spark.task.cpus left at 1: Fovea requests both cores per worker task itself
    tc = new TestCluster(tmp, 2, 2);
    hdfs = tc.hdfs;
    tc.start();

    Path data = FashionMnist.subset(tmp, 4000, 1000);
    run(tc.hdfsCommand("put", data.toString(), hdfs + "/datasets/"), 2, 0, Map.of());
    common = List.of("--data", hdfs + "/datasets/" + data.getFileName(), "--shards", hdfs + "/shards",
        "--epochs", "2", "--workers", "2", "--backend", "reference", "--seed", "5", "--checkpoint-every", "3");

    // the reference: the same run in local mode, in this JVM, on local files
    localData = data;
    List<String> local = localReferenceArgs(tmp.resolve("local"));
    StringWriter err = new StringWriter();
    assertEquals(0, Fovea.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
        local.toArray(new String[0])), err.toString());
    reference = params(tmp.resolve("local/model.fovea").toUri().toString());
    referenceAccuracy = new ObjectMapper().readTree(tmp.resolve("local/summary.json").toFile())
        .get("test_accuracy").asDouble();
  }

  /** The cluster runs' settings in local mode, in this JVM, on local files. */
  static List<String> localReferenceArgs(Path out) {
    return List.of("train", "--out", out.toString(), "--master", "local[2]", "--data", localData.toString(),
        "--epochs", "2", "--workers", "2", "--backend", "reference", "--seed", "5", "--checkpoint-every", "3");
  }

  @AfterAll
  static void stop() throws Exception {
    tc.stop();
  }

  @Test
  @Order(1)
  void trainsOnTwoExecutorsFromHdfsLikeLocalMode() throws Exception {
    String out = hdfs + "/runs/plain";
    String log = run(submit(out), 15, 0, Map.of());
    assertTrue(log.contains("fovea: test accuracy"), log);
    assertTrue(log.contains("each worker's task takes 2 CPUs of its executor"), "stage-level task resources:\n" + log);
    JsonNode s = summary(out);
    assertTrue(s.get("spark_master").asText().startsWith("spark://127.0.0.1:"), s.toString());
    Set<String> executors = new HashSet<>();
    s.get("executors").forEach(e -> executors.add(e.asText()));
    assertEquals(2, executors.size(), "tasks ran in two executor JVMs: " + executors);
    assertFalse(executors.contains("driver"), executors.toString());
    assertTrue(Math.abs(s.get("test_accuracy").asDouble() - referenceAccuracy) <= 0.01,
        "cluster " + s.get("test_accuracy") + " vs local " + referenceAccuracy);
    assertTrue(exists(hdfs + "/shards/train/manifest.json"), "shards in HDFS");
    assertTrue(exists(out + "/checkpoints"), "checkpoints in HDFS");
    assertArrayEquals(reference, params(out + "/model.fovea"), "the model in HDFS equals local mode's, bitwise");
  }

  /** The whole of Fashion-MNIST through HDFS on the cluster, on oneDNN: the README's accuracy bar. */
  @Test
  @Order(2)
  void fullFashionMnistFromHdfsReachesTheAccuracyBar() throws Exception {
    run(tc.hdfsCommand("put", FashionMnist.dir().toString(), hdfs + "/datasets/"), 2, 0, Map.of());
    String out = hdfs + "/runs/fashion-mnist";
    List<String> c = cluster("submit", "train", "--data", hdfs + "/datasets/fashion-mnist", "--shards",
        hdfs + "/shards-full", "--out", out, "--workers", "2");
    String log = run(c, 20, 0, Map.of());
    JsonNode s = summary(out);
    assertEquals("onednn", s.get("backend").asText(), log);
    assertTrue(s.get("test_accuracy").asDouble() >= 0.88, "test accuracy " + s.get("test_accuracy") + "\n" + log);
    assertTrue(exists(hdfs + "/shards-full/train/manifest.json") && exists(out + "/model.fovea")
        && exists(out + "/checkpoints"), "shards, model and checkpoints in HDFS");
  }

  @Test
  @Order(3)
  void killedExecutorChangesNothing() throws Exception {
    killAnExecutorMidRun(hdfs + "/runs/executor-killed", reference);
  }

  /**
   * Each worker keeps its own SGD velocity in a cached RDD partition on its executor: killing that
   * executor loses the partition, which Spark recomputes from the lineage of the rounds since the
   * last checkpoint. The result must still equal local mode's (same flag, no fault), bitwise.
   */
  @Test
  @Order(4)
  void killedExecutorWithPerWorkerOptimizerStateChangesNothing() throws Exception {
    List<String> local = new ArrayList<>(localReferenceArgs(tmp.resolve("local-state")));
    local.addAll(List.of("--optimizer-state", "local"));
    StringWriter err = new StringWriter();
    assertEquals(0, Fovea.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
        local.toArray(new String[0])), err.toString());
    float[] expected = params(tmp.resolve("local-state/model.fovea").toUri().toString());
    assertFalse(Arrays.equals(reference, expected), "per-worker velocities give other parameters than"
        + " averaged ones (else this test would not tell the two apart)");
    killAnExecutorMidRun(hdfs + "/runs/executor-killed-local-state", expected, "--optimizer-state", "local");
  }

  private void killAnExecutorMidRun(String out, float[] expected, String... extra) throws Exception {
    Path log = tmp.resolve(out.substring(out.lastIndexOf('/') + 1) + ".log");
    Process p = builder(submit(out, extra), log, Map.of()).start();
    awaitLog(p, log, "round 3/", 600);
    // an executor is a child JVM of a worker recorded at start: kill it by its PID
    List<Long> workers = new ArrayList<>();
    tc.pids("cluster").forEach((name, pid) -> {
      if (name.startsWith("worker-")) {
        workers.add(pid);
      }
    });
    workers.sort(null);
    // mid-run every process of the cluster (driver, executors, master, workers, HDFS) listens on 127.0.0.1 only
    List<Long> all = new ArrayList<>(List.of(p.pid()));
    all.addAll(tc.pids("cluster").values());
    all.addAll(tc.pids("hdfs").values());
    workers.forEach(w -> ProcessHandle.of(w).ifPresent(h -> h.descendants().forEach(d -> all.add(d.pid()))));
    List<ListeningSockets.Socket> sockets = ListeningSockets.of(all);
    assertTrue(sockets.size() >= 8, "driver, executors and daemons listen: " + sockets);
    sockets.forEach(s -> assertTrue(s.loopback(), s.toString()));
    ProcessHandle executor = ProcessHandle.of(workers.get(0)).orElseThrow().descendants()
        .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
        .findFirst().orElseThrow(() -> new AssertionError("no executor under worker " + workers.get(0)));
    long killed = executor.pid();
    assertTrue(executor.destroyForcibly(), "SIGKILL to executor " + killed);
    assertTrue(p.waitFor(15, TimeUnit.MINUTES), "the job finished");
    String text = Files.readString(log);
    assertEquals(0, p.exitValue(), text);
    assertTrue(text.contains("fovea: test accuracy"), text);
    assertArrayEquals(expected, params(out + "/model.fovea"), "same parameters as the fault-free run (executor "
        + killed + " killed)");
  }

  @Test
  @Order(5)
  void killedDriverResumesFromItsCheckpoint() throws Exception {
    String out = hdfs + "/runs/driver-killed";
    Path log = tmp.resolve("driver-killed.log");
    Process p = builder(submit(out), log, Map.of()).start();
    awaitLog(p, log, "round 5/", 600);
    p.destroyForcibly(); // SIGKILL to the driver JVM (the launcher execs java)
    assertTrue(p.waitFor(1, TimeUnit.MINUTES));
    assertTrue(exists(out + "/checkpoints/round-000000003.ckpt"), "a checkpoint survived the driver");
    assertFalse(exists(out + "/model.fovea"), "the killed run wrote no model");
    String text = run(submit(out, "--resume"), 15, 0, Map.of());
    assertTrue(text.contains("resuming after round"), text);
    assertArrayEquals(reference, params(out + "/model.fovea"), "resumed run ends with the uninterrupted parameters");
  }

  @Test
  @Order(6)
  void applicationWithoutTheSecretIsRefused() throws Exception {
    String out = hdfs + "/runs/no-secret";
    String text = run(submit(out), 5, 1, Map.of("FOVEA_SUBMIT_WITHOUT_SECRET", "1"));
    assertTrue(text.contains("All masters are unresponsive") || text.contains("authentic"), text);
    assertFalse(exists(out + "/summary.json"), "nothing ran");
  }
}
