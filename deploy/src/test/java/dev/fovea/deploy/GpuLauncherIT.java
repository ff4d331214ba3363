package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cuda backend from the command line on a machine without a GPU (CI): {@code --backend cuda}
 * is a one-line error with the reason, and {@code auto} says nothing of CUDA to a CPU user.
 */
class GpuLauncherIT {
  @TempDir Path tmp;

  /** LauncherIT's runner (bin/fovea as a process) keeps each command's output in this test's folder. */
  @BeforeEach
  void runnerFolder() {
    LauncherIT.tmp = tmp;
  }

  @Test
  void backendCudaWithoutAGpuIsOneLineAndExitTwo() throws Exception {
    LauncherIT.Run r = LauncherIT.fovea("benchmark", "--model", "lenet", "--batch", "8", "--steps", "1", "--reps", "1",
        "--backend", "cuda");
    LauncherIT.assertOneLineError(r, "backend cuda cannot run here: ");
    String line = r.errLines().get(0);
    assertTrue(line.matches("fovea: error: backend cuda cannot run here: (CUDA runtime not found \\(.+\\)|no CUDA device.*)"),
        line);
  }

  @Test
  void autoOnACpuMachineSaysNothingOfCuda() throws Exception {
    LauncherIT.Run r = LauncherIT.fovea("benchmark", "--model", "lenet", "--batch", "8", "--steps", "1", "--reps", "1",
        "--backend", "auto");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.errLines().stream().noneMatch(l -> l.toLowerCase().contains("cuda")), r.err());
    assertTrue(r.out().startsWith("fovea: lenet "), r.out());
  }
}
