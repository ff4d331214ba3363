package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A test's Spark standalone cluster ({@code bin/fovea-cluster}) and HDFS ({@code bin/fovea-hdfs})
 * on free ports, with their state under the test's folder, and the running of commands against
 * them as separate processes (output to a log file, exit code checked).
 */
final class TestCluster {
  final Path home = Path.of(System.getenv().getOrDefault("FOVEA_HOME", "."));
  final Path dir;
  final Map<String, String> env = new HashMap<>();
  final String hdfs;
  final int masterPort;
  final int masterUiPort;
  final int restPort;

  TestCluster(Path dir, int workers) throws IOException {
    this(dir, workers, 1);
  }

  /** @param cores each worker's (and so each executor's) cores */
  TestCluster(Path dir, int workers, int cores) throws IOException {
    this.dir = dir;
    masterPort = freePort();
    masterUiPort = freePort();
    restPort = freePort();
    env.put("FOVEA_CLUSTER_DIR", dir.resolve("cluster").toString());
    env.put("FOVEA_MASTER_PORT", Integer.toString(masterPort));
    env.put("FOVEA_MASTER_UI_PORT", Integer.toString(masterUiPort));
    env.put("FOVEA_MASTER_REST_PORT", Integer.toString(restPort));
    env.put("FOVEA_WORKER_UI_PORT", Integer.toString(freePort()));
    env.put("FOVEA_WORKERS", Integer.toString(workers));
    env.put("FOVEA_WORKER_CORES", Integer.toString(cores));
    env.put("FOVEA_HDFS_DIR", dir.resolve("hdfs").toString());
    int nn = freePort();
    env.put("FOVEA_HDFS_PORT", Integer.toString(nn));
    env.put("FOVEA_HDFS_HTTP_PORT", Integer.toString(freePort()));
    env.put("FOVEA_HDFS_DN_PORT", Integer.toString(freePort()));
    env.put("FOVEA_HDFS_DN_HTTP_PORT", Integer.toString(freePort()));
    env.put("FOVEA_HDFS_DN_IPC_PORT", Integer.toString(freePort()));
    hdfs = "hdfs://127.0.0.1:" + nn;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts HDFS, then the cluster. */
  void start() throws Exception {
    run(hdfsCommand("start"), 5, 0, Map.of());
    run(cluster("start"), 3, 0, Map.of());
  }

  /** Stops the cluster, then HDFS. */
  void stop() throws Exception {
    try {
      run(cluster("stop"), 2, 0, Map.of());
    } finally {
      run(hdfsCommand("stop"), 2, 0, Map.of());
    }
  }

  List<String> cluster(String... args) {
    List<String> c = new ArrayList<>(List.of("bash", home.resolve("bin/fovea-cluster").toString()));
    c.addAll(List.of(args));
    return c;
  }

  List<String> hdfsCommand(String... args) {
    List<String> c = new ArrayList<>(List.of("bash", home.resolve("bin/fovea-hdfs").toString()));
    c.addAll(List.of(args));
    return c;
  }

  /** The PIDs that 'start' recorded: {@code which} is "cluster" or "hdfs"; names as recorded (master, worker-0, ...). */
  Map<String, Long> pids(String which) throws IOException {
    Map<String, Long> out = new HashMap<>();
    for (String line : Files.readAllLines(dir.resolve(which + "/pids"))) {
      String[] f = line.split(" ");
      out.put(f[0], Long.parseLong(f[1]));
    }
    return out;
  }

  ProcessBuilder builder(List<String> command, Path log, Map<String, String> extra) {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().putAll(extra);
    return pb;
  }

  /** Runs {@code command} to its end; returns its output. {@code expectedExit}: 0, or anything else for "fails". */
  String run(List<String> command, long minutes, int expectedExit, Map<String, String> extra) throws Exception {
    Path log = Files.createTempFile(dir, "cmd", ".log");
    Process p = builder(command, log, extra).start();
    if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish in " + minutes + " min:\n" + Files.readString(log));
    }
    String out = Files.readString(log);
    if (expectedExit == 0) {
      assertEquals(0, p.exitValue(), command + " failed:\n" + out);
    } else {
      assertNotEquals(0, p.exitValue(), command + " should have failed:\n" + out);
    }
    return out;
  }
}
