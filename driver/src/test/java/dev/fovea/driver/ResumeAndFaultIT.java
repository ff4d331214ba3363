package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.checkpoint.Checkpoint;
import dev.fovea.driver.checkpoint.CheckpointStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints, resume and faults on Spark in local mode (tasks are retried as on a cluster):
 * a failed task or a dead driver changes nothing but the time.
 */
class ResumeAndFaultIT {
  @TempDir static Path tmp;
  static SparkSession spark;
  static TrainConfig base;
  static float[] uninterrupted;
  static TaskCounter tasks;

  @BeforeAll
  static void start() throws Exception {
    Path data = FashionMnist.subset(tmp, 1280, 200);
    spark = SparkSessions.create("ResumeAndFaultIT", null, 2);
    tasks = TaskCounter.attach(spark);
    base = TrainConfig.builder().data(data.toString()).shards(tmp.resolve("shards").toString()).workers(2).batch(16)
        .stepsPerRound(4).epochs(2).backend("reference").seed(3).checkpointEvery(3).out(tmp.resolve("base").toString())
        .build();
    uninterrupted = new TrainingRun(spark, base, m -> { }).run().params();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void aFailedTaskIsRetriedAndChangesNothing() throws Exception {
    int before = tasks.failedTasks();
    TrainConfig c = base.toBuilder().out(tmp.resolve("fault").toString()).injectFault("4:1").build();
    float[] p = new TrainingRun(spark, c, m -> { }).run().params();
    spark.sparkContext().listenerBus().waitUntilEmpty();
    assertTrue(tasks.failedTasks() > before, "the injected failure happened");
    assertArrayEquals(uninterrupted, p, "bitwise equal to the fault-free run");
  }

  @Test
  void aDeadDriverResumesFromItsCheckpointToTheSameParameters() throws Exception {
    TrainConfig c = base.toBuilder().out(tmp.resolve("resume").toString()).injectFault("driver:14").build();
    assertThrows(TrainingRun.InjectedDriverFault.class, () -> new TrainingRun(spark, c, m -> { }).run());
    Checkpoint cp = new CheckpointStore(new Configuration(), c.checkpointDir()).latest(w -> { }).checkpoint();
    // 1280 / 2 / 16 = 40 batches per worker = 10 rounds per epoch; checkpoints at 3, 6, 9, 10 (epoch end), 12
    assertEquals(12, cp.round());
    assertEquals(1, cp.epoch());
    assertEquals(2, cp.roundInEpoch());
    try (Stream<Path> files = Files.list(Path.of(c.checkpointDir()))) {
      assertEquals(CheckpointStore.KEEP, files.filter(f -> f.toString().endsWith(".ckpt")).count());
    }
    TrainConfig resumed = c.toBuilder().injectFault(null).resume(true).build();
    TrainingRun.Result r = new TrainingRun(spark, resumed, m -> { }).run();
    assertArrayEquals(uninterrupted, r.params(), "bitwise equal to the uninterrupted run");
    long lines = Files.readAllLines(Path.of(c.out(), "history.jsonl")).size();
    assertEquals(20, lines, "history continues the interrupted one without gaps or repeats");
  }

  /**
   * The newest checkpoint damaged after the driver died: the resume warns about it, continues from
   * the older good one, names that one in its log, and still ends on the uninterrupted parameters.
   */
  @Test
  void aDamagedNewestCheckpointResumesFromTheOlderOneAndSaysWhich() throws Exception {
    TrainConfig c = base.toBuilder().out(tmp.resolve("damaged").toString()).injectFault("driver:14").build();
    assertThrows(TrainingRun.InjectedDriverFault.class, () -> new TrainingRun(spark, c, m -> { }).run());
    Path newest = Path.of(c.checkpointDir(), "round-000000012.ckpt");
    byte[] b = Files.readAllBytes(newest);
    b[b.length / 2] ^= 0x40;
    Files.write(newest, b);
    java.util.List<String> log = new java.util.ArrayList<>();
    TrainingRun.Result r = new TrainingRun(spark, c.toBuilder().injectFault(null).resume(true).build(), log::add).run();
    assertArrayEquals(uninterrupted, r.params(), "bitwise equal to the uninterrupted run");
    assertTrue(log.stream().anyMatch(l -> l.startsWith("warning: skipping damaged checkpoint: ")
        && l.contains("round-000000012.ckpt")), log.toString());
    String resumed = log.stream().filter(l -> l.startsWith("resuming after round")).findFirst().orElseThrow();
    assertTrue(resumed.startsWith("resuming after round 10 ") && resumed.endsWith("round-000000010.ckpt"), resumed);
  }

  /**
   * On oneDNN too: compiled steps use the layouts oneDNN picks (nothing is timed), each worker runs
   * one thread and a round keeps no native state after it ends, so a killed driver's resume and a
   * retried task give the uninterrupted run's parameters bitwise (lenet_bn: batch norm's running
   * statistics and dropout masks included). Here all three runs share one JVM; across machines
   * with other CPUs oneDNN may pick other kernels.
   */
  @Test
  void onOneDnnTooAResumeAndARetriedTaskAreBitwise() throws Exception {
    TrainConfig one = base.toBuilder().backend("onednn").model("lenet_bn").out(tmp.resolve("onednn").toString())
        .build();
    TrainingRun.Result ref = new TrainingRun(spark, one, m -> { }).run();
    assertEquals("onednn", ref.backend(), "the test JVM loads oneDNN");
    TrainConfig killed = one.toBuilder().out(tmp.resolve("onednn-resume").toString()).injectFault("driver:14").build();
    assertThrows(TrainingRun.InjectedDriverFault.class, () -> new TrainingRun(spark, killed, m -> { }).run());
    float[] resumed = new TrainingRun(spark, killed.toBuilder().injectFault(null).resume(true).build(), m -> { })
        .run().params();
    assertArrayEquals(ref.params(), resumed, "resumed on oneDNN: bitwise equal to the uninterrupted run");
    int before = tasks.failedTasks();
    float[] retried = new TrainingRun(spark, one.toBuilder().out(tmp.resolve("onednn-fault").toString())
        .injectFault("4:1").build(), m -> { }).run().params();
    spark.sparkContext().listenerBus().waitUntilEmpty();
    assertTrue(tasks.failedTasks() > before, "the injected failure happened");
    assertArrayEquals(ref.params(), retried, "a retried task on oneDNN changes nothing");
  }

  @Test
  void resumeRefusesAnotherConfiguration() {
    TrainConfig c = base.toBuilder().learningRate(0.5).resume(true).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new TrainingRun(spark, c, m -> { }).run());
    assertTrue(e.getMessage().contains("belongs to another configuration"), e.getMessage());
  }

  @Test
  void divergenceStopsNamingTheRoundAndKeepsTheLastGoodCheckpoint() {
    TrainConfig c = base.toBuilder().out(tmp.resolve("diverge").toString()).learningRate(40).momentum(0.99).build();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new TrainingRun(spark, c, m -> { }).run());
    assertTrue(e.getMessage().startsWith("training diverged: loss"), e.getMessage());
    assertTrue(e.getMessage().contains("in round "), e.getMessage());
    String last = new CheckpointStore(new Configuration(), c.checkpointDir()).latestPath();
    assertTrue(last == null ? e.getMessage().contains("last good checkpoint: none")
        : e.getMessage().contains("last good checkpoint: " + last), e.getMessage());
  }
}
