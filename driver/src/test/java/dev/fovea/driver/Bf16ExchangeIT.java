package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.driver.checkpoint.Checkpoint;
import dev.fovea.driver.checkpoint.CheckpointStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --exchange bf16} (the all-reduce's deltas in bfloat16 with error feedback) on real local
 * Spark: two runs are bitwise equal, a retried group and a resumed driver change nothing (the
 * residuals travel through checkpoints), and it really is another exchange than f32; with tree or
 * sharded it is refused.
 */
class Bf16ExchangeIT {
  @TempDir static Path tmp;
  static SparkSession spark;
  static TaskCounter tasks;
  static TrainConfig base;

  @BeforeAll
  static void start() throws Exception {
    // local[N, F]: a failed task is retried (here: the whole barrier stage), as on a cluster
    spark = SparkSessions.create("Bf16ExchangeIT", "local[3,4]", 3);
    tasks = TaskCounter.attach(spark);
    base = AllReduceIT.threeWorkers(tmp).averaging("allreduce").roundsPerJob(4).exchange("bf16")
        .out(tmp.resolve("bf16").toString()).build();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static TrainingRun.Result run(TrainConfig c) {
    return new TrainingRun(spark, c, m -> { }).run();
  }

  @Test
  void twoRunsAreBitwiseEqualAndDifferFromF32() {
    for (String state : new String[] {"averaged", "local"}) {
      TrainConfig c = base.toBuilder().optimizerState(state).out(tmp.resolve("a-" + state).toString()).build();
      TrainingRun.Result a = run(c);
      TrainingRun.Result b = run(c.toBuilder().roundsPerJob(3).out(tmp.resolve("b-" + state).toString()).build());
      assertArrayEquals(a.params(), b.params(), state + ": two bf16 runs (4 and 3 rounds per job), bitwise");
      float[] f32 = run(c.toBuilder().exchange("f32").out(tmp.resolve("f32-" + state).toString()).build()).params();
      assertFalse(Arrays.equals(f32, a.params()), state + ": bf16 is not f32's exchange");
      double diff = 0;
      double norm = 0;
      for (int i = 0; i < f32.length; i++) {
        assertTrue(Float.isFinite(a.params()[i]));
        diff += (a.params()[i] - f32[i]) * (double) (a.params()[i] - f32[i]);
        norm += f32[i] * (double) f32[i];
      }
      assertTrue(Math.sqrt(diff / norm) < 0.05, state + ": bf16 stays near f32's trajectory (relative distance "
          + Math.sqrt(diff / norm) + ")");
      assertEquals(20, a.historyRecords().size(), "one history record per round");
    }
  }

  @Test
  void aRetriedGroupAndAResumedDriverGiveTheSameParameters() throws Exception {
    TrainConfig all = base.toBuilder().checkpointEvery(3).out(tmp.resolve("all").toString()).build();
    float[] uninterrupted = run(all).params();

    // worker 1 fails in round 5 (the second round of the group 4..6): Spark re-runs the whole group
    int failed = tasks.failedTasks();
    float[] retried = run(all.toBuilder().injectFault("5:1").out(tmp.resolve("all-fault").toString()).build())
        .params();
    spark.sparkContext().listenerBus().waitUntilEmpty();
    assertTrue(tasks.failedTasks() > failed, "the injected failure happened");
    assertArrayEquals(uninterrupted, retried, "a retried group changes nothing");

    TrainConfig killed = all.toBuilder().out(tmp.resolve("all-resume").toString()).injectFault("driver:14").build();
    assertThrows(TrainingRun.InjectedDriverFault.class, () -> run(killed));
    Checkpoint cp = new CheckpointStore(new Configuration(), killed.checkpointDir()).latest(w -> { }).checkpoint();
    assertEquals(12, cp.round(), "checkpoints at 3, 6, 9, 10 (epoch end), 12");
    assertEquals(3, cp.exchangeResiduals().length, "the checkpoint holds every worker's residuals");
    boolean nonzero = false;
    for (float[] r : cp.exchangeResiduals()) {
      for (float x : r) {
        nonzero |= x != 0;
      }
    }
    assertTrue(nonzero, "the residuals are not all zeros");
    assertTrue(cp.config().contains("exchange=bf16"), cp.config());
    TrainingRun.Result resumed = run(killed.toBuilder().injectFault(null).resume(true).build());
    assertArrayEquals(uninterrupted, resumed.params(), "resumed: bitwise the uninterrupted run");
    assertEquals(20, Files.readAllLines(Path.of(killed.out(), "history.jsonl")).size(),
        "history continues the interrupted one without gaps or repeats");

    // an f32 run cannot resume a bf16 run's checkpoint (another identity)
    TrainConfig f32 = killed.toBuilder().injectFault(null).resume(true).exchange("f32").build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(f32));
    assertTrue(e.getMessage().contains("belongs to another configuration"), e.getMessage());
  }

  @Test
  void treeAndShardedRefuseBf16InOneLine() {
    for (String averaging : new String[] {"tree", "sharded"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> base.toBuilder().averaging(averaging).build());
      assertEquals("invalid value bf16 for --exchange: needs --averaging allreduce (tree and sharded exchange f32)",
          e.getMessage());
    }
  }
}
