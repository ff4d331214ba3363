package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fovea.data.testing.FashionMnist;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark's GPU scheduling on this CPU machine: a standalone cluster (bin/fovea-cluster, free ports)
 * whose worker offers two GPUs found by deploy/conf/gpu-discovery.sh with fake addresses
 * (FOVEA_FAKE_GPUS=0,1), and a training run that asks for one GPU per task. Each round task's
 * backend is created for the device its GPU address names, the two concurrent tasks get distinct
 * addresses, and with no CUDA here auto falls back to a CPU backend with one warning per executor.
 */
class GpuSchedulingIT {
  @TempDir static Path tmp;

  private static final Pattern CREATED =
      Pattern.compile("fovea: task (\\d+) \\(attempt (\\d+)\\) has GPU address (\\d+): backend (\\S+) created for device (\\d+)");

  @Test
  void eachConcurrentTaskGetsItsOwnGpuAndTheBackendIsCreatedForIt() throws Exception {
    TestCluster tc = new TestCluster(tmp, 1, 2);
    tc.run(tc.cluster("start"), 3, 0, Map.of("FOVEA_WORKER_GPUS", "2", "FOVEA_FAKE_GPUS", "0,1"));
    try {
      Path data = FashionMnist.subset(tmp, 400, 100);
      Path out = tmp.resolve("out");
      List<String> train = tc.cluster("submit", "train", "--out", out.toString(), "--data", data.toString(), "--shards",
          tmp.resolve("shards").toString(), "--epochs", "1", "--workers", "2", "--batch", "32", "--backend", "auto",
          "--seed", "5");
      String driverLog = tc.run(train, 8, 0, Map.of("FOVEA_SUBMIT_CONF",
          "spark.executor.resource.gpu.amount=2 spark.task.resource.gpu.amount=1"));
      assertFalse(driverLog.contains("backend cuda is not available"), "the driver has no GPU to speak of:\n" + driverLog);

      String executors = executorStderr(tmp.resolve("cluster/work"));
      Set<Integer> devices = new TreeSet<>();
      Matcher m = CREATED.matcher(executors);
      while (m.find()) {
        assertEquals(m.group(3), m.group(5), "the backend is created for the task's own address: " + m.group());
        assertFalse(m.group(4).equals("cuda"), "no CUDA here: " + m.group());
        devices.add(Integer.parseInt(m.group(5)));
      }
      assertEquals(Set.of(0, 1), devices, "the two concurrent round tasks hold distinct GPUs:\n" + executors);
      List<String> warnings = executors.lines().filter(l -> l.startsWith("fovea: warning: backend cuda")).toList();
      assertEquals(1, warnings.size(), "one warning per executor JVM:\n" + executors);
      assertTrue(warnings.get(0).matches("fovea: warning: backend cuda is not available \\((CUDA runtime not found \\(.+\\)"
          + "|no CUDA device.*)\\); falling back"), warnings.get(0));
      assertEquals("auto", new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("backend").asText(),
          "resolved by each executor");
    } finally {
      tc.run(tc.cluster("stop"), 2, 0, Map.of());
    }
  }

  /** Every executor's stderr under the standalone worker's work folder, concatenated. */
  static String executorStderr(Path work) throws Exception {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(work)) {
      s.filter(p -> p.getFileName().toString().equals("stderr")).sorted().forEach(files::add);
    }
    StringBuilder b = new StringBuilder();
    for (Path f : files) {
      b.append(Files.readString(f)).append('\n');
    }
    return b.toString();
  }
}
