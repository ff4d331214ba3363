package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.batch.Batch;
import dev.fovea.data.image.Transform;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.ShardReader;
import dev.fovea.data.stream.ShardStream;
import dev.fovea.data.stream.StreamPlan;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.checkpoint.Checkpoint;
import dev.fovea.driver.checkpoint.CheckpointStore;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import dev.fovea.optim.UpdateRule;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every optimizer through the distributed trainer, on Spark in local mode with real Fashion-MNIST
 * samples: one worker averaging every step is single-process training with that optimizer
 * (bitwise, over two epochs, so the step count the update sees — Adam's bias correction — is the
 * global step across rounds and epochs, whatever is averaged), and a killed driver's {@code
 * --resume} with Adam ends on the uninterrupted run's parameters bitwise.
 */
class OptimizersIT {
  @TempDir static Path tmp;
  static SparkSession spark;
  static Path data;

  @BeforeAll
  static void start() throws Exception {
    data = FashionMnist.subset(tmp, 320, 200);
    spark = SparkSessions.create("OptimizersIT", "local[2]", 2);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /**
   * The single-process loop: one stream per epoch over the same plan, the gradient on the reference
   * backend, then the configured rule at the global step.
   */
  static float[] singleProcess(TrainConfig c) {
    Configuration conf = new Configuration();
    String dir = c.shardRoot() + "/train";
    Manifest m = ShardReader.readManifest(conf, dir);
    Network net = Zoo.build("lenet", m.shape(), 10);
    StreamPlan plan = StreamPlan.of(TrainingRun.rows(m), c.seed(), 1, c.batch(), c.shuffleBuffer(), true);
    Transform t = Transform.resize(28, 28, m.mean(), m.std());
    UpdateRule rule = c.updateRuleAt(c.learningRate());
    float[] p = net.layout().initialize(c.seed());
    float[] s = new float[rule.stateSize(p.length)];
    rule.optimizer().initState(s);
    float[] g = new float[p.length];
    ReferenceBackend b = new ReferenceBackend();
    long step = 0;
    for (int epoch = 0; epoch < c.epochs(); epoch++) {
      try (ShardStream stream = ShardStream.open(conf, dir, m, plan, t, epoch, 0, 0, ShardStream.Options.DEFAULT)) {
        while (stream.hasNext()) {
          Batch batch = stream.next();
          net.lossAndGradient(b, p, g, batch.images(), batch.labels());
          rule.apply(p, g, s, step++);
        }
      }
    }
    return p;
  }

  @ParameterizedTest(name = "{0} {1} clip-norm {2} clip-value {3}")
  @CsvSource({
      "sgd, 0.01, 0, 0, averaged, tree",
      "nesterov, 0.01, 0, 0, averaged, tree",
      "adam, 0.001, 0, 0, averaged, tree",
      "adamw, 0.001, 0, 0, averaged, tree",
      "rmsprop, 0.001, 0, 0, averaged, tree",
      "adagrad, 0.01, 0, 0, averaged, tree",
      "adam, 0.001, 0.5, 0, local, sharded",
      "sgd, 0.01, 0, 0.01, averaged, sharded"})
  void oneWorkerAveragingEveryStepIsSingleProcessTraining(String optimizer, double lr, double clipNorm,
      double clipValue, String optimizerState, String averaging) {
    TrainConfig c = TrainConfig.builder().data(data.toString()).shards(tmp.resolve("shards").toString())
        .out(tmp.resolve(optimizer + "-" + clipNorm + "-" + clipValue).toString()).workers(1).batch(16)
        .stepsPerRound(1).epochs(2).backend("reference").seed(11).shardCount(4).optimizer(optimizer).learningRate(lr)
        .momentum(0.9).weightDecay(1e-4).rho(0.9).clipNorm(clipNorm).clipValue(clipValue)
        .optimizerState(optimizerState).averaging(averaging).build();
    TrainingRun.Result r = new TrainingRun(spark, c, m -> { }).run();
    assertEquals(40, r.rounds());
    float[] expected = singleProcess(c);
    boolean moved = false;
    float[] start = Zoo.build("lenet", dev.fovea.kernels.Shape.of(1, 28, 28), 10).layout().initialize(c.seed());
    for (int i = 0; i < start.length && !moved; i++) {
      moved = start[i] != r.params()[i];
    }
    assertTrue(moved, "training moved the parameters");
    assertArrayEquals(expected, r.params(), optimizer + ": averaging one worker must be bitwise single-process "
        + "training");
  }

  /**
   * Adam on oneDNN (the resident native round: parameters and both moments held in oneDNN's layouts
   * for each round) with two workers: the driver dies after round 14, {@code --resume} continues from
   * the round-12 checkpoint (format version 3, two state blocks) and ends bitwise where the
   * uninterrupted run ends; with per-worker state and the sharded strategy too.
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"averaged, tree", "local, sharded"})
  void adamResumesAfterAKilledDriverBitwise(String optimizerState, String averaging) throws Exception {
    Path more = FashionMnist.subset(tmp.resolve("resume-data-" + optimizerState), 640, 100);
    TrainConfig one = TrainConfig.builder().data(more.toString())
        .shards(tmp.resolve("resume-shards-" + optimizerState).toString()).workers(2).batch(16).stepsPerRound(2)
        .epochs(2).backend("onednn").model("lenet_bn").seed(3).checkpointEvery(3).optimizer("adam")
        .learningRate(0.002).clipNorm(5).optimizerState(optimizerState).averaging(averaging)
        .out(tmp.resolve("adam-" + optimizerState).toString()).build();
    TrainingRun.Result ref = new TrainingRun(spark, one, m -> { }).run();
    assertEquals("onednn", ref.backend(), "the test JVM loads oneDNN");
    TrainConfig killed = one.toBuilder().out(tmp.resolve("adam-killed-" + optimizerState).toString())
        .injectFault("driver:14").build();
    assertThrows(TrainingRun.InjectedDriverFault.class, () -> new TrainingRun(spark, killed, m -> { }).run());
    Checkpoint cp = new CheckpointStore(new Configuration(), killed.checkpointDir()).latest(w -> { }).checkpoint();
    // 640 / 2 / 16 = 20 batches per worker = 10 rounds per epoch; checkpoints at 3, 6, 9, 10, 12
    assertEquals(12, cp.round());
    assertEquals(2, cp.stateBlocks(), "Adam's two moments are checkpointed");
    assertEquals("local".equals(optimizerState) ? 2 : 0, cp.workerVelocities() == null ? 0
        : cp.workerVelocities().length);
    float[] resumed = new TrainingRun(spark, killed.toBuilder().injectFault(null).resume(true).build(), m -> { })
        .run().params();
    assertArrayEquals(ref.params(), resumed, "resumed Adam: bitwise equal to the uninterrupted run");
  }

  /** A checkpoint written by another optimizer is refused, naming both configurations. */
  @Test
  void resumeWithAnotherOptimizerIsRefused() {
    TrainConfig sgd = TrainConfig.builder().data(data.toString()).shards(tmp.resolve("shards").toString())
        .out(tmp.resolve("switch").toString()).workers(1).batch(16).stepsPerRound(4).epochs(1).backend("reference")
        .seed(11).shardCount(4).build();
    new TrainingRun(spark, sgd, m -> { }).run();
    TrainConfig adam = sgd.toBuilder().optimizer("adam").resume(true).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new TrainingRun(spark, adam, m -> { }).run());
    assertTrue(e.getMessage().contains("belongs to another configuration") && e.getMessage().contains("optimizer=adam"),
        e.getMessage());
  }
}
