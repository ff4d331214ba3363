package dev.fovea.driver.cli;

import dev.fovea.driver.DatasetPreparer;
import dev.fovea.driver.SparkSessions;
import dev.fovea.driver.TrainConfig;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fovea shard}: write the train and test shard sets of a dataset. */
@Command(name = "shard", mixinStandardHelpOptions = true,
    description = "Shard an MNIST-layout dataset into <out>/train and <out>/test (Parquet + manifest.json).")
final class ShardCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", paramLabel = "DIR", description = "MNIST-layout dataset folder (default: ${DEFAULT-VALUE})")
  String data = TrainConfig.DEFAULT_DATA;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "shard sets folder")
  String out;

  @Option(names = "--shard-count", description = "shard files for the training set; 0 = automatic (default: 0)")
  int shardCount;

  @Option(names = "--seed", description = "seed of the global shuffle (default: ${DEFAULT-VALUE})")
  long seed = TrainConfig.defaults().seed();

  @Option(names = "--master", description = "Spark master URL (default: from spark-submit, else local[2])")
  String master;

  @Override
  public Integer call() {
    TrainConfig c = TrainConfig.builder().data(data).shards(out).out(out).shardCount(shardCount).seed(seed).build();
    SparkSession spark = SparkSessions.create("fovea shard", master, 2);
    try {
      DatasetPreparer.Prepared p = DatasetPreparer.prepare(spark, c, l -> spec.commandLine().getOut()
          .println("fovea: " + l));
      spec.commandLine().getOut().printf("fovea: %s: %d samples in %d shards; %s: %d samples in %d shards%n",
          p.trainDir(), p.train().count(), p.train().shards().size(), p.testDir(), p.test().count(),
          p.test().shards().size());
      return 0;
    } finally {
      spark.stop();
    }
  }
}
