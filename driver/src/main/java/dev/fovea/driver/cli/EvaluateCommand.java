package dev.fovea.driver.cli;

import dev.fovea.driver.Evaluator;
import dev.fovea.driver.SparkSessions;
import dev.fovea.driver.worker.Evaluation;
import dev.fovea.nn.ModelFile;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fovea evaluate}: a saved model on a shard set, distributed. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Evaluate a saved model on a shard set: accuracy, top-5, loss, per-class accuracy (MSE, MAE, "
        + "PSNR for image targets).")
final class EvaluateCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", paramLabel = "FILE", required = true, description = "a model.fovea, model.onnx or DL4J model.zip file")
  String model;

  @Option(names = "--shards", paramLabel = "DIR", required = true,
      description = "a shard set folder (with manifest.json), e.g. out/shards/test")
  String shards;

  @Option(names = "--workers", description = "parallel workers (default: ${DEFAULT-VALUE})")
  int workers = 2;

  @Option(names = "--backend", description = "auto, reference or onednn (default: ${DEFAULT-VALUE})")
  String backend = "auto";

  @Option(names = "--master", description = "Spark master URL (default: from spark-submit, else local[N])")
  String master;

  @Option(names = "--size", paramLabel = "H,W", split = ",", description = "evaluate at this input size instead of"
      + " the model's (for networks whose features end in global or adaptive pooling; the same parameters)")
  int[] size;

  @Override
  public Integer call() throws Exception {
    ModelFile.Model m = PredictCommand.load(model);
    // refused before Spark starts
    dev.fovea.kernels.Shape at = size == null ? null : PredictCommand.atSize(m, model, size).inputShape();
    SparkSession spark = SparkSessions.create("fovea evaluate", master, workers);
    try {
      Evaluation e = Evaluator.evaluate(spark, m, shards, workers, backend, at);
      var out = spec.commandLine().getOut();
      out.printf("fovea: %d samples · %s · loss %.4f%n", e.count, e.metricsLine(), e.meanLoss());
      double[] pc = e.classTargets() ? e.perClassAccuracy() : new double[0];
      for (int i = 0; i < pc.length; i++) {
        out.printf("fovea:   %-14s %.4f%n", m.classNames().get(i), pc[i]);
      }
      return 0;
    } finally {
      spark.stop();
    }
  }
}
