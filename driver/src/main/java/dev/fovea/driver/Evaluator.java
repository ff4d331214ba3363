package dev.fovea.driver;

import dev.fovea.data.shard.HadoopConf;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.shard.ShardReader;
import dev.fovea.driver.worker.Evaluation;
import dev.fovea.driver.worker.ShardInput;
import dev.fovea.kernels.Backends;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.NetworkJson;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Distributed evaluation of a saved model on a shard set: each sample counted exactly once, through
 * the validation transform the training run used ({@link InputTransforms#validation}).
 */
public final class Evaluator {
  private Evaluator() {}

  public static Evaluation evaluate(SparkSession spark, ModelFile.Model model, String shardDir, int workers,
      String backend) {
    return evaluate(spark, model, shardDir, workers, backend, null);
  }

  /**
   * {@link #evaluate(SparkSession, ModelFile.Model, String, int, String)} at input size {@code
   * size} {@code (C, H, W)} instead of the model's (null: the model's), with the same parameters:
   * for networks whose features end in global or adaptive pooling ({@code Network.withInputShape},
   * which refuses the others with the reason).
   */
  public static Evaluation evaluate(SparkSession spark, ModelFile.Model model, String shardDir, int workers,
      String backend, Shape size) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Manifest m = ShardReader.readManifest(jsc.hadoopConfiguration(), shardDir);
    // the network the file describes (not one rebuilt from its zoo name, which may be absent or name another
    // architecture), at the size asked for: the same parameters through global or adaptive pooling
    Network net = size == null ? model.network() : model.network().withInputShape(size);
    Shape input = net.inputShape();
    if (m.sampleShape().get(0) != input.dim(0)) {
      throw new IllegalArgumentException("the model expects inputs " + input + ", the shards in " + shardDir
          + " hold " + m.shape());
    }
    if (m.classes().size() != model.classNames().size()) {
      throw new IllegalArgumentException("the model has " + model.classNames().size() + " classes, the shards in "
          + shardDir + " have " + m.classes().size());
    }
    dev.fovea.data.shard.TargetSpec target = m.targetSpec();
    if (net.loss().readsLabels() != target.isClass()
        || !target.isClass() && !net.loss().targetShape(net.outputShape()).equals(target.tensorShape())) {
      throw new IllegalArgumentException("the model gives " + (net.loss().readsLabels() ? "class logits"
          : "outputs of " + net.outputShape()) + " (loss " + net.loss().id() + "), the shards in " + shardDir
          + " have " + target.describe() + " targets");
    }
    String chosen = Backends.resolve(backend, w -> System.err.println("fovea: warning: " + w)).name();
    List<List<Double>> norm = TrainingRun.normalization(model);
    ShardInput test = TrainingRun.evaluationInput(new HadoopConf(jsc.hadoopConfiguration()), shardDir, m, workers,
        InputTransforms.validation(m, input, norm.get(0), norm.get(1)), 1);
    String architecture = NetworkJson.toJsonString(net);
    return TrainingRun.evaluate(jsc, TrainingRun.workers(jsc, workers), test, architecture,
        model.classNames().size(), chosen, 1, model.params(), model.buffers());
  }
}
