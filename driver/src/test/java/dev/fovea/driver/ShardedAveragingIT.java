package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.FashionMnist;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sharded strategy (reduce-scatter and all-gather through the shuffle) gives the same averaged
 * parameters as tree aggregation, and moves O(1) bytes through the driver per round, measured from
 * Spark's task metrics (the serialized size of every task result the driver receives).
 */
class ShardedAveragingIT {
  @TempDir static Path tmp;
  static SparkSession spark;
  static TaskCounter tasks;

  @BeforeAll
  static void start() {
    // local[N, F]: a failed task is retried, as on a cluster (the fault below)
    spark = SparkSessions.create("ShardedAveragingIT", "local[3,4]", 3);
    tasks = TaskCounter.attach(spark);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void shardedEqualsTreeAndKeepsTheVectorOffTheDriver() throws Exception {
    Path data = FashionMnist.subset(tmp, 960, 100);
    TrainConfig tree = TrainConfig.builder().data(data.toString()).shards(tmp.resolve("shards").toString())
        .workers(3).batch(16).stepsPerRound(2).epochs(1).backend("reference").seed(8).checkpointEvery(0)
        .averaging("tree").out(tmp.resolve("tree").toString()).build();
    TrainConfig sharded = tree.toBuilder().averaging("sharded").out(tmp.resolve("sharded").toString()).build();

    tasks.clearResultBytes();
    TrainingRun.Result a = new TrainingRun(spark, tree, m -> { }).run();
    spark.sparkContext().listenerBus().waitUntilEmpty();
    long treeBytes = tasks.resultBytes("fovea-round-3");

    tasks.clearResultBytes();
    TrainingRun.Result b = new TrainingRun(spark, sharded, m -> { }).run();
    spark.sparkContext().listenerBus().waitUntilEmpty();

    assertArrayEquals(a.params(), b.params(), "both strategies average to the same parameters, bitwise");
    long vectorBytes = 4L * a.params().length;
    // 960 / 3 / 16 = 20 batches, 10 rounds; the last round ends the epoch (gathered for the checkpoint)
    for (int round = 1; round < 10; round++) {
      long bytes = tasks.resultBytes("fovea-round-" + round);
      assertTrue(bytes < 64 * 1024, "round " + round + ": " + bytes + " result bytes reached the driver");
    }
    assertTrue(treeBytes > vectorBytes, "tree aggregation brings the vector through the driver: " + treeBytes);

    // a failed task of round 4 is retried, and every cached slice lost after round 5 is recomputed
    // from lineage: both change nothing but the time
    int failed = tasks.failedTasks();
    TrainingRun.Result retried = new TrainingRun(spark, sharded.toBuilder().injectFault("4:1")
        .out(tmp.resolve("sharded-fault").toString()).build(), m -> { }).run();
    spark.sparkContext().listenerBus().waitUntilEmpty();
    assertTrue(tasks.failedTasks() > failed, "the injected failure happened");
    assertArrayEquals(a.params(), retried.params(), "a retried task changes nothing");
    TrainingRun.Result evicted = new TrainingRun(spark, sharded.toBuilder().injectFault("evict:5")
        .out(tmp.resolve("sharded-evict").toString()).build(), m -> { }).run();
    assertArrayEquals(a.params(), evicted.params(), "slices recomputed from lineage change nothing");
  }
}
