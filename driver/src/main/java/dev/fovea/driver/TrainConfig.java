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
 * @param model what to train ({@link ModelSpec}): a zoo architecture name, a network file (the graph
 *     API's JSON or YAML) or a network's JSON description ({@link Builder#network})
 * @param workers N, partitions that train in parallel each round
 * @param batch samples per minibatch per worker
 * @param stepsPerRound k, minibatches each worker trains between two averagings
 * @param epochs passes over the training set
 * @param learningRate SGD step size
 * @param momentum SGD momentum; the velocity is averaged like the parameters, or kept per worker
 *     (see {@code optimizerState})
 * @param weightDecay L2 coefficient
 * @param seed seed of the parameters, the shard shuffle and every epoch's order
 * @param backend {@code auto}, {@code reference} or {@code onednn}
 * @param master Spark master URL; null to take it from spark-submit, or {@code local[N]} when
 *     none is set
 * @param threadsPerWorker native threads per training task; 0 means {@code spark.task.cpus}
 * @param shardCount shard files per shard set; 0 chooses 4 per worker, at least 8
 * @param checkpointEvery write a checkpoint every this many rounds (and at each epoch end); 0 only
 *     at epoch ends
 * @param resume continue from the newest checkpoint in {@code <out>/checkpoints}
 * @param averaging {@code tree} (treeAggregate through the driver) or {@code sharded} (reduce-scatter
 *     and all-gather through the shuffle; the vector never passes through the driver)
 * @param lrScaling {@code none}, or {@code linear}: the learning rate grows to N × {@code
 *     learningRate} for N workers (Goyal et al. 2017), reached linearly over {@code warmupRounds}
 * @param warmupRounds rounds of the linear warm-up from {@code learningRate} to the scaled rate
 * @param lrSchedule {@code constant}, or {@code cosine}: the (scaled) rate decays to 0 over the
 *     run's rounds along a half cosine (Keras's {@code CosineDecay})
 * @param initModel a model file to start from (fine-tuning): every parameter slice whose name and
 *     shape match is copied, the rest start from the seed; null to start from the seed
 * @param freeze layers whose parameters stay bitwise unchanged (fine-tuning); empty for none
 * @param replaceHead layers re-initialised from the seed even where {@code initModel} has them
 *     (a new classifier head); empty for none
 * @param augment training augmentation: {@code none}, {@code flip} (horizontal, p = 1/2), {@code
 *     crop-flip} (pad by {@code pad} zero pixels, random crop back to the input size, flip; for raw
 *     sets, e.g. CIFAR or Fashion-MNIST) or {@code rrc-flip} (random resized crop, scale [0.08, 1],
 *     ratio [3/4, 4/3], to the input size, flip). Evaluation never augments: it uses the whole image
 *     when the stored size is the input size, else shorter side to {@code imageSize / 0.875} and
 *     the centre crop
 * @param imageSize the network's input height and width; 0 keeps a raw set's stored size. JPEG
 *     sets (images of varying size) need it
 * @param pad {@code crop-flip}: zero pixels added on every side before the random crop
 * @param shuffleBuffer samples each worker shuffles within (a window of its slice, after the shard
 *     order is shuffled every epoch); bounds the shards one round touches
 * @param injectFault for fault tests: {@code ROUND:WORKER} makes that worker's task fail on its
 *     first attempt in that (1-based) round; {@code driver:ROUND} makes the driver die right after
 *     that round (and its checkpoint, if one is due); {@code evict:ROUND} drops every cached block
 *     of the run's RDDs right after that round, as if every executor had died, so the next round
 *     recomputes them from lineage; null for none
 * @param optimizerState {@code averaged}: the SGD velocity is averaged across workers each round
 *     like the parameters; {@code local}: each worker keeps its own velocity between rounds (never
 *     averaged, never shipped through the driver by a round; checkpoints hold every worker's). See
 *     docs/averaging.md for the trade-off
 */
public record TrainConfig(String data, String shards, String out, String model, int workers, int batch,
    int stepsPerRound, int epochs, double learningRate, double momentum, double weightDecay, long seed,
    String backend, String master, int threadsPerWorker, int shardCount, int checkpointEvery, boolean resume,
    String averaging, String lrScaling, int warmupRounds, String lrSchedule, String initModel, java.util.List<String> freeze, java.util.List<String> replaceHead,
    String augment, int imageSize, int pad, int shuffleBuffer, String injectFault, String optimizerState) implements java.io.Serializable {

  /** The values of {@code --augment}. */
  public static final java.util.List<String> AUGMENTATIONS = java.util.List.of("none", "flip", "crop-flip",
      "rrc-flip");

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
    require(checkpointEvery >= 0, "--checkpoint-every", checkpointEvery, "must be >= 0");
    require(out != null && !out.isBlank(), "--out", out, "must name a folder");
    freeze = freeze == null ? java.util.List.of() : java.util.List.copyOf(freeze);
    replaceHead = replaceHead == null ? java.util.List.of() : java.util.List.copyOf(replaceHead);
    require(initModel != null || freeze.isEmpty() && replaceHead.isEmpty(), "--freeze/--replace-head",
        freeze + "/" + replaceHead, "need --init-model");
    require("none".equals(lrScaling) || "linear".equals(lrScaling), "--lr-scaling", lrScaling,
        "must be none or linear");
    require(warmupRounds >= 0, "--warmup-rounds", warmupRounds, "must be >= 0");
    require("constant".equals(lrSchedule) || "cosine".equals(lrSchedule), "--lr-schedule", lrSchedule,
        "must be constant or cosine");
    require("tree".equals(averaging) || "sharded".equals(averaging), "--averaging", averaging,
        "must be tree or sharded");
    require(AUGMENTATIONS.contains(augment), "--augment", augment, "must be one of " + String.join(", ",
        AUGMENTATIONS));
    require(imageSize >= 0, "--image-size", imageSize, "must be >= 0 (0 keeps a raw set's stored size)");
    require(pad >= 0, "--pad", pad, "must be >= 0");
    require(shuffleBuffer >= 1, "--shuffle-buffer", shuffleBuffer, "must be >= 1");
    require(injectFault == null || injectFault.matches("(\\d+|driver|evict):\\d+"), "--inject-fault",
        injectFault, "must be ROUND:WORKER, driver:ROUND or evict:ROUND");
    require("averaged".equals(optimizerState) || "local".equals(optimizerState), "--optimizer-state",
        optimizerState, "must be averaged or local");
  }

  private static void require(boolean ok, String flag, Object value, String rule) {
    if (!ok) {
      throw new IllegalArgumentException("invalid value " + value + " for " + flag + ": " + rule);
    }
  }

  /** The defaults: LeNet on Fashion-MNIST with 2 workers in local mode. */
  public static TrainConfig defaults() {
    return new Builder().build();
  }

  /** A builder starting from the defaults; the notebook-friendly way to make a configuration. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** The shard root: {@link #shards} when set, else {@code <out>/shards}. */
  public String shardRoot() {
    return shards != null ? shards : out + "/shards";
  }

  /**
   * The learning rate of round {@code round} (1-based): {@code learningRate}, or with linear
   * scaling N × {@code learningRate}, approached linearly over the warm-up rounds.
   */
  public double learningRateAt(long round) {
    if (!"linear".equals(lrScaling)) {
      return learningRate;
    }
    double target = learningRate * workers;
    if (warmupRounds == 0 || round >= warmupRounds) {
      return target;
    }
    return learningRate + (target - learningRate) * (round - 1) / warmupRounds;
  }

  /**
   * The learning rate of round {@code round} (1-based) of a run of {@code totalRounds}: {@link
   * #learningRateAt(long)} under the configured schedule.
   */
  public double learningRateAt(long round, long totalRounds) {
    double base = learningRateAt(round);
    if ("cosine".equals(lrSchedule)) {
      return new dev.fovea.optim.LearningRateSchedule.CosineDecay(Math.max(1, totalRounds), 0)
          .rate(base, round - 1);
    }
    return base;
  }

  /** Where checkpoints go: {@code <out>/checkpoints}. */
  public String checkpointDir() {
    return out + "/checkpoints";
  }

  /**
   * The settings that decide a run's parameters; a checkpoint resumes only under the same
   * identity.
   */
  public String identity() {
    return "model=" + ModelSpec.labelOf(model) + " workers=" + workers + " batch=" + batch + " steps_per_round=" + stepsPerRound
        + " lr=" + learningRate + " lr_scaling=" + lrScaling + "/" + warmupRounds + " lr_schedule=" + lrSchedule
        + " momentum=" + momentum
        + " weight_decay=" + weightDecay + " seed=" + seed + " augment=" + augment + " image_size=" + imageSize
        + " pad=" + pad + " shuffle_buffer=" + shuffleBuffer
        + (initModel == null ? "" : " init=" + initModel + " freeze=" + freeze + " replace=" + replaceHead)
        // named only when not the default, so checkpoints written before the setting existed still resume
        + ("averaged".equals(optimizerState) ? "" : " optimizer_state=" + optimizerState);
  }

  public TrainConfig withData(String v) {
    return toBuilder().data(v).build();
  }

  public TrainConfig withShards(String v) {
    return toBuilder().shards(v).build();
  }

  public TrainConfig withOut(String v) {
    return toBuilder().out(v).build();
  }

  public TrainConfig withWorkers(int v) {
    return toBuilder().workers(v).build();
  }

  public TrainConfig withBatch(int v) {
    return toBuilder().batch(v).build();
  }

  public TrainConfig withStepsPerRound(int v) {
    return toBuilder().stepsPerRound(v).build();
  }

  public TrainConfig withEpochs(int v) {
    return toBuilder().epochs(v).build();
  }

  public TrainConfig withOptimizer(double lr, double mom, double wd) {
    return toBuilder().learningRate(lr).momentum(mom).weightDecay(wd).build();
  }

  public TrainConfig withSeed(long v) {
    return toBuilder().seed(v).build();
  }

  public TrainConfig withBackend(String v) {
    return toBuilder().backend(v).build();
  }

  public TrainConfig withMaster(String v) {
    return toBuilder().master(v).build();
  }

  public TrainConfig withShardCount(int v) {
    return toBuilder().shardCount(v).build();
  }

  /** Mutable builder with the one default of every setting; {@link #build()} validates. */
  public static final class Builder {
    private String data = DEFAULT_DATA;
    private String shards;
    private String out = "out";
    private String model = "lenet";
    private int workers = 2;
    private int batch = 32;
    private int stepsPerRound = 8;
    private int epochs = 3;
    private double learningRate = 0.01;
    private double momentum = 0.9;
    private double weightDecay = 0;
    private long seed = 42;
    private String backend = "auto";
    private String master;
    private int threadsPerWorker;
    private int shardCount;
    private int checkpointEvery = 50;
    private boolean resume;
    private String averaging = "tree";
    private String lrScaling = "none";
    private int warmupRounds;
    private String lrSchedule = "constant";
    private String initModel;
    private java.util.List<String> freeze = java.util.List.of();
    private java.util.List<String> replaceHead = java.util.List.of();
    private String augment = "none";
    private int imageSize;
    private int pad = 4;
    private int shuffleBuffer = 10_000;
    private String injectFault;
    private String optimizerState = "averaged";

    Builder() {}

    Builder(TrainConfig c) {
      data = c.data;
      shards = c.shards;
      out = c.out;
      model = c.model;
      workers = c.workers;
      batch = c.batch;
      stepsPerRound = c.stepsPerRound;
      epochs = c.epochs;
      learningRate = c.learningRate;
      momentum = c.momentum;
      weightDecay = c.weightDecay;
      seed = c.seed;
      backend = c.backend;
      master = c.master;
      threadsPerWorker = c.threadsPerWorker;
      shardCount = c.shardCount;
      checkpointEvery = c.checkpointEvery;
      resume = c.resume;
      averaging = c.averaging;
      lrScaling = c.lrScaling;
      warmupRounds = c.warmupRounds;
      lrSchedule = c.lrSchedule;
      initModel = c.initModel;
      freeze = c.freeze;
      replaceHead = c.replaceHead;
      augment = c.augment;
      imageSize = c.imageSize;
      pad = c.pad;
      shuffleBuffer = c.shuffleBuffer;
      injectFault = c.injectFault;
      optimizerState = c.optimizerState;
    }

    public Builder data(String v) {
      data = v;
      return this;
    }

    public Builder shards(String v) {
      shards = v;
      return this;
    }

    public Builder out(String v) {
      out = v;
      return this;
    }

    public Builder model(String v) {
      model = v;
      return this;
    }

    /**
     * Trains {@code net} (built with the graph API): the run ships its JSON description to the
     * executors, so training it equals training the same network from a JSON file. Its input shape
     * and outputs must fit the data.
     */
    public Builder network(dev.fovea.nn.Network net) {
      model = dev.fovea.nn.NetworkJson.toJsonString(net);
      return this;
    }

    public Builder workers(int v) {
      workers = v;
      return this;
    }

    public Builder batch(int v) {
      batch = v;
      return this;
    }

    public Builder stepsPerRound(int v) {
      stepsPerRound = v;
      return this;
    }

    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    public Builder learningRate(double v) {
      learningRate = v;
      return this;
    }

    public Builder momentum(double v) {
      momentum = v;
      return this;
    }

    public Builder weightDecay(double v) {
      weightDecay = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder backend(String v) {
      backend = v;
      return this;
    }

    public Builder master(String v) {
      master = v;
      return this;
    }

    public Builder threadsPerWorker(int v) {
      threadsPerWorker = v;
      return this;
    }

    public Builder shardCount(int v) {
      shardCount = v;
      return this;
    }

    public Builder checkpointEvery(int v) {
      checkpointEvery = v;
      return this;
    }

    public Builder resume(boolean v) {
      resume = v;
      return this;
    }

    public Builder averaging(String v) {
      averaging = v;
      return this;
    }

    public Builder lrScaling(String v) {
      lrScaling = v;
      return this;
    }

    public Builder warmupRounds(int v) {
      warmupRounds = v;
      return this;
    }

    public Builder lrSchedule(String v) {
      lrSchedule = v;
      return this;
    }

    public Builder initModel(String v) {
      initModel = v;
      return this;
    }

    public Builder freeze(java.util.List<String> v) {
      freeze = v;
      return this;
    }

    public Builder replaceHead(java.util.List<String> v) {
      replaceHead = v;
      return this;
    }

    public Builder augment(String v) {
      augment = v;
      return this;
    }

    public Builder imageSize(int v) {
      imageSize = v;
      return this;
    }

    public Builder pad(int v) {
      pad = v;
      return this;
    }

    public Builder shuffleBuffer(int v) {
      shuffleBuffer = v;
      return this;
    }

    public Builder injectFault(String v) {
      injectFault = v;
      return this;
    }

    public Builder optimizerState(String v) {
      optimizerState = v;
      return this;
    }

    public TrainConfig build() {
      return new TrainConfig(data, shards, out, model, workers, batch, stepsPerRound, epochs, learningRate, momentum,
          weightDecay, seed, backend, master, threadsPerWorker, shardCount, checkpointEvery, resume, averaging, lrScaling, warmupRounds, lrSchedule, initModel, freeze, replaceHead, augment, imageSize, pad, shuffleBuffer, injectFault, optimizerState);
    }
  }
}
