package dev.fovea.example;

import dev.fovea.driver.SparkSessions;
import dev.fovea.driver.TrainConfig;
import dev.fovea.driver.TrainingRun;
import org.apache.spark.sql.SparkSession;

/**
 * Fits LeNet on Fashion-MNIST for one epoch on local Spark with two workers, through Fovea's Java
 * API, and prints the test accuracy. Exits 1 when the accuracy is below 0.7 (one epoch gives about
 * 0.85), so a build that runs it checks that training works.
 *
 * <p>Arguments (optional): the MNIST-layout data folder (default: Debian's dataset-fashion-mnist) and
 * the output folder (default {@code target/fovea-run}).
 */
public final class FitFashionMnist {
  private FitFashionMnist() {}

  public static void main(String[] args) {
    String data = args.length > 0 ? args[0] : "/usr/share/datasets/fashion-mnist";
    String out = args.length > 1 ? args[1] : "target/fovea-run";
    TrainConfig config = TrainConfig.builder().data(data).out(out).model("lenet").workers(2).epochs(1).build();
    SparkSession spark = SparkSessions.create("fovea library example", "local[2]", 2);
    TrainingRun.Result result;
    try {
      result = new TrainingRun(spark, config, line -> System.out.println("fovea: " + line)).run();
      System.out.printf("example: test accuracy %.4f after %d epoch(s) on Spark %s%n",
          result.testAccuracy(), result.epochs(), spark.version());
    } finally {
      spark.stop();
    }
    if (result.testAccuracy() < 0.7) {
      System.err.println("example: test accuracy " + result.testAccuracy() + " is below 0.7");
      System.exit(1);
    }
  }
}
