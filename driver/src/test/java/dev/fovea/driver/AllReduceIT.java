package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.checkpoint.Checkpoint;
import dev.fovea.driver.checkpoint.CheckpointStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The all-reduce strategy (several rounds per Spark job, one barrier stage whose tasks exchange
 * slices through Spark's block manager) gives bitwise the parameters of tree aggregation, with the
 * optimizer state averaged or kept per worker, whatever the rounds per job; a retried group and a
 * resumed driver change nothing; too few task slots are refused in one line.
 */
class AllReduceIT {
  @TempDir static Path tmp;
  static SparkSession spark;
  static TaskCounter tasks;
  static TrainConfig base;

  @BeforeAll
  static void start() throws Exception {
    // local[N, F]: a failed task is retried (here: the whole barrier stage), as on a cluster
    spark = SparkSessions.create("AllReduceIT", "local[3,4]", 3);
    tasks = TaskCounter.attach(spark);
    base = threeWorkers(tmp).averaging("tree").out(tmp.resolve("tree").toString()).build();
  }

  /**
   * The runs of the all-reduce ITs: 960 Fashion-MNIST images (a subset under {@code tmp}), 3
   * workers, batch 16, k = 2 (960 / 3 / 16 = 20 batches per worker, 10 rounds per epoch), 2 epochs
   * on the reference backend, no checkpoints; averaging and output left to the caller.
   */
  static TrainConfig.Builder threeWorkers(Path tmp) throws java.io.IOException {
    Path data = FashionMnist.subset(tmp, 960, 100);
    return TrainConfig.builder().data(data.toString()).shards(tmp.resolve("shards").toString()).workers(3).batch(16)
        .stepsPerRound(2).epochs(2).backend("reference").seed(8).checkpointEvery(0);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static TrainingRun.Result run(TrainConfig c) {
    return new TrainingRun(spark, c, m -> { }).run();
  }

  @Test
  void allReduceEqualsTreeBitwiseWithAveragedAndLocalOptimizerState() throws Exception {
    for (String state : new String[] {"averaged", "local"}) {
      TrainConfig tree = base.toBuilder().optimizerState(state).out(tmp.resolve("tree-" + state).toString()).build();
      TrainingRun.Result a = run(tree);
      // 4 rounds per job: groups of 4, 4 and 2 rounds in each epoch; 1: one round per job
      for (int perJob : new int[] {4, 1}) {
        TrainConfig all = tree.toBuilder().averaging("allreduce").roundsPerJob(perJob)
            .out(tmp.resolve("allreduce-" + state + "-" + perJob).toString()).build();
        TrainingRun.Result b = run(all);
        assertArrayEquals(a.params(), b.params(), state + ", " + perJob + " rounds per job: bitwise tree's parameters");
        assertEquals(a.evaluation().accuracy(), b.evaluation().accuracy(), state + ": same test accuracy");
        assertEquals(20, b.historyRecords().size(), "one history record per round");
        for (var h : b.historyRecords()) {
          assertTrue(h.get("seconds").asDouble() > 0 && h.get("compute_seconds").asDouble() > 0
              && h.get("compute_seconds").asDouble() <= h.get("seconds").asDouble() * 1.0001, h.toString());
        }
        if ("local".equals(state)) {
          Checkpoint ta = new CheckpointStore(new Configuration(), tree.checkpointDir()).latest(w -> { }).checkpoint();
          Checkpoint tb = new CheckpointStore(new Configuration(), all.checkpointDir()).latest(w -> { }).checkpoint();
          for (int w = 0; w < 3; w++) {
            assertArrayEquals(ta.workerVelocities()[w], tb.workerVelocities()[w], "worker " + w + "'s own velocity");
          }
          assertArrayEquals(ta.velocity(), tb.velocity(), "the mean velocity a model file records");
        }
      }
    }
  }

  @Test
  void withTwoWorkersAndWithOneTooTheParametersAreTrees() {
    for (int workers : new int[] {2, 1}) {
      TrainConfig tree = base.toBuilder().workers(workers).epochs(1).out(tmp.resolve("tree-w" + workers).toString())
          .build();
      TrainConfig all = tree.toBuilder().averaging("allreduce").roundsPerJob(4)
          .out(tmp.resolve("allreduce-w" + workers).toString()).build();
      assertArrayEquals(run(tree).params(), run(all).params(), workers + " workers: bitwise tree's parameters");
    }
  }

  @Test
  void aRetriedGroupAndAResumedDriverGiveTheSameParameters() throws Exception {
    TrainConfig all = base.toBuilder().averaging("allreduce").roundsPerJob(4).checkpointEvery(3)
        .out(tmp.resolve("all").toString()).build();
    float[] uninterrupted = run(all).params();
    assertArrayEquals(run(base.toBuilder().out(tmp.resolve("tree-ref").toString()).build()).params(), uninterrupted,
        "checkpoints every 3 rounds (groups of 3) change nothing");

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
    TrainingRun.Result resumed = run(killed.toBuilder().injectFault(null).resume(true).build());
    assertArrayEquals(uninterrupted, resumed.params(), "resumed: bitwise the uninterrupted run");
    assertEquals(20, Files.readAllLines(Path.of(killed.out(), "history.jsonl")).size(),
        "history continues the interrupted one without gaps or repeats");
  }

  @Test
  void fewerTaskSlotsThanWorkersIsRefusedInOneLine() {
    TrainConfig c = base.toBuilder().workers(4).averaging("allreduce").out(tmp.resolve("slots").toString()).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(c));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.getMessage().contains("4 workers") && e.getMessage().contains("3 task slots")
        && e.getMessage().contains("--averaging tree"), e.getMessage());
  }
}
