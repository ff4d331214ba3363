package dev.fovea.driver;

import dev.fovea.data.batch.Normalizer;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.SampleBlock;
import dev.fovea.data.shard.ShardReader;
import dev.fovea.driver.worker.Evaluation;
import dev.fovea.kernels.Backends;
import dev.fovea.nn.ModelFile;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/** Distributed evaluation of a saved model on a shard set: each sample counted exactly once. */
public final class Evaluator {
  private Evaluator() {}

  public static Evaluation evaluate(SparkSession spark, ModelFile.Model model, String shardDir, int workers,
      String backend) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Manifest m = ShardReader.readManifest(jsc.hadoopConfiguration(), shardDir);
    if (!m.shape().equals(model.inputShape())) {
      throw new IllegalArgumentException("the model expects inputs " + model.inputShape() + ", the shards in "
          + shardDir + " hold " + m.shape());
    }
    if (m.classes().size() != model.classNames().size()) {
      throw new IllegalArgumentException("the model has " + model.classNames().size() + " classes, the shards in "
          + shardDir + " have " + m.classes().size());
    }
    String chosen = Backends.resolve(backend, w -> System.err.println("fovea: warning: " + w)).name();
    Normalizer normalizer = TrainingRun.normalizer(model);
    JavaRDD<SampleBlock> slices = TrainingRun.slices(jsc, jsc.hadoopConfiguration(), shardDir, m, workers, "test");
    TrainConfig c = TrainConfig.builder().model(model.zoo()).workers(workers).build();
    Evaluation e = TrainingRun.evaluate(jsc, slices, c, model.classNames().size(), normalizer, chosen, 1,
        model.params(), model.buffers());
    slices.unpersist(false);
    return e;
  }
}
