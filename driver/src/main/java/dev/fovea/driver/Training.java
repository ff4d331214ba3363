package dev.fovea.driver;

import org.apache.spark.sql.SparkSession;

/**
 * The Java API for notebooks and programs: train with a configuration and get the result back,
 * history and model included.
 *
 * <pre>{@code
 * TrainConfig config = TrainConfig.builder().data("/usr/share/datasets/fashion-mnist").epochs(1).build();
 * TrainingRun.Result result = Training.run(config);
 * System.out.println(result.testAccuracy());
 * }</pre>
 */
public final class Training {
  private Training() {}

  /**
   * Trains on the active Spark session, or on a new embedded local-mode one (stopped afterwards)
   * when there is none; progress lines go to standard output.
   */
  public static TrainingRun.Result run(TrainConfig config) {
    java.util.Optional<SparkSession> active = SparkSession.getActiveSession().isDefined()
        ? java.util.Optional.of(SparkSession.getActiveSession().get()) : java.util.Optional.empty();
    if (active.isPresent()) {
      return run(active.get(), config);
    }
    SparkSession spark = SparkSessions.create("fovea notebook", config.master(), config.workers());
    try {
      return run(spark, config);
    } finally {
      spark.stop();
    }
  }

  /** Trains on {@code spark}. */
  public static TrainingRun.Result run(SparkSession spark, TrainConfig config) {
    return new TrainingRun(spark, config, line -> System.out.println("fovea: " + line)).run();
  }
}
