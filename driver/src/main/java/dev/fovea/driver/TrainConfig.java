package dev.fovea.driver;

import dev.fovea.driver.Choices.Augment;
import dev.fovea.driver.Choices.Averaging;
import dev.fovea.driver.Choices.LrScaling;
import dev.fovea.driver.Choices.LrSchedule;
import dev.fovea.driver.Choices.OptimizerName;
import dev.fovea.driver.Choices.OptimizerState;

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
 * @param learningRate the optimizer's base learning rate (the schedule and scaling apply to it)
 * @param momentum momentum of {@code sgd}, {@code nesterov} and {@code rmsprop}, in [0, 1)
 *     ({@code nesterov}: in (0, 1))
 * @param weightDecay L2 coefficient added to the gradient; {@code adamw}: the decoupled decay
 * @param seed seed of the parameters, the shard shuffle and every epoch's order
 * @param backend {@code auto}, {@code reference} or {@code onednn}
 * @param master Spark master URL; null to take it from spark-submit, or {@code local[N]} when
 *     none is set
 * @param threadsPerWorker native threads per training task; 0 means {@code spark.task.cpus}
 * @param shardCount shard files per shard set; 0 chooses 4 per worker, at least 8
 * @param checkpointEvery write a checkpoint every this many rounds (and at each epoch end); 0 only
 *     at epoch ends
 * @param resume continue from the newest checkpoint in {@code <out>/checkpoints}
 * @param averaging {@code tree} (treeAggregate through the driver), {@code sharded} (reduce-scatter
 *     and all-gather through the shuffle; the vector never passes through the driver) or {@code
 *     allreduce} (several rounds per Spark job, one barrier stage whose tasks all-reduce through
 *     Spark's block manager)
 * @param lrScaling {@code none}, or {@code linear}: the learning rate grows to N × {@code
 *     learningRate} for N workers (Goyal et al. 2017), reached linearly over {@code warmupRounds}
 * @param warmupRounds rounds of the linear warm-up from {@code learningRate} to the scaled rate
 * @param lrSchedule {@code constant}, or {@code cosine}: the (scaled) rate decays to 0 over the
 *     run's rounds along a half cosine (Keras's {@code CosineDecay}); the rate of a round is constant
 *     within it
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
 * @param optimizerState {@code averaged}: the optimizer's state (SGD's velocity, Adam's moments) is
 *     averaged across workers each round like the parameters; {@code local}: each worker keeps its
 *     own between rounds (never averaged, never shipped through the driver by a round; checkpoints
 *     hold every worker's). See docs/averaging.md for the trade-off
 * @param optimizer the update rule ({@code dev.fovea.optim}; docs/optimizers.md)
 * @param beta1 {@code adam}, {@code adamw}: decay of the first moment, in [0, 1)
 * @param beta2 {@code adam}, {@code adamw}: decay of the second moment, in [0, 1)
 * @param epsilon {@code adam}, {@code adamw}, {@code rmsprop}, {@code adagrad}: added to the
 *     denominator, &gt; 0
 * @param rho {@code rmsprop}: smoothing constant of the squared gradient (PyTorch's alpha), in [0, 1)
 * @param clipNorm scale the gradient down to this L2 norm (over all parameters) when above it; 0 for
 *     none
 * @param clipValue clamp each gradient element to [-clipValue, clipValue]; 0 for none (at most one
 *     of the two clippings)
 * @param loss the loss to train with instead of the network's own ({@code --loss}); null keeps the
 *     network's (a zoo network's is softmax cross-entropy)
 * @param roundsPerJob {@code allreduce}: at most this many rounds per Spark job (a group also ends at
 *     an epoch end, a checkpoint and an injected driver fault or eviction); does not change the
 *     parameters, only how often the driver sees them (progress, history, divergence checks)
 * @param exchange {@code allreduce}: {@code f32} (the results as floats) or {@code bf16} (the deltas
 *     from the round's start as bfloat16 with error feedback, half the bytes; docs/averaging.md)
 */
public record TrainConfig(String data, String shards, String out, String model, int workers, int batch,
    int stepsPerRound, int epochs, double learningRate, double momentum, double weightDecay, long seed,
    String backend, String master, int threadsPerWorker, int shardCount, int checkpointEvery, boolean resume,
    Averaging averaging, LrScaling lrScaling, int warmupRounds, LrSchedule lrSchedule, String initModel,
    java.util.List<String> freeze, java.util.List<String> replaceHead, Augment augment, int imageSize, int pad,
    int shuffleBuffer, String injectFault, OptimizerState optimizerState, OptimizerName optimizer, double beta1,
    double beta2, double epsilon, double rho, double clipNorm, double clipValue, Choices.LossName loss,
    int roundsPerJob, Choices.Exchange exchange)
    implements java.io.Serializable {

  /** Where Debian's {@code dataset-fashion-mnist} package installs the data. */
  public static final String DEFAULT_DATA = "/usr/share/datasets/fashion-mnist";

  public TrainConfig {
    require(workers >= 1, "--workers", workers, "must be >= 1");
    require(batch >= 1, "--batch", batch, "must be >= 1");
    require(stepsPerRound >= 1, "--steps-per-round", stepsPerRound, "must be >= 1");
    require(epochs >= 1, "--epochs", epochs, "must be >= 1");
    require(learningRate > 0, "--lr", learningRate, "must be > 0");
    require(momentum >= 0 && momentum < 1, "--momentum", momentum, "must be in [0, 1)");
    require(optimizer != OptimizerName.NESTEROV || momentum > 0, "--momentum", momentum, "must be > 0 for nesterov");
    require(beta1 >= 0 && beta1 < 1, "--beta1", beta1, "must be in [0, 1)");
    require(beta2 >= 0 && beta2 < 1, "--beta2", beta2, "must be in [0, 1)");
    require(epsilon > 0, "--epsilon", epsilon, "must be > 0");
    require(rho >= 0 && rho < 1, "--rho", rho, "must be in [0, 1)");
    require(clipNorm >= 0, "--clip-norm", clipNorm, "must be >= 0 (0: no clipping)");
    require(clipValue >= 0, "--clip-value", clipValue, "must be >= 0 (0: no clipping)");
    require(clipNorm == 0 || clipValue == 0, "--clip-norm/--clip-value", clipNorm + "/" + clipValue,
        "choose one of the two");
    require(weightDecay >= 0, "--weight-decay", weightDecay, "must be >= 0");
    require(threadsPerWorker >= 0, "--threads", threadsPerWorker, "must be >= 0");
    require(shardCount >= 0, "--shard-count", shardCount, "must be >= 0");
    require(checkpointEvery >= 0, "--checkpoint-every", checkpointEvery, "must be >= 0");
    require(roundsPerJob >= 1, "--rounds-per-job", roundsPerJob, "must be >= 1");
    require(out != null && !out.isBlank(), "--out", out, "must name a folder");
    freeze = freeze == null ? java.util.List.of() : java.util.List.copyOf(freeze);
    replaceHead = replaceHead == null ? java.util.List.of() : java.util.List.copyOf(replaceHead);
    require(initModel != null || freeze.isEmpty() && replaceHead.isEmpty(), "--freeze/--replace-head",
        freeze + "/" + replaceHead, "need --init-model");
    require(lrScaling != null, "--lr-scaling", null, "must be one of " + Choices.labels(LrScaling.class));
    require(warmupRounds >= 0, "--warmup-rounds", warmupRounds, "must be >= 0");
    require(lrSchedule != null, "--lr-schedule", null, "must be one of " + Choices.labels(LrSchedule.class));
    require(averaging != null, "--averaging", null, "must be one of " + Choices.labels(Averaging.class));
    require(augment != null, "--augment", null, "must be one of " + Choices.labels(Augment.class));
    require(optimizer != null, "--optimizer", null, "must be one of " + Choices.labels(OptimizerName.class));
    require(imageSize >= 0, "--image-size", imageSize, "must be >= 0 (0 keeps a raw set's stored size)");
    require(pad >= 0, "--pad", pad, "must be >= 0");
    require(shuffleBuffer >= 1, "--shuffle-buffer", shuffleBuffer, "must be >= 1");
    require(injectFault == null || injectFault.matches("(\\d+|driver|evict):\\d+"), "--inject-fault",
        injectFault, "must be ROUND:WORKER, driver:ROUND or evict:ROUND");
    require(optimizerState != null, "--optimizer-state", null, "must be one of "
        + Choices.labels(OptimizerState.class));
    require(exchange != null, "--exchange", null, "must be one of " + Choices.labels(Choices.Exchange.class));
    require(exchange == Choices.Exchange.F32 || averaging == Averaging.ALLREDUCE, "--exchange", exchange.label(),
        Choices.Exchange.REFUSAL);
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
    if (lrScaling != LrScaling.LINEAR) {
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
    if (lrSchedule == LrSchedule.COSINE) {
      return new dev.fovea.optim.LearningRateSchedule.CosineDecay(Math.max(1, totalRounds), 0)
          .rate(base, round - 1);
    }
    return base;
  }

  /**
   * The optimizer at base learning rate {@code rate} (a round's, after scaling and schedule) with
   * this configuration's hyperparameters.
   */
  public dev.fovea.optim.Optimizer optimizerAt(double rate) {
    return switch (optimizer) {
      case SGD -> new dev.fovea.optim.Sgd(rate, momentum, weightDecay);
      case NESTEROV -> new dev.fovea.optim.Nesterov(rate, momentum, weightDecay);
      case ADAM -> new dev.fovea.optim.Adam(rate, beta1, beta2, epsilon, weightDecay);
      case ADAMW -> new dev.fovea.optim.AdamW(rate, beta1, beta2, epsilon, weightDecay);
      case RMSPROP -> new dev.fovea.optim.RmsProp(rate, rho, epsilon, momentum, weightDecay);
      case ADAGRAD -> new dev.fovea.optim.AdaGrad(rate, 0, epsilon, weightDecay);
    };
  }

  /** The gradient clipping of {@code clipNorm} and {@code clipValue}. */
  public dev.fovea.optim.GradientClipping clipping() {
    return clipNorm > 0 ? dev.fovea.optim.GradientClipping.byNorm(clipNorm)
        : clipValue > 0 ? dev.fovea.optim.GradientClipping.byValue(clipValue) : dev.fovea.optim.GradientClipping.NONE;
  }

  /** The update of a round at learning rate {@code rate}: the optimizer and the clipping, the rate constant within the round. */
  public dev.fovea.optim.UpdateRule updateRuleAt(double rate) {
    return dev.fovea.optim.UpdateRule.of(optimizerAt(rate), clipping());
  }

  /** The optimizer and its hyperparameters, as the identity and a model file name them. */
  public String optimizerDescription() {
    String hyper = switch (optimizer) {
      case SGD, NESTEROV -> " momentum=" + momentum;
      case ADAM, ADAMW -> " beta1=" + beta1 + " beta2=" + beta2 + " epsilon=" + epsilon;
      case RMSPROP -> " rho=" + rho + " momentum=" + momentum + " epsilon=" + epsilon;
      case ADAGRAD -> " epsilon=" + epsilon;
    };
    return optimizer.label() + hyper + " weight_decay=" + weightDecay
        + (clipNorm > 0 ? " clip_norm=" + clipNorm : "") + (clipValue > 0 ? " clip_value=" + clipValue : "");
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
        + " lr=" + learningRate + " lr_scaling=" + lrScaling.label() + "/" + warmupRounds + " lr_schedule="
        + lrSchedule.label()
        // SGD unclipped is named as before the optimizer was a setting, so its old checkpoints still resume
        + (optimizer == OptimizerName.SGD && clipNorm == 0 && clipValue == 0 ? " momentum=" + momentum
            + " weight_decay=" + weightDecay : " optimizer=" + optimizerDescription())
        + " seed=" + seed + " augment=" + augment.label() + " image_size=" + imageSize
        + " pad=" + pad + " shuffle_buffer=" + shuffleBuffer
        + (initModel == null ? "" : " init=" + initModel + " freeze=" + freeze + " replace=" + replaceHead)
        // named only when not the default, so checkpoints written before the setting existed still resume
        + (optimizerState == OptimizerState.AVERAGED ? "" : " optimizer_state=" + optimizerState.label())
        + (loss == null ? "" : " loss=" + loss.label())
        + (exchange == Choices.Exchange.F32 ? "" : " exchange=" + exchange.label());
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
    private Averaging averaging = Averaging.ALLREDUCE;
    private LrScaling lrScaling = LrScaling.NONE;
    private int warmupRounds;
    private LrSchedule lrSchedule = LrSchedule.CONSTANT;
    private String initModel;
    private java.util.List<String> freeze = java.util.List.of();
    private java.util.List<String> replaceHead = java.util.List.of();
    private Augment augment = Augment.NONE;
    private int imageSize;
    private int pad = 4;
    private int shuffleBuffer = 10_000;
    private String injectFault;
    private OptimizerState optimizerState = OptimizerState.AVERAGED;
    private Choices.LossName loss;
    private int roundsPerJob = 32;
    private Choices.Exchange exchange = Choices.Exchange.F32;
    private OptimizerName optimizer = OptimizerName.SGD;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double epsilon = 1e-8;
    private double rho = 0.99;
    private double clipNorm;
    private double clipValue;

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
      optimizer = c.optimizer;
      beta1 = c.beta1;
      beta2 = c.beta2;
      epsilon = c.epsilon;
      rho = c.rho;
      clipNorm = c.clipNorm;
      clipValue = c.clipValue;
      loss = c.loss;
      roundsPerJob = c.roundsPerJob;
      exchange = c.exchange;
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

    public Builder averaging(Averaging v) {
      averaging = v;
      return this;
    }

    /** {@code tree} or {@code sharded}; anything else is refused here, naming the valid values. */
    public Builder averaging(String v) {
      return averaging(Choices.parse(Averaging.class, "--averaging", v));
    }

    public Builder lrScaling(LrScaling v) {
      lrScaling = v;
      return this;
    }

    /** {@code none} or {@code linear}. */
    public Builder lrScaling(String v) {
      return lrScaling(Choices.parse(LrScaling.class, "--lr-scaling", v));
    }

    public Builder warmupRounds(int v) {
      warmupRounds = v;
      return this;
    }

    public Builder lrSchedule(LrSchedule v) {
      lrSchedule = v;
      return this;
    }

    /** {@code constant} or {@code cosine}. */
    public Builder lrSchedule(String v) {
      return lrSchedule(Choices.parse(LrSchedule.class, "--lr-schedule", v));
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

    public Builder augment(Augment v) {
      augment = v;
      return this;
    }

    /** {@code none}, {@code flip}, {@code crop-flip} or {@code rrc-flip}. */
    public Builder augment(String v) {
      return augment(Choices.parse(Augment.class, "--augment", v));
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

    public Builder optimizerState(OptimizerState v) {
      optimizerState = v;
      return this;
    }

    /** {@code averaged} or {@code local}. */
    public Builder optimizerState(String v) {
      return optimizerState(Choices.parse(OptimizerState.class, "--optimizer-state", v));
    }

    public Builder optimizer(OptimizerName v) {
      optimizer = v;
      return this;
    }

    /** {@code sgd}, {@code nesterov}, {@code adam}, {@code adamw}, {@code rmsprop} or {@code adagrad}. */
    public Builder optimizer(String v) {
      return optimizer(Choices.parse(OptimizerName.class, "--optimizer", v));
    }

    public Builder beta1(double v) {
      beta1 = v;
      return this;
    }

    public Builder beta2(double v) {
      beta2 = v;
      return this;
    }

    public Builder epsilon(double v) {
      epsilon = v;
      return this;
    }

    public Builder rho(double v) {
      rho = v;
      return this;
    }

    public Builder clipNorm(double v) {
      clipNorm = v;
      return this;
    }

    public Builder clipValue(double v) {
      clipValue = v;
      return this;
    }

    /** {@code allreduce}: at most this many rounds per Spark job. */
    public Builder roundsPerJob(int v) {
      roundsPerJob = v;
      return this;
    }

    /** {@code allreduce}: how the slices travel ({@code f32}, or {@code bf16} deltas with error feedback). */
    public Builder exchange(Choices.Exchange v) {
      exchange = v;
      return this;
    }

    /** {@code f32} or {@code bf16}. */
    public Builder exchange(String v) {
      return exchange(Choices.parse(Choices.Exchange.class, "--exchange", v));
    }

    /** The loss to train with instead of the network's own; null keeps the network's. */
    public Builder loss(Choices.LossName v) {
      loss = v;
      return this;
    }

    /**
     * {@code softmax_cross_entropy}, {@code sigmoid_bce}, {@code mse}, {@code l1} or {@code
     * pixel_softmax_cross_entropy}; null keeps the network's.
     */
    public Builder loss(String v) {
      return loss(v == null ? null : Choices.parse(Choices.LossName.class, "--loss", v));
    }

    public TrainConfig build() {
      return new TrainConfig(data, shards, out, model, workers, batch, stepsPerRound, epochs, learningRate, momentum,
          weightDecay, seed, backend, master, threadsPerWorker, shardCount, checkpointEvery, resume, averaging,
          lrScaling, warmupRounds, lrSchedule, initModel, freeze, replaceHead, augment, imageSize, pad, shuffleBuffer,
          injectFault, optimizerState, optimizer, beta1, beta2, epsilon, rho, clipNorm, clipValue, loss,
          roundsPerJob, exchange);
    }
  }
}
