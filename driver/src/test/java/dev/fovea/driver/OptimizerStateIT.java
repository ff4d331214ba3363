package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.checkpoint.Checkpoint;
import dev.fovea.driver.checkpoint.CheckpointStore;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --optimizer-state local}: each worker keeps its own SGD velocity between rounds. On Spark
 * in local mode (tasks are retried as on a cluster): averaging one worker is the identity, so
 * local equals averaged there; with two workers they differ (beyond rounding only for k > 1);
 * both strategies agree bitwise; a
 * failed task, a dead driver and the loss of every cached block change nothing but the time; the
 * velocity no longer passes through the driver.
 */
class OptimizerStateIT {
  @TempDir static Path tmp;
  static SparkSession spark;
  static TrainConfig base;
  static TrainingRun.Result treeLocal;
  static TaskCounter tasks;

  @BeforeAll
  static void start() throws Exception {
    Path data = FashionMnist.subset(tmp, 640, 100);
    spark = SparkSessions.create("OptimizerStateIT", null, 2);
    tasks = TaskCounter.attach(spark);
    // 640 / 2 workers / batch 16 = 20 steps each = 10 rounds of k = 2; checkpoints at 3, 6, 9, 10
    base = TrainConfig.builder().data(data.toString()).shards(tmp.resolve("shards").toString()).workers(2).batch(16)
        .stepsPerRound(2).epochs(1).backend("reference").seed(5).checkpointEvery(3).optimizerState("local")
        .averaging("tree").out(tmp.resolve("base").toString()).build();
    treeLocal = run(base, "base");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  static TrainingRun.Result run(TrainConfig c, String name) {
    return new TrainingRun(spark, c.toBuilder().out(tmp.resolve(name).toString()).build(), m -> { }).run();
  }

  static long roundBytes(int round) {
    return tasks.resultBytes("fovea-round-" + round);
  }

  @Test
  void oneWorkerKeepingItsVelocityIsOneWorkerAveragingIt() {
    TrainConfig one = base.toBuilder().workers(1).build();
    float[] local = run(one, "one-local").params();
    float[] averaged = run(one.toBuilder().optimizerState("averaged").build(), "one-averaged").params();
    assertArrayEquals(averaged, local, "the average of one velocity is that velocity, bitwise");
  }

  @Test
  void twoWorkersKeepingTheirVelocityDifferFromAveragingItAndMoveLessThroughTheDriver() throws Exception {
    spark.sparkContext().listenerBus().waitUntilEmpty();
    tasks.clearResultBytes();
    TrainingRun.Result averaged = run(base.toBuilder().optimizerState("averaged").build(), "two-averaged");
    spark.sparkContext().listenerBus().waitUntilEmpty();
    long averagedBytes = roundBytes(2);
    tasks.clearResultBytes();
    TrainingRun.Result local = run(base, "two-local");
    spark.sparkContext().listenerBus().waitUntilEmpty();
    long localBytes = roundBytes(2);
    assertArrayEquals(treeLocal.params(), local.params(), "a rerun is bitwise the same");
    assertFalse(Arrays.equals(averaged.params(), local.params()), "per-worker velocities change the trajectory");
    long vectorBytes = 4L * local.params().length;
    // the tree's sums arrive in double: 2 x 8 bytes per parameter averaged, 1 x 8 with local velocities
    assertTrue(averagedBytes > 2 * 8 * vectorBytes / 4 * 9 / 10, "averaged: " + averagedBytes);
    assertTrue(localBytes < averagedBytes * 6 / 10, "local " + localBytes + " vs averaged " + averagedBytes);
    assertTrue(local.testAccuracy() > 0.3, "it learned something: " + local.testAccuracy());
  }

  static double worstRelativeDifference(float[] a, float[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-2, Math.abs(a[i])));
    }
    return worst;
  }

  /** The checkpoint a run leaves when its driver dies right after {@code rounds} rounds. */
  static dev.fovea.driver.checkpoint.Checkpoint after(TrainConfig c, int rounds, String name) {
    TrainConfig cut = c.toBuilder().checkpointEvery(1).injectFault("driver:" + rounds)
        .out(tmp.resolve(name).toString()).build();
    assertThrows(TrainingRun.InjectedDriverFault.class, () -> new TrainingRun(spark, cut, m -> { }).run());
    return new dev.fovea.driver.checkpoint.CheckpointStore(spark.sparkContext().hadoopConfiguration(),
        cut.checkpointDir()).latest(w -> { }).checkpoint();
  }

  @Test
  void withOneStepPerRoundKeepingVelocitiesIsAveragingThemUpToRounding() {
    // SGD's momentum update is linear: with k = 1 the mean of the workers' own velocities follows
    // the averaged velocity exactly, so the parameters differ by float rounding only; with k = 2
    // each worker's second step sees its own parameters and the trajectories really part. Compared
    // after 4 rounds: SGD amplifies a rounding difference about twofold per round here (1e-7 after
    // 2 rounds, 2e-7 after 3; 3e-2 after 20), so a whole run would compare chaos, not the update.
    TrainConfig one = base.toBuilder().stepsPerRound(1).build();
    dev.fovea.driver.checkpoint.Checkpoint a1 = after(one.toBuilder().optimizerState("averaged").build(), 4, "k1-a");
    dev.fovea.driver.checkpoint.Checkpoint l1 = after(one, 4, "k1-l");
    dev.fovea.driver.checkpoint.Checkpoint a2 = after(base.toBuilder().optimizerState("averaged").build(), 4, "k2-a");
    dev.fovea.driver.checkpoint.Checkpoint l2 = after(base, 4, "k2-l");
    double k1 = worstRelativeDifference(a1.params(), l1.params());
    double k2 = worstRelativeDifference(a2.params(), l2.params());
    float[][] own = l1.workerVelocities();
    assertFalse(Arrays.equals(own[0], own[1]), "the two workers' velocities are their own");
    float[] mean = new float[own[0].length];
    for (int i = 0; i < mean.length; i++) {
      mean[i] = (float) (((double) own[0][i] + own[1][i]) / 2);
    }
    double v1 = worstRelativeDifference(a1.velocity(), mean);
    assertTrue(k1 < 1e-5, "k = 1: largest relative difference of the parameters " + k1);
    assertTrue(v1 < 1e-5, "k = 1: averaged velocity vs the mean of the workers' own " + v1);
    assertTrue(k2 > 100 * k1 && k2 > 1e-4, "k = 2: largest relative difference " + k2 + " (k = 1: " + k1 + ")");
  }

  @Test
  void bothStrategiesKeepingLocalVelocitiesGiveTheSameParameters() throws Exception {
    spark.sparkContext().listenerBus().waitUntilEmpty();
    tasks.clearResultBytes();
    TrainingRun.Result sharded = run(base.toBuilder().averaging("sharded").build(), "sharded-local");
    spark.sparkContext().listenerBus().waitUntilEmpty();
    assertArrayEquals(treeLocal.params(), sharded.params(), "sharded == tree, bitwise");
    for (int round : new int[] {1, 2, 4, 5}) { // rounds without a checkpoint: nothing of size P via the driver
      assertTrue(roundBytes(round) < 64 * 1024, "round " + round + ": " + roundBytes(round) + " bytes");
    }
  }

  @Test
  void aFailedTaskIsRetriedAndChangesNothing() throws Exception {
    spark.sparkContext().listenerBus().waitUntilEmpty();
    int before = tasks.failedTasks();
    float[] tree = run(base.toBuilder().injectFault("4:1").build(), "fault-tree").params();
    float[] sharded = run(base.toBuilder().averaging("sharded").injectFault("5:0").build(), "fault-sharded")
        .params();
    spark.sparkContext().listenerBus().waitUntilEmpty();
    assertTrue(tasks.failedTasks() >= before + 2, "the injected failures happened");
    assertArrayEquals(treeLocal.params(), tree, "tree: bitwise equal to the fault-free run");
    assertArrayEquals(treeLocal.params(), sharded, "sharded: bitwise equal to the fault-free run");
  }

  @Test
  void losingEveryCachedBlockRecomputesTheVelocitiesFromLineage() {
    // round 5: two rounds after the checkpoint at 3, so the lost velocities need two rounds of lineage
    float[] tree = run(base.toBuilder().injectFault("evict:5").build(), "evict-tree").params();
    float[] sharded = run(base.toBuilder().averaging("sharded").injectFault("evict:5").build(), "evict-sharded")
        .params();
    assertArrayEquals(treeLocal.params(), tree, "tree: bitwise equal to the run that lost nothing");
    assertArrayEquals(treeLocal.params(), sharded, "sharded: bitwise equal to the run that lost nothing");
  }

  @Test
  void aDeadDriverResumesEveryWorkersVelocityBitwise() {
    TrainConfig c = base.toBuilder().out(tmp.resolve("resume").toString()).injectFault("driver:7").build();
    assertThrows(TrainingRun.InjectedDriverFault.class, () -> new TrainingRun(spark, c, m -> { }).run());
    Checkpoint cp = new CheckpointStore(new Configuration(), c.checkpointDir()).latest(w -> { }).checkpoint();
    assertEquals(6, cp.round());
    assertNotNull(cp.workerVelocities(), "the checkpoint holds the workers' own velocities");
    assertEquals(2, cp.workerVelocities().length);
    assertFalse(Arrays.equals(cp.workerVelocities()[0], cp.workerVelocities()[1]), "two different velocities");
    // resumed with the other strategy: the checkpoint is the same, so are the parameters
    TrainConfig resumed = c.toBuilder().injectFault(null).resume(true).averaging("sharded").build();
    float[] p = new TrainingRun(spark, resumed, m -> { }).run().params();
    assertArrayEquals(treeLocal.params(), p, "bitwise equal to the uninterrupted run");
    TrainConfig averaged = c.toBuilder().injectFault(null).resume(true).optimizerState("averaged").build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new TrainingRun(spark, averaged, m -> { }).run());
    assertTrue(e.getMessage().contains("belongs to another configuration"), e.getMessage());
  }
}
