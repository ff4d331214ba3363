package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** Who decides a worker task's CPUs: a stage-level request on a cluster manager, else spark.task.cpus. */
class WorkerCpusTest {

  private static SparkConf conf(String master, String... settings) {
    SparkConf c = new SparkConf(false).set("spark.master", master);
    for (int i = 0; i < settings.length; i += 2) {
      c.set(settings[i], settings[i + 1]);
    }
    return c;
  }

  @Test
  void aStandaloneExecutorsCoresAreRequestedPerWorkerTask() {
    WorkerCpus w = WorkerCpus.of(conf("spark://127.0.0.1:7077", "spark.executor.cores", "4"), 0);
    assertEquals(4, w.cpus());
    assertEquals(4, w.threads());
    assertNotNull(w.profile());
    assertEquals(4.0, w.profile().taskResources().get("cpus").get().amount());
    assertEquals(2, WorkerCpus.of(conf("yarn", "spark.executor.cores", "4"), 2).threads(), "--threads wins");
    assertNotNull(WorkerCpus.of(conf("k8s://https://api:6443", "spark.executor.cores", "8"), 0).profile());
  }

  @Test
  void localModeAndAlreadyWholeExecutorsKeepTheSessionsTaskCpus() {
    WorkerCpus local = WorkerCpus.of(conf("local[4]", "spark.executor.cores", "4", "spark.task.cpus", "2"), 0);
    assertNull(local.profile());
    assertEquals(2, local.cpus());
    assertEquals(2, local.threads());
    WorkerCpus whole = WorkerCpus.of(conf("spark://h:7077", "spark.executor.cores", "4", "spark.task.cpus", "4"), 0);
    assertNull(whole.profile(), "spark.task.cpus already gives the whole executor");
    assertEquals(4, whole.threads());
    assertNull(WorkerCpus.of(conf("spark://h:7077"), 0).profile(), "executor size unknown: nothing to request");
  }

  @Test
  void withGpusEachWorkerTaskTakesOneGpuAndItsShareOfTheCores() {
    WorkerCpus w = WorkerCpus.of(conf("spark://h:7077", "spark.executor.cores", "8",
        "spark.executor.resource.gpu.amount", "4", "spark.task.resource.gpu.amount", "1"), 0);
    assertEquals(2, w.cpus(), "8 cores shared by 4 GPU tasks");
    assertNotNull(w.profile());
    assertEquals(2.0, w.profile().taskResources().get("cpus").get().amount());
    assertEquals(1.0, w.profile().taskResources().get("gpu").get().amount(), "the GPU request stays in the profile");
    WorkerCpus even = WorkerCpus.of(conf("spark://h:7077", "spark.executor.cores", "2",
        "spark.executor.resource.gpu.amount", "2", "spark.task.resource.gpu.amount", "1"), 0);
    assertNull(even.profile(), "one core per GPU task is spark.task.cpus already: the default profile keeps the GPU");
    assertEquals(1, even.cpus());
  }
}
