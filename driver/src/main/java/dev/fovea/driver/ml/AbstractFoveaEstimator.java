package dev.fovea.driver.ml;

import dev.fovea.driver.FoveaKryoRegistrator;
import dev.fovea.driver.Progress;
import dev.fovea.driver.TrainConfig;
import dev.fovea.driver.TrainingRun;
import dev.fovea.nn.ModelFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every Fovea {@code Estimator} shares ({@link FoveaClassifier}, {@link FoveaEstimator}):
 * a {@code Param} for each setting of {@code fovea train} that applies to a DataFrame, their
 * mapping to {@link TrainConfig}, and {@link #fit}: the DataFrame checked and sharded by the
 * subclass ({@link #prepare}, through {@link FitInput}), trained with {@link TrainingRun}, and the
 * trained model handed to the subclass ({@link #newModel}) with this stage's parameters copied.
 *
 * @param <S> the estimator, returned by the setters
 * @param <M> the model it fits
 */
public abstract class AbstractFoveaEstimator<S extends AbstractFoveaEstimator<S, M>,
    M extends AbstractFoveaModel<M>> extends Estimator<M> implements StageParams<S>, MLWritable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(AbstractFoveaEstimator.class);

  private final String uid;
  private final Shared shared;
  private final Param<String> network;
  private final IntParam epochs;
  private final IntParam batchSize;
  private final IntParam workers;
  private final IntParam stepsPerRound;
  private final DoubleParam learningRate;
  private final DoubleParam momentum;
  private final DoubleParam weightDecay;
  private final Param<String> lrSchedule;
  private final Param<String> lrScaling;
  private final IntParam warmupRounds;
  private final Param<String> averaging;
  private final Param<String> optimizerState;
  private final Param<String> exchange;
  private final Param<String> augment;
  private final IntParam pad;
  private final IntParam imageSize;
  private final IntParam channels;
  private final LongParam seed;
  private final IntParam threadsPerWorker;
  private final IntParam checkpointEvery;
  private final IntParam shuffleBuffer;
  private final DoubleParam validationFraction;
  private final Param<String> outputDir;
  private transient Progress progress;

  protected AbstractFoveaEstimator(String uid) {
    this.uid = uid;
    this.shared = new Shared(this);
    network = new Param<>(uid, "network", "what to train: a zoo name (lenet, resnet18, ...), a network file (.json, .yaml; any Hadoop path) or a network's JSON description");
    putDefault(network, "lenet");
    epochs = new IntParam(this, "epochs", "passes over the training rows (>= 1)");
    putDefault(epochs, 3);
    batchSize = new IntParam(this, "batchSize", "samples per minibatch per worker (>= 1)");
    putDefault(batchSize, 32);
    workers = new IntParam(this, "workers", "N, tasks that train in parallel each round (>= 1)");
    putDefault(workers, 2);
    stepsPerRound = new IntParam(this, "stepsPerRound", "k, minibatches each worker trains between two averagings (>= 1)");
    putDefault(stepsPerRound, 8);
    learningRate = new DoubleParam(this, "learningRate", "SGD step size (> 0)");
    putDefault(learningRate, 0.01);
    momentum = new DoubleParam(this, "momentum", "SGD momentum, in [0, 1)");
    putDefault(momentum, 0.9);
    weightDecay = new DoubleParam(this, "weightDecay", "L2 coefficient (>= 0)");
    putDefault(weightDecay, 0.0);
    lrSchedule = new Param<>(uid, "lrSchedule", "constant or cosine");
    putDefault(lrSchedule, "constant");
    lrScaling = new Param<>(uid, "lrScaling", "none, or linear: the rate grows to workers x learningRate over warmupRounds");
    putDefault(lrScaling, "none");
    warmupRounds = new IntParam(this, "warmupRounds", "rounds of the linear warm-up (>= 0)");
    putDefault(warmupRounds, 0);
    averaging = new Param<>(uid, "averaging", "allreduce (several rounds per Spark job, all-reduced among the tasks "
        + "through the block manager; needs a task slot per worker and no dynamic allocation), tree (through the "
        + "driver) or sharded (through the shuffle)");
    putDefault(averaging, dev.fovea.driver.TrainConfig.defaults().averaging().label());
    optimizerState = new Param<>(uid, "optimizerState", "averaged, or local: each worker keeps its own velocity");
    putDefault(optimizerState, "averaged");
    exchange = new Param<>(uid, "exchange", "allreduce: f32, or bf16 (deltas in bfloat16 with error feedback, half "
        + "the bytes)");
    putDefault(exchange, "f32");
    augment = new Param<>(uid, "augment", "training augmentation: none, flip, crop-flip or rrc-flip");
    putDefault(augment, "none");
    pad = new IntParam(this, "pad", "crop-flip: zero pixels added on every side (>= 0)");
    putDefault(pad, 4);
    imageSize = new IntParam(this, "imageSize", "the network's input height and width; 0 keeps the images' own size (which must then be one size)");
    putDefault(imageSize, 0);
    channels = new IntParam(this, "channels", "channels images are decoded to and trained on: 1 (grey) or 3 (RGB); array and Vector features take theirs from featuresShape");
    putDefault(channels, 3);
    seed = new LongParam(this, "seed", "seed of the parameters, the validation split, the shard shuffle and every epoch's order");
    putDefault(seed, 42L);
    threadsPerWorker = new IntParam(this, "threadsPerWorker", "native threads per training task; 0 means spark.task.cpus");
    putDefault(threadsPerWorker, 0);
    checkpointEvery = new IntParam(this, "checkpointEvery", "a checkpoint every this many rounds and at each epoch end; 0 only at epoch ends");
    putDefault(checkpointEvery, 50);
    shuffleBuffer = new IntParam(this, "shuffleBuffer", "samples each worker shuffles within (>= 1)");
    putDefault(shuffleBuffer, 10000);
    validationFraction = new DoubleParam(this, "validationFraction", "share of rows held out to evaluate each epoch (recorded in the model); 0 evaluates on the training rows");
    putDefault(validationFraction, 0.1);
    outputDir = new Param<>(uid, "outputDir", "folder (any Hadoop path every executor reaches) under which each fit writes its shards, checkpoints, model.fovea, summary.json and report.html; empty: a new temporary folder, in local mode only");
    putDefault(outputDir, "");
  }

  /** Checks and shards {@code df} under {@code dir}/shards (train and test sets) for a fit of this stage. */
  abstract FitInput prepare(SparkSession spark, Dataset<Row> df, String dir, Progress report);

  /**
   * The settings the run trains with, given what {@link #prepare} wrote: {@code config} as it is
   * for a stage whose network fits the shards as named.
   */
  TrainConfig forShards(TrainConfig config, FitInput input, SparkSession spark) {
    return config;
  }

  /** The fitted model of the {@code .fovea} file {@code file}. */
  abstract M newModel(String uid, byte[] file);

  /** A new stage of this class with {@code uid} and no parameter set ({@link #copy} sets them). */
  abstract S newInstance(String uid);

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Shared shared() {
    return shared;
  }

  /**
   * Where {@link #fit} reports: a message per step, each round's loss and throughput, each
   * epoch's validation metrics ({@link Progress#lines} makes one from any line consumer, e.g.
   * {@code Progress.lines(System.out::println)} in a notebook). Default: the log, at INFO.
   */
  @SuppressWarnings("unchecked")
  public S setProgress(Progress p) {
    progress = p;
    return (S) this;
  }

  /** The training settings of this stage for a fit that writes under {@code dir}; the one place Params map to them. */
  TrainConfig trainConfig(String dir) {
    return TrainConfig.builder().data(null).shards(dir + "/shards").out(dir).model(getNetwork()).epochs(getEpochs())
        .batch(getBatchSize()).workers(getWorkers()).stepsPerRound(getStepsPerRound())
        .learningRate(getLearningRate()).momentum(getMomentum()).weightDecay(getWeightDecay())
        .lrSchedule(getLrSchedule()).lrScaling(getLrScaling()).warmupRounds(getWarmupRounds())
        .averaging(getAveraging()).optimizerState(getOptimizerState()).exchange(getExchange()).augment(getAugment())
        .pad(getPad())
        .imageSize(getImageSize()).seed(getSeed()).backend(getBackend()).threadsPerWorker(getThreadsPerWorker())
        .checkpointEvery(getCheckpointEvery()).shuffleBuffer(getShuffleBuffer()).build();
  }

  @Override
  public M fit(Dataset<?> dataset) {
    String stage = getClass().getSimpleName();
    Dataset<Row> df = dataset.toDF();
    SparkSession spark = df.sparkSession();
    transformSchema(df.schema());
    checkKryo(stage, spark.sparkContext().getConf());
    Progress report = progress != null ? progress : Progress.lines(l -> LOG.info("fovea: {}", l));
    String dir = runDir(spark);
    TrainConfig config;
    try {
      config = trainConfig(dir);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(stage + ": " + e.getMessage(), e);
    }
    if (getChannels() != 1 && getChannels() != 3) {
      throw new IllegalArgumentException(stage + ": channels must be 1 or 3, not " + getChannels());
    }
    if (getValidationFraction() < 0 || getValidationFraction() >= 1) {
      throw new IllegalArgumentException(stage + ": validationFraction must be in [0, 1), not "
          + getValidationFraction());
    }
    FitInput input = prepare(spark, df, dir, report);
    TrainingRun.Result result;
    try {
      result = new TrainingRun(spark, forShards(config, input, spark), report).run();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(stage + ": " + e.getMessage(), e);
    } finally {
      input.deleteShards(spark.sparkContext().hadoopConfiguration());
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      ModelFile.write(result.model(), bytes);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    M model = newModel(uid + "_model", bytes.toByteArray()).withTraining(result);
    return copyValues(model, ParamMap.empty()).setParent(this);
  }

  /**
   * Refuses a session that requires Kryo registration without Fovea's registrator, whose first
   * round would fail on an unregistered class: one line saying what to add. Java serialization and
   * Kryo without required registration work as they are.
   */
  static void checkKryo(SparkConf conf) {
    checkKryo("FoveaClassifier", conf);
  }

  /** As {@link #checkKryo(SparkConf)}, the line starting with {@code stage}. */
  static void checkKryo(String stage, SparkConf conf) {
    boolean kryo = conf.get("spark.serializer", "").endsWith("KryoSerializer");
    if (kryo && conf.getBoolean("spark.kryo.registrationRequired", false)
        && !List.of(conf.get("spark.kryo.registrator", "").split(",")).contains(
            FoveaKryoRegistrator.class.getName())) {
      throw new IllegalArgumentException(stage + ": this session requires Kryo registration "
          + "(spark.kryo.registrationRequired=true) without Fovea's classes: add " + FoveaKryoRegistrator.class
          .getName() + " to spark.kryo.registrator when the session is created");
    }
  }

  /** The folder of one fit: under {@code outputDir}, or a new temporary folder in local mode. */
  private String runDir(SparkSession spark) {
    String base = getOutputDir();
    if (base.isEmpty()) {
      if (!spark.sparkContext().master().startsWith("local")) {
        throw new IllegalArgumentException(getClass().getSimpleName() + ": set outputDir to a folder every executor "
            + "can reach (e.g. hdfs:///tmp/fovea); the default temporary folder is for local mode only");
      }
      try {
        base = java.nio.file.Files.createTempDirectory("fovea-fit-").toUri().toString();
      } catch (IOException e) {
        throw new IllegalStateException("cannot make a temporary folder: " + e.getMessage(), e);
      }
    }
    return new Path(base, uid + "-" + UUID.randomUUID().toString().substring(0, 8)).toString();
  }

  @Override
  public S copy(ParamMap extra) {
    S c = copyValues(newInstance(uid), extra);
    ((AbstractFoveaEstimator<?, ?>) c).progress = progress;
    return c;
  }

  @Override
  public MLWriter write() {
    return StageIO.writer(this, (path, conf) -> { });
  }

  /** The reader of saved estimators of class {@code cls}, made by {@code make} from their uid. */
  static <S extends AbstractFoveaEstimator<S, ?>> MLReader<S> reader(Class<S> cls,
      java.util.function.Function<String, S> make) {
    return new MLReader<>() {
      @Override
      public S load(String path) {
        var meta = StageIO.loadMetadata(path, sparkSession().sparkContext().hadoopConfiguration(), cls.getName());
        S c = make.apply(meta.path("uid").asText());
        StageIO.applyParams(c, meta);
        return c;
      }
    };
  }

  /** What to train: a zoo name (lenet, resnet18, ...), a network file (.json, .yaml; any Hadoop path) or a network's JSON description. */
  public Param<String> network() {
    return network;
  }

  public String getNetwork() {
    return getOrDefault(network);
  }

  public S setNetwork(String v) {
    return put(network, v);
  }

  /** Passes over the training rows (>= 1). */
  public IntParam epochs() {
    return epochs;
  }

  public int getEpochs() {
    return (Integer) getOrDefault(epochs);
  }

  public S setEpochs(int v) {
    return put(epochs, v);
  }

  /** Samples per minibatch per worker (>= 1). */
  public IntParam batchSize() {
    return batchSize;
  }

  public int getBatchSize() {
    return (Integer) getOrDefault(batchSize);
  }

  public S setBatchSize(int v) {
    return put(batchSize, v);
  }

  /** N, tasks that train in parallel each round (>= 1). */
  public IntParam workers() {
    return workers;
  }

  public int getWorkers() {
    return (Integer) getOrDefault(workers);
  }

  public S setWorkers(int v) {
    return put(workers, v);
  }

  /** K, minibatches each worker trains between two averagings (>= 1). */
  public IntParam stepsPerRound() {
    return stepsPerRound;
  }

  public int getStepsPerRound() {
    return (Integer) getOrDefault(stepsPerRound);
  }

  public S setStepsPerRound(int v) {
    return put(stepsPerRound, v);
  }

  /** SGD step size (> 0). */
  public DoubleParam learningRate() {
    return learningRate;
  }

  public double getLearningRate() {
    return (Double) getOrDefault(learningRate);
  }

  public S setLearningRate(double v) {
    return put(learningRate, v);
  }

  /** SGD momentum, in [0, 1). */
  public DoubleParam momentum() {
    return momentum;
  }

  public double getMomentum() {
    return (Double) getOrDefault(momentum);
  }

  public S setMomentum(double v) {
    return put(momentum, v);
  }

  /** L2 coefficient (>= 0). */
  public DoubleParam weightDecay() {
    return weightDecay;
  }

  public double getWeightDecay() {
    return (Double) getOrDefault(weightDecay);
  }

  public S setWeightDecay(double v) {
    return put(weightDecay, v);
  }

  /** Constant or cosine. */
  public Param<String> lrSchedule() {
    return lrSchedule;
  }

  public String getLrSchedule() {
    return getOrDefault(lrSchedule);
  }

  public S setLrSchedule(String v) {
    return put(lrSchedule, v);
  }

  /** None, or linear: the rate grows to workers x learningRate over warmupRounds. */
  public Param<String> lrScaling() {
    return lrScaling;
  }

  public String getLrScaling() {
    return getOrDefault(lrScaling);
  }

  public S setLrScaling(String v) {
    return put(lrScaling, v);
  }

  /** Rounds of the linear warm-up (>= 0). */
  public IntParam warmupRounds() {
    return warmupRounds;
  }

  public int getWarmupRounds() {
    return (Integer) getOrDefault(warmupRounds);
  }

  public S setWarmupRounds(int v) {
    return put(warmupRounds, v);
  }

  /** Tree (through the driver) or sharded (through the shuffle). */
  public Param<String> averaging() {
    return averaging;
  }

  public String getAveraging() {
    return getOrDefault(averaging);
  }

  public S setAveraging(String v) {
    return put(averaging, v);
  }

  /** Averaged, or local: each worker keeps its own velocity. */
  public Param<String> optimizerState() {
    return optimizerState;
  }

  public String getOptimizerState() {
    return getOrDefault(optimizerState);
  }

  public S setOptimizerState(String v) {
    return put(optimizerState, v);
  }

  /** Allreduce: f32, or bf16 (deltas in bfloat16 with error feedback). */
  public Param<String> exchange() {
    return exchange;
  }

  public String getExchange() {
    return getOrDefault(exchange);
  }

  public S setExchange(String v) {
    return put(exchange, v);
  }

  /** Training augmentation: none, flip, crop-flip or rrc-flip. */
  public Param<String> augment() {
    return augment;
  }

  public String getAugment() {
    return getOrDefault(augment);
  }

  public S setAugment(String v) {
    return put(augment, v);
  }

  /** Crop-flip: zero pixels added on every side (>= 0). */
  public IntParam pad() {
    return pad;
  }

  public int getPad() {
    return (Integer) getOrDefault(pad);
  }

  public S setPad(int v) {
    return put(pad, v);
  }

  /** The network's input height and width; 0 keeps the images' own size (which must then be one size). */
  public IntParam imageSize() {
    return imageSize;
  }

  public int getImageSize() {
    return (Integer) getOrDefault(imageSize);
  }

  public S setImageSize(int v) {
    return put(imageSize, v);
  }

  /** Channels images are decoded to and trained on: 1 (grey) or 3 (RGB); array and Vector features take theirs from featuresShape. */
  public IntParam channels() {
    return channels;
  }

  public int getChannels() {
    return (Integer) getOrDefault(channels);
  }

  public S setChannels(int v) {
    return put(channels, v);
  }

  /** Seed of the parameters, the validation split, the shard shuffle and every epoch's order. */
  public LongParam seed() {
    return seed;
  }

  public long getSeed() {
    return (Long) getOrDefault(seed);
  }

  public S setSeed(long v) {
    return put(seed, v);
  }

  /** Native threads per training task; 0 means spark.task.cpus. */
  public IntParam threadsPerWorker() {
    return threadsPerWorker;
  }

  public int getThreadsPerWorker() {
    return (Integer) getOrDefault(threadsPerWorker);
  }

  public S setThreadsPerWorker(int v) {
    return put(threadsPerWorker, v);
  }

  /** A checkpoint every this many rounds and at each epoch end; 0 only at epoch ends. */
  public IntParam checkpointEvery() {
    return checkpointEvery;
  }

  public int getCheckpointEvery() {
    return (Integer) getOrDefault(checkpointEvery);
  }

  public S setCheckpointEvery(int v) {
    return put(checkpointEvery, v);
  }

  /** Samples each worker shuffles within (>= 1). */
  public IntParam shuffleBuffer() {
    return shuffleBuffer;
  }

  public int getShuffleBuffer() {
    return (Integer) getOrDefault(shuffleBuffer);
  }

  public S setShuffleBuffer(int v) {
    return put(shuffleBuffer, v);
  }

  /** Share of rows held out to evaluate each epoch (recorded in the model); 0 evaluates on the training rows. */
  public DoubleParam validationFraction() {
    return validationFraction;
  }

  public double getValidationFraction() {
    return (Double) getOrDefault(validationFraction);
  }

  public S setValidationFraction(double v) {
    return put(validationFraction, v);
  }

  /** Folder (any Hadoop path every executor reaches) under which each fit writes its shards, checkpoints, model.fovea, summary.json and report.html; empty: a new temporary folder, in local mode only. */
  public Param<String> outputDir() {
    return outputDir;
  }

  public String getOutputDir() {
    return getOrDefault(outputDir);
  }

  public S setOutputDir(String v) {
    return put(outputDir, v);
  }
}
