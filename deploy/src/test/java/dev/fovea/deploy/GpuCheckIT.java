package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What of the GPU check runs without a GPU: {@code bin/fovea-gpu-pack} builds its folder (a jlink'ed
 * runtime that passes the pack's own self-test, the jars, the scripts) under 64 MiB, and {@code
 * bin/fovea-gpu-check}, from that folder on a machine without an NVIDIA driver, says so in one line
 * and exits 2.
 */
class GpuCheckIT {
  @TempDir Path tmp;

  record Result(int code, String out, String err) {}

  static Result run(List<String> command, Map<String, String> env, long minutes) throws Exception {
    Path o = Files.createTempFile("gpu-check", ".out");
    Path e = Files.createTempFile("gpu-check", ".err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(o.toFile()).redirectError(e.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish in " + minutes + " min:\n" + Files.readString(e));
    }
    return new Result(p.exitValue(), Files.readString(o), Files.readString(e));
  }

  static long bytes(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  @Test
  void packStaysUnder64MiBAndTheCheckSaysInOneLineThatThereIsNoGpu() throws Exception {
    Path home = Path.of(System.getenv().getOrDefault("FOVEA_HOME", "."));
    Path pack = tmp.resolve("gpu-check");
    Result packed = run(List.of("bash", home.resolve("bin/fovea-gpu-pack").toString(), pack.toString()), Map.of(), 15);
    assertEquals(0, packed.code(), packed.err());
    long size = bytes(pack);
    assertTrue(size <= 64L * 1024 * 1024, "the pack is " + size + " bytes");
    assertTrue(packed.out().startsWith(pack + ": ") && packed.out().contains(" MiB"), packed.out());
    for (String f : List.of("runtime/bin/java", "bin/fovea-gpu-check", "gpu/torch_step_benchmark.py", "MANIFEST.txt")) {
      assertTrue(Files.exists(pack.resolve(f)), f);
    }
    assertTrue(Files.readString(pack.resolve("MANIFEST.txt")).contains("cuda-13.1-9.19-1.5.13-linux-x86_64.jar"));
    assertTrue(Files.readString(pack.resolve("MANIFEST.txt")).lines().noneMatch(l -> l.contains("-redist")),
        "no CUDA libraries are packed");

    assumeFalse(run(List.of("bash", "-c", "command -v nvidia-smi"), Map.of(), 1).code() == 0,
        "an NVIDIA driver is installed here: the check would run for real");
    Result check = run(List.of("bash", pack.resolve("bin/fovea-gpu-check").toString()), Map.of(), 1);
    assertEquals(2, check.code(), check.out() + check.err());
    assertEquals("", check.out());
    assertEquals(List.of("fovea-gpu-check: error: no NVIDIA GPU here (nvidia-smi not found): this check needs a machine"
        + " with an NVIDIA GPU and its driver"), check.err().lines().toList());
  }
}
