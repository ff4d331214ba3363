package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.cli.Fovea;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on a real Spark standalone cluster: a master and two workers as separate processes
 * on 127.0.0.1 (started by {@code bin/fovea-cluster}), the application jar submitted through
 * {@code SparkSubmit}, trained on real Fashion-MNIST samples; compared with the same run in local
 * mode.
 */
class StandaloneClusterIT {
  @TempDir static Path tmp;
  static Path home;
  static Path state;
  static Map<String, String> env;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static String run(List<String> command, long minutes) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    File log = Files.createTempFile(tmp, "cmd", ".log").toFile();
    pb.redirectOutput(log);
    Process p = pb.start();
    if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish in " + minutes + " min:\n" + Files.readString(log.toPath()));
    }
    String out = Files.readString(log.toPath(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), command + " failed:\n" + out);
    return out;
  }

  @BeforeAll
  static void startCluster() throws Exception {
    home = Path.of(System.getenv().getOrDefault("FOVEA_HOME", "."));
    state = tmp.resolve("cluster");
    env = Map.of("FOVEA_CLUSTER_DIR", state.toString(),
        "FOVEA_MASTER_PORT", Integer.toString(freePort()),
        "FOVEA_MASTER_UI_PORT", Integer.toString(freePort()),
        "FOVEA_WORKER_UI_PORT", Integer.toString(freePort()),
        "FOVEA_WORKERS", "2", "FOVEA_WORKER_CORES", "1");
    run(List.of("bash", home.resolve("bin/fovea-cluster").toString(), "start"), 3);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    run(List.of("bash", home.resolve("bin/fovea-cluster").toString(), "stop"), 2);
  }

  @Test
  void trainsOnTwoExecutorsAndMatchesLocalMode() throws Exception {
    Path data = FashionMnist.subset(tmp, 4000, 1000);
    List<String> common = List.of("--data", data.toString(), "--epochs", "1", "--workers", "2", "--backend",
        "reference", "--seed", "5");

    List<String> submit = new ArrayList<>(List.of("bash", home.resolve("bin/fovea-cluster").toString(), "submit",
        "train", "--out", tmp.resolve("cluster-out").toString()));
    submit.addAll(common);
    String log = run(submit, 15);
    assertTrue(log.contains("fovea: test accuracy"), log);

    JsonNode cluster = new ObjectMapper().readTree(tmp.resolve("cluster-out/summary.json").toFile());
    assertTrue(cluster.get("spark_master").asText().startsWith("spark://127.0.0.1:"), cluster.toString());
    Set<String> executors = new HashSet<>();
    cluster.get("executors").forEach(e -> executors.add(e.asText()));
    assertEquals(2, executors.size(), "tasks ran in two executor JVMs: " + executors);
    assertFalse(executors.contains("driver"), executors.toString());

    List<String> local = new ArrayList<>(List.of("train", "--out", tmp.resolve("local-out").toString(),
        "--master", "local[2]"));
    local.addAll(common);
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
        local.toArray(new String[0]));
    assertEquals(0, code, err.toString());
    JsonNode localSummary = new ObjectMapper().readTree(tmp.resolve("local-out/summary.json").toFile());
    double a = cluster.get("test_accuracy").asDouble();
    double b = localSummary.get("test_accuracy").asDouble();
    assertTrue(Math.abs(a - b) <= 0.01, "cluster " + a + " vs local " + b);
    assertTrue(a > 0.6, "it learned: " + a);
  }
}
