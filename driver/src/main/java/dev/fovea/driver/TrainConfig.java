package dev.fovea.driver;

/**
 * Everything that determines a training run. Immutable, with exactly one default per setting
 * ({@link #defaults()}); the whole record is saved as the run's provenance.
 *
 * @param data folder of the source dataset (MNIST layout), any Hadoop path; null to train on the
 *     shard sets under {@code shards} as they are
 * @param shards folder under which the {@code train} and {@code test} shard sets live (made when
 *     missing or when they came from another source)
 * @param out folder for the model, {@code summary.json} and {@code history.jsonl}
 * @param model zoo architecture name
 * @param workers N, partitions that train in parallel each round
 * @param batch samples per minibatch per worker
 * @param stepsPerRound k, minibatches each worker trains between two averagings
 * @param epochs passes over the training set
 * @param learningRate SGD step size
 * @param momentum SGD momentum; the velocity is averaged like the parameters
 * @param weightDecay L2 coefficient
 * @param seed seed of the parameters, the shard shuffle and every epoch's order
 * @param backend {@code auto}, {@code reference} or {@code onednn}
 * @param master Spark master URL; null to take it from spark-submit, or {@code local[N]} when
 *     none is set
 * @param threadsPerWorker native threads per training task; 0 means {@code spark.task.cpus}
 * @param shardCount shard files per shard set; 0 chooses 4 per worker, at least 8
 */
public record TrainConfig(String data, String shards, String out, String model, int workers, int batch,
    int stepsPerRound, int epochs, double learningRate, double momentum, double weightDecay, long seed,
    String backend, String master, int threadsPerWorker, int shardCount) {

  /** Where Debian's {@code dataset-fashion-mnist} package installs the data. */
  public static final String DEFAULT_DATA = "/usr/share/datasets/fashion-mnist";

  public TrainConfig {
    require(workers >= 1, "--workers", workers, "must be >= 1");
    require(batch >= 1, "--batch", batch, "must be >= 1");
    require(stepsPerRound >= 1, "--steps-per-round", stepsPerRound, "must be >= 1");
    require(epochs >= 1, "--epochs", epochs, "must be >= 1");
    require(learningRate > 0, "--lr", learningRate, "must be > 0");
    require(momentum >= 0 && momentum < 1, "--momentum", momentum, "must be in [0, 1)");
    require(weightDecay >= 0, "--weight-decay", weightDecay, "must be >= 0");
    require(threadsPerWorker >= 0, "--threads", threadsPerWorker, "must be >= 0");
    require(shardCount >= 0, "--shard-count", shardCount, "must be >= 0");
  }

  private static void require(boolean ok, String flag, Object value, String rule) {
    if (!ok) {
      throw new IllegalArgumentException("invalid value " + value + " for " + flag + ": " + rule);
    }
  }

  /** The defaults: LeNet on Fashion-MNIST with 2 workers in local mode. */
  public static TrainConfig defaults() {
    return new TrainConfig(DEFAULT_DATA, null, "out", "lenet", 2, 32, 8, 3, 0.01, 0.9, 0.0, 42, "auto", null, 0, 0);
  }

  /** The shard root: {@link #shards} when set, else {@code <out>/shards}. */
  public String shardRoot() {
    return shards != null ? shards : out + "/shards";
  }

  public TrainConfig withData(String v) {
    return new TrainConfig(v, shards, out, model, workers, batch, stepsPerRound, epochs, learningRate, momentum,
        weightDecay, seed, backend, master, threadsPerWorker, shardCount);
  }

  public TrainConfig withShards(String v) {
    return new TrainConfig(data, v, out, model, workers, batch, stepsPerRound, epochs, learningRate, momentum,
        weightDecay, seed, backend, master, threadsPerWorker, shardCount);
  }

  public TrainConfig withOut(String v) {
    return new TrainConfig(data, shards, v, model, workers, batch, stepsPerRound, epochs, learningRate, momentum,
        weightDecay, seed, backend, master, threadsPerWorker, shardCount);
  }

  public TrainConfig withWorkers(int v) {
    return new TrainConfig(data, shards, out, model, v, batch, stepsPerRound, epochs, learningRate, momentum,
        weightDecay, seed, backend, master, threadsPerWorker, shardCount);
  }

  public TrainConfig withBatch(int v) {
    return new TrainConfig(data, shards, out, model, workers, v, stepsPerRound, epochs, learningRate, momentum,
        weightDecay, seed, backend, master, threadsPerWorker, shardCount);
  }

  public TrainConfig withStepsPerRound(int v) {
    return new TrainConfig(data, shards, out, model, workers, batch, v, epochs, learningRate, momentum,
        weightDecay, seed, backend, master, threadsPerWorker, shardCount);
  }

  public TrainConfig withEpochs(int v) {
    return new TrainConfig(data, shards, out, model, workers, batch, stepsPerRound, v, learningRate, momentum,
        weightDecay, seed, backend, master, threadsPerWorker, shardCount);
  }

  public TrainConfig withOptimizer(double lr, double mom, double wd) {
    return new TrainConfig(data, shards, out, model, workers, batch, stepsPerRound, epochs, lr, mom, wd, seed,
        backend, master, threadsPerWorker, shardCount);
  }

  public TrainConfig withSeed(long v) {
    return new TrainConfig(data, shards, out, model, workers, batch, stepsPerRound, epochs, learningRate, momentum,
        weightDecay, v, backend, master, threadsPerWorker, shardCount);
  }

  public TrainConfig withBackend(String v) {
    return new TrainConfig(data, shards, out, model, workers, batch, stepsPerRound, epochs, learningRate, momentum,
        weightDecay, seed, v, master, threadsPerWorker, shardCount);
  }

  public TrainConfig withMaster(String v) {
    return new TrainConfig(data, shards, out, model, workers, batch, stepsPerRound, epochs, learningRate, momentum,
        weightDecay, seed, backend, v, threadsPerWorker, shardCount);
  }

  public TrainConfig withShardCount(int v) {
    return new TrainConfig(data, shards, out, model, workers, batch, stepsPerRound, epochs, learningRate, momentum,
        weightDecay, seed, backend, master, threadsPerWorker, v);
  }
}
