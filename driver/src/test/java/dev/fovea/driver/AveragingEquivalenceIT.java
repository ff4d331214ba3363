package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.batch.Batch;
import dev.fovea.data.image.Transform;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.ShardReader;
import dev.fovea.data.stream.ShardStream;
import dev.fovea.data.stream.StreamPlan;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import dev.fovea.optim.Sgd;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The invariants of parameter averaging, on Spark in local mode with real Fashion-MNIST samples:
 * one worker averaging every step is single-process training, and N workers with plain SGD
 * averaging every step are synchronous SGD on the N-times larger batch.
 */
class AveragingEquivalenceIT {
  @TempDir static Path tmp;
  static SparkSession spark;
  static Path data;

  @BeforeAll
  static void start() throws Exception {
    data = FashionMnist.subset(tmp, 640, 200);
    spark = SparkSessions.create("AveragingEquivalenceIT", "local[2]", 2);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static TrainConfig config(String name, int workers, double momentum) {
    return TrainConfig.defaults().withData(data.toString()).withShards(tmp.resolve("shards").toString())
        .withOut(tmp.resolve(name).toString()).withWorkers(workers).withBatch(16).withStepsPerRound(1).withEpochs(1)
        .withOptimizer(0.01, momentum, 1e-4).withBackend("reference").withSeed(11).withShardCount(4);
  }

  @Test
  void oneWorkerAveragingEveryStepIsSingleProcessTraining() {
    TrainConfig c = config("one", 1, 0.9);
    TrainingRun.Result r = new TrainingRun(spark, c, m -> { }).run();

    Configuration conf = new Configuration();
    String dir = c.shardRoot() + "/train";
    Manifest m = ShardReader.readManifest(conf, dir);
    Network net = Zoo.build("lenet", m.shape(), 10);
    StreamPlan plan = StreamPlan.of(TrainingRun.rows(m), c.seed(), 1, c.batch(), c.shuffleBuffer(), true);
    Transform t = Transform.resize(28, 28, m.mean(), m.std());
    float[] p = net.layout().initialize(c.seed());
    float[] v = new float[p.length];
    float[] g = new float[p.length];
    Sgd sgd = new Sgd(c.learningRate(), c.momentum(), c.weightDecay());
    ReferenceBackend b = new ReferenceBackend();
    // one stream over the whole epoch, in one process: the single-process reading of the same plan
    try (ShardStream stream = ShardStream.open(conf, dir, m, plan, t, 0, 0, 0, ShardStream.Options.DEFAULT)) {
      while (stream.hasNext()) {
        Batch batch = stream.next();
        net.lossAndGradient(b, p, g, batch.images(), batch.labels());
        sgd.step(p, g, v);
      }
    }
    assertEquals(40, r.rounds());
    assertArrayEquals(p, r.params(), "averaging one worker must be bitwise single-process training");
  }

  @Test
  void twoWorkersWithPlainSgdEqualOneWorkerOnTheCombinedBatch() {
    TrainConfig c = config("two", 2, 0.0);
    TrainingRun.Result r = new TrainingRun(spark, c, m -> { }).run();

    Configuration conf = new Configuration();
    String dir = c.shardRoot() + "/train";
    Manifest m = ShardReader.readManifest(conf, dir);
    Network net = Zoo.build("lenet", m.shape(), 10);
    StreamPlan plan = StreamPlan.of(TrainingRun.rows(m), c.seed(), 2, c.batch(), c.shuffleBuffer(), true);
    Transform t = Transform.resize(28, 28, m.mean(), m.std());
    ShardStream[] streams = new ShardStream[2];
    for (int w = 0; w < 2; w++) {
      streams[w] = ShardStream.open(conf, dir, m, plan, t, 0, w, 0, ShardStream.Options.DEFAULT);
    }
    float[] p = net.layout().initialize(c.seed());
    float[] g = new float[p.length];
    Sgd sgd = new Sgd(c.learningRate(), 0, c.weightDecay());
    ReferenceBackend b = new ReferenceBackend();
    int per = m.shape().size();
    for (int s = 0; s < plan.batchesPerEpoch(0); s++) {
      float[] x = new float[2 * c.batch() * per];
      int[] labels = new int[2 * c.batch()];
      for (int w = 0; w < 2; w++) {
        Batch part = streams[w].next();
        System.arraycopy(part.images().floatArray(), 0, x, w * c.batch() * per, c.batch() * per);
        System.arraycopy(part.labels(), 0, labels, w * c.batch(), c.batch());
      }
      net.lossAndGradient(b, p, g, Tensor.wrap(x, Shape.of(2 * c.batch(), 1, 28, 28)), labels);
      sgd.step(p, g, new float[p.length]);
    }
    for (ShardStream stream : streams) {
      stream.close();
    }
    double worst = 0;
    for (int i = 0; i < p.length; i++) {
      worst = Math.max(worst, Math.abs(p[i] - r.params()[i]) / Math.max(1e-2, Math.abs(p[i])));
    }
    // float rounding differs (mean of two batch-means vs one mean of the combined batch), nothing else
    assertTrue(worst < 1e-4, "largest relative difference " + worst);
    assertTrue(r.testAccuracy() > 0.3, "it learned something: " + r.testAccuracy());
  }
}
