package dev.fovea.driver;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.data.batch.Normalizer;
import dev.fovea.data.image.Transform;
import dev.fovea.data.shard.HadoopConf;
import dev.fovea.data.shard.Manifest;
import dev.fovea.data.stream.StreamPlan;
import dev.fovea.driver.averaging.Averager;
import dev.fovea.driver.averaging.RoundEngine;
import dev.fovea.driver.averaging.RoundMetrics;
import dev.fovea.driver.checkpoint.Checkpoint;
import dev.fovea.driver.checkpoint.CheckpointStore;
import dev.fovea.driver.report.Dashboard;
import dev.fovea.driver.report.RunMonitor;
import dev.fovea.driver.worker.Evaluation;
import dev.fovea.driver.worker.RoundResult;
import dev.fovea.driver.worker.RoundTask;
import dev.fovea.driver.worker.ShardInput;
import dev.fovea.driver.worker.TrainState;
import dev.fovea.kernels.BackendProvider;
import dev.fovea.kernels.Backends;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * A training run on Spark: rounds of parameter-averaged data-parallel SGD.
 *
 * <p>Each of N partitions is one worker. Each round ships (parameters, optimizer state) to every
 * partition (parameters only where each worker keeps its own optimizer state, {@code --optimizer-state
 * local}), lets it stream k minibatches of its part of the epoch from the training shards,
 * decoded and augmented on background threads ({@link RoundTask}, {@link ShardInput}), and
 * averages the results, by the strategy the configuration names ({@link RoundEngine}): tree
 * aggregation through the driver ({@link Averager}) or a sharded reduce through the shuffle. A
 * checkpoint is written every {@code checkpointEvery} rounds and at each epoch end; {@code resume}
 * continues from the newest one with exactly the parameters of the uninterrupted run: the data
 * cursor is (epoch, round), from which every worker reopens its stream in O(1). At each epoch end
 * the test set is evaluated by a distributed forward pass, each worker streaming its slice once
 * with the validation transform. The history is rewritten, atomically, at each epoch end. Outputs:
 * {@code model.fovea}, {@code summary.json}, {@code
 * history.jsonl} in {@link TrainConfig#out()}; and {@code report.html}, the live dashboard's page
 * ({@link RunMonitor}) with the final data inlined.
 */
public final class TrainingRun {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SparkSession spark;
  private final TrainConfig config;
  private final Progress progress;
  private final Consumer<String> log;
  private final Dashboard.Options dashboard;

  /** A run reporting plain lines to {@code log}. */
  public TrainingRun(SparkSession spark, TrainConfig config, Consumer<String> log) {
    this(spark, config, Progress.lines(log));
  }

  /** A run reporting to {@code progress}, without a live dashboard. */
  public TrainingRun(SparkSession spark, TrainConfig config, Progress progress) {
    this(spark, config, progress, Dashboard.Options.OFF);
  }

  /** A run reporting to {@code progress} and, as {@code dashboard} says, on a live dashboard. */
  public TrainingRun(SparkSession spark, TrainConfig config, Progress progress, Dashboard.Options dashboard) {
    this.spark = spark;
    this.config = config;
    this.progress = progress;
    this.log = progress::message;
    this.dashboard = dashboard;
  }

  /** What a finished run reports; also written as {@code summary.json}. */
  public record Result(double testAccuracy, double testLoss, int epochs, int workers, String backend,
      double trainImagesPerSecond, double wallSeconds, long rounds, float[] params, List<String> executors,
      Evaluation evaluation, List<String> classNames, String history, ModelFile.Model model) {

    /** The history, one JSON object per round, parsed. */
    public List<com.fasterxml.jackson.databind.JsonNode> historyRecords() {
      return dev.fovea.driver.report.RunMonitor.lines(history);
    }
  }

  public Result run() {
    try (RunMonitor monitor = new RunMonitor(spark.sparkContext(), dashboard, log)) {
      return run(monitor);
    }
  }

  private Result run(RunMonitor monitor) {
    SparkSessions.adopt(spark, log); // a session Fovea did not create: can it carry a round?
    long wallStart = System.nanoTime();
    TrainConfig c = config;
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration hadoop = jsc.hadoopConfiguration();
    // With GPU executors, auto is resolved by each executor for the GPU Spark gives its task (the
    // driver may have none); a named backend is checked here, where a bad name fails first.
    boolean gpus = dev.fovea.driver.worker.TaskGpus.requested(spark.sparkContext().getConf());
    boolean autoOnExecutors = gpus && "auto".equals(c.backend());
    BackendProvider provider = Backends.resolve(c.backend(), gpus && !autoOnExecutors,
        w -> log.accept("warning: " + w));
    String backend = autoOnExecutors ? "auto" : provider.name();
    WorkerCpus cpus = WorkerCpus.of(spark.sparkContext().getConf(), c.threadsPerWorker());
    int threads = cpus.threads();

    // a bad network file, or one whose output does not fit --loss, fails before any job
    ModelSpec modelSpec = ModelSpec.resolve(c.model(), hadoop).withLoss(c.loss());
    DatasetPreparer.Prepared data = DatasetPreparer.prepare(spark, c, log);
    Manifest train = data.train();
    int classes = train.classes().size();
    if (data.test().classes().size() != classes || !data.test().sampleShape().get(0).equals(train.sampleShape()
        .get(0))) {
      throw new IllegalArgumentException("the test shards (" + data.test().classes().size() + " classes, "
          + data.test().sampleShape().get(0) + " channels) do not match the training shards (" + classes
          + " classes, " + train.sampleShape().get(0) + " channels)");
    }
    Shape input = InputTransforms.inputShape(c, train);
    Network net = modelSpec.build(input, classes, train.targetSpec(), c.augment());
    HadoopConf hc = new HadoopConf(hadoop);
    ShardInput trainData = new ShardInput(hc, data.trainDir(), train, StreamPlan.of(rows(train), c.seed(), c.workers(),
        c.batch(), c.shuffleBuffer(), true), InputTransforms.training(c, train, input), decoders(train, threads));
    ShardInput testData = evaluationInput(hc, data.testDir(), data.test(), c.workers(),
        InputTransforms.validation(data.test(), input, train.mean(), train.std()), threads);
    int roundsPerEpoch = RoundTask.roundsPerEpoch(trainData, c.stepsPerRound());
    JavaRDD<Integer> workers = cpus.apply(workers(jsc, c.workers()), log);

    CheckpointStore checkpoints = new CheckpointStore(hadoop, c.checkpointDir());
    TrainState state;
    float[][] workerVelocities = null; // --optimizer-state local: each worker's, from a checkpoint
    float[][] residuals = null; // --exchange bf16: each worker's error-feedback residuals, from a checkpoint
    long round = 0;
    int firstEpoch = 0;
    int firstRound = 0;
    StringBuilder history = new StringBuilder();
    StringBuilder epochs = new StringBuilder();
    if (c.resume()) {
      CheckpointStore.Found found = checkpoints.latest(w -> log.accept("warning: " + w));
      if (found == null) {
        throw new IllegalArgumentException("--resume: no checkpoint in " + c.checkpointDir());
      }
      Checkpoint cp = found.checkpoint();
      if (!cp.config().equals(c.identity())) {
        throw new IllegalArgumentException("--resume: the checkpoint in " + c.checkpointDir() + " belongs to another "
            + "configuration (" + cp.config() + "), not " + c.identity());
      }
      int stateSize = c.optimizerAt(c.learningRate()).stateSize(cp.params().length);
      if (cp.velocity().length != stateSize) {
        throw new IllegalArgumentException("--resume: the checkpoint in " + c.checkpointDir() + " holds "
            + cp.velocity().length + " optimizer state values; " + c.optimizer().label() + " needs " + stateSize);
      }
      state = new TrainState(cp.params(), cp.velocity(), cp.buffers());
      workerVelocities = cp.workerVelocities();
      residuals = cp.exchangeResiduals();
      round = cp.round();
      firstEpoch = cp.epoch();
      firstRound = cp.roundInEpoch();
      history.append(cp.history());
      epochs.append(cp.epochs());
      log.accept("resuming after round " + round + " (epoch " + (firstEpoch + 1) + ", round " + (firstRound + 1)
          + " next) from " + found.path());
    } else {
      float[] params = net.layout().initialize(c.seed());
      float[] buffers = net.bufferLayout().initialize(c.seed());
      if (c.initModel() != null) {
        FineTuning.copyFrom(hadoop, c, net, params, buffers, log);
      }
      dev.fovea.optim.Optimizer o = c.optimizerAt(c.learningRate());
      float[] optimizerState = new float[o.stateSize(params.length)];
      o.initState(optimizerState);
      state = new TrainState(params, optimizerState, buffers);
    }
    java.util.BitSet frozen = c.freeze().isEmpty() ? new java.util.BitSet()
        : dev.fovea.nn.Transfer.frozenMask(net, c.freeze());
    log.accept(String.format("model %s: %,d parameters; %d workers x batch %d, %d steps per round, %d rounds per epoch;"
        + " backend %s; input %s, augment %s", modelSpec.label(), state.params.length, c.workers(), c.batch(),
        c.stepsPerRound(), roundsPerEpoch, backend, input, c.augment().label()) + "; optimizer "
        + c.optimizerDescription() + (c.exchange() == Choices.Exchange.F32 ? ""
            : "; exchange " + c.exchange().label() + " (deltas with error feedback, 2 bytes a value)"));
    monitor.begin("Fovea run: " + modelSpec.label() + " on " + train.name(), train.classes(), RunMonitor.settings(
        "model", modelSpec.label(), "workers", c.workers(), "batch", c.batch(), "steps_per_round", c.stepsPerRound(), "epochs",
        c.epochs(), "lr", c.learningRate(), "lr_schedule", c.lrSchedule().label(), "optimizer", c.optimizer().label(),
        "averaging", c.averaging().label(), "exchange", c.exchange().label(), "backend", backend, "augment", c.augment().label(), "seed", c.seed()), (long) c.epochs() * roundsPerEpoch, roundsPerEpoch,
        train.mean(), train.std());
    monitor.restore(history.toString(), epochs.toString());

    Outputs out = new Outputs(hadoop, c.out());
    RoundEngine engine = RoundEngine.create(c.averaging(), c.optimizerState(), c.exchange(), jsc, state,
        workerVelocities, residuals, c.workers());
    long trainNanos = 0;
    long trainImages = 0;
    TreeSet<String> executors = new TreeSet<>();
    Evaluation eval = null;
    double lastAccuracy = Double.NaN;
    long loopStart = System.nanoTime();
    int roundsThisRun = 0;
    try {
      for (int epoch = firstEpoch; epoch < c.epochs(); epoch++) {
        double epochLoss = 0;
        long epochSamples = 0;
        int rounds = roundsPerEpoch;
        int perJob = c.averaging() == Choices.Averaging.ALLREDUCE ? c.roundsPerJob() : 1;
        for (int groupStart = epoch == firstEpoch ? firstRound : 0; groupStart < rounds; ) {
          // a group of rounds (one Spark job with allreduce) ends at the epoch's end, a checkpoint, an
          // injected driver fault or eviction, and after perJob rounds
          int groupEnd = groupEnd(c, round, groupStart, rounds, perJob);
          List<RoundTask> tasks = new ArrayList<>();
          int[] faults = new int[groupEnd - groupStart];
          double[] lrs = new double[faults.length];
          for (int q = groupStart; q < groupEnd; q++) {
            long global = round + 1 + q - groupStart;
            lrs[q - groupStart] = c.learningRateAt(global, (long) c.epochs() * roundsPerEpoch);
            tasks.add(new RoundTask(modelSpec.description(), classes, trainData, c.stepsPerRound(), c.seed(),
                c.updateRuleAt(lrs[q - groupStart]), epoch, q, backend, threads, frozen));
            faults[q - groupStart] = faultWorker(c, global);
          }
          long t0 = System.nanoTime();
          long before = round;
          int firstOfGroup = groupStart;
          int epochShown = epoch + 1;
          // a job that runs several rounds (allreduce) names them all: "epoch 1 · rounds 1–32"
          int inGroup = tasks.size();
          List<RoundMetrics> group = engine.rounds(workers, tasks, faults, i -> jsc.setJobGroup(
              RunMonitor.jobGroup(before + 1 + i), monitor.describe("epoch " + epochShown + (inGroup == 1
                  ? " · round " + (firstOfGroup + 1 + i) : " · rounds " + (firstOfGroup + 1) + "–"
                  + (firstOfGroup + inGroup))), false));
          long groupNanos = System.nanoTime() - t0;
          // the group's wall time, split: each round's own time (on the driver, or inside the tasks
          // where the rounds share a job) and the rest (job launch, broadcast, state return) evenly
          long own = 0;
          for (RoundMetrics m : group) {
            own += Math.max(0, m.taskNanos());
          }
          long shared = Math.max(0, groupNanos - own) / group.size();
          for (int r = groupStart; r < groupStart + group.size(); r++) {
            RoundMetrics sum = group.get(r - groupStart);
            double lr = lrs[r - groupStart];
            long dt = Math.max(0, sum.taskNanos()) + shared;
            double loss = sum.lossSum() / sum.samples();
            if (!Double.isFinite(loss)) {
              String last = checkpoints.latestPath();
              throw new IllegalStateException("training diverged: loss " + loss + " in round " + (round + 1)
                  + " (epoch " + (epoch + 1) + "); last good checkpoint: " + (last == null ? "none" : last)
                  + "; try a lower --lr");
            }
            trainNanos += dt;
            trainImages += sum.samples();
            round++;
            executors.addAll(sum.executors());
            epochLoss += sum.lossSum();
            epochSamples += sum.samples();
            ObjectNode h = JSON.createObjectNode();
            h.put("round", round);
            h.put("epoch", epoch + 1);
            h.put("loss", loss);
            h.put("images", sum.samples());
            h.put("seconds", dt / 1e9);
            h.put("compute_seconds", sum.maxComputeNanos() / 1e9);
            history.append(JSON.writeValueAsString(h)).append('\n');
            monitor.round(round, epoch + 1, loss, sum.samples(), dt / 1e9, sum.maxComputeNanos() / 1e9, lr);
            boolean epochEnd = r == rounds - 1;
            long roundsLeft = (long) (c.epochs() - epoch - 1) * rounds + (rounds - r - 1);
            double secondsPerRound = (System.nanoTime() - loopStart) / 1e9 / ++roundsThisRun;
            progress.round(epoch + 1, c.epochs(), r + 1, rounds, loss, lastAccuracy,
                trainImages / (trainNanos / 1e9), roundsLeft * secondsPerRound);
            if (epochEnd) {
              TrainState now = engine.state();
              eval = evaluate(jsc, workers, testData, modelSpec.description(), classes, backend, threads, now.params,
                  now.buffers);
              lastAccuracy = eval.accuracy();
              double trainLoss = epochSamples == 0 ? Double.NaN : epochLoss / epochSamples;
              ObjectNode e = JSON.createObjectNode();
              e.put("epoch", epoch + 1);
              e.put("train_loss", trainLoss);
              eval.putMetrics(e);
              e.put("test_loss", eval.meanLoss());
              e.put("rounds", round);
              epochs.append(JSON.writeValueAsString(e)).append('\n');
              monitor.epoch(epoch + 1, trainLoss, eval);
              // rewritten whole at each epoch end: works on every file system, S3 included (no append)
              out.writeAtomically("history.jsonl", history.toString().getBytes(StandardCharsets.UTF_8));
              out.writeAtomically("epochs.jsonl", epochs.toString().getBytes(StandardCharsets.UTF_8));
              checkpoints.save(new Checkpoint(round, epoch + 1, 0, c.identity(), history.toString(), epochs.toString(),
                  now.params, now.velocity, now.buffers, engine.workerVelocities(), engine.exchangeResiduals()));
              progress.epoch(epoch + 1, c.epochs(), trainLoss, eval.accuracy(), eval.meanLoss());
            } else if (c.checkpointEvery() > 0 && round % c.checkpointEvery() == 0) {
              TrainState now = engine.state();
              checkpoints.save(new Checkpoint(round, epoch, r + 1, c.identity(), history.toString(), epochs.toString(),
                  now.params, now.velocity, now.buffers, engine.workerVelocities(), engine.exchangeResiduals()));
            }
            if (c.injectFault() != null && c.injectFault().equals("evict:" + round)) {
              evictCachedBlocks(jsc);
            }
            if (c.injectFault() != null && c.injectFault().equals("driver:" + round)) {
              throw new InjectedDriverFault("injected fault: the driver dies after round " + round);
            }
          }
          groupStart += group.size();
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(c.out() + ": cannot write history: " + e.getMessage(), e);
    }
    if (eval == null) {
      eval = evaluate(jsc, workers, testData, modelSpec.description(), classes, backend, threads, engine.state().params,
          engine.state().buffers);
    }
    state = engine.state();
    engine.close();

    double wall = (System.nanoTime() - wallStart) / 1e9;
    ModelFile.Model model = out.writeModel(c, net, modelSpec.zoo(), train, backend, eval.accuracy(), round, state);
    Result result = new Result(eval.accuracy(), eval.meanLoss(), c.epochs(), c.workers(), backend,
        trainNanos == 0 ? 0 : trainImages / (trainNanos / 1e9), wall, round, state.params, new ArrayList<>(executors),
        eval, train.classes(), history.toString(), model);
    byte[] summary = out.writeSummary(c, result);
    out.writeAtomically("report.html", monitor.report(new String(summary, StandardCharsets.UTF_8), eval, c.epochs())
        .getBytes(StandardCharsets.UTF_8));
    return result;
  }

  /** The simulated death of the driver ({@code --inject-fault driver:ROUND}). */
  public static final class InjectedDriverFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InjectedDriverFault(String message) {
      super(message);
    }
  }

  /**
   * Drops every cached block of every persisted RDD ({@code --inject-fault evict:ROUND}), as the
   * death of every executor would, but keeps the RDDs persisted: the next round recomputes them
   * from lineage and caches them again.
   */
  private static void evictCachedBlocks(JavaSparkContext jsc) {
    for (Object id : jsc.getPersistentRDDs().keySet()) {
      jsc.sc().env().blockManager().master().removeRdd((Integer) id, true);
    }
  }

  /**
   * The end (exclusive) of the group of rounds from {@code start} (within the epoch; {@code done}
   * rounds of the run before it): at most {@code perJob} rounds, ending at the epoch's end, at a
   * checkpoint round and at a round after which an injected driver fault or eviction happens.
   */
  static int groupEnd(TrainConfig c, long done, int start, int rounds, int perJob) {
    int end = Math.min(rounds, start + perJob);
    for (int q = start; q < end; q++) {
      long global = done + 1 + q - start;
      if (c.checkpointEvery() > 0 && global % c.checkpointEvery() == 0 || c.injectFault() != null
          && (c.injectFault().equals("driver:" + global) || c.injectFault().equals("evict:" + global))) {
        return q + 1;
      }
    }
    return end;
  }

  /** The worker whose task fails on its first attempt in {@code round} (1-based), or -1. */
  private static int faultWorker(TrainConfig c, long round) {
    if (c.injectFault() == null || c.injectFault().startsWith("driver:") || c.injectFault().startsWith("evict:")) {
      return -1;
    }
    String[] parts = c.injectFault().split(":");
    return Long.parseLong(parts[0]) == round ? Integer.parseInt(parts[1]) : -1;
  }

  /** Rows of each shard of {@code m}, in manifest order. */
  static List<Long> rows(Manifest m) {
    List<Long> rows = new ArrayList<>();
    for (Manifest.ShardEntry e : m.shards()) {
      rows.add(e.rows());
    }
    return rows;
  }

  /**
   * Decoding threads per worker: one for raw sets (a copy and a multiply-add per pixel), the task's
   * CPUs for encoded ones, so that decoding keeps up with the training step it overlaps.
   */
  static int decoders(Manifest m, int threads) {
    return Manifest.RAW.equals(m.encoding()) ? 1 : Math.max(1, threads);
  }

  /** Samples per evaluation batch. */
  static final int EVAL_BATCH = 500;

  /** A shard set read once in order by {@code workers} workers through {@code validation}. */
  static ShardInput evaluationInput(HadoopConf hc, String dir, Manifest m, int workers, Transform validation,
      int threads) {
    return new ShardInput(hc, dir, m, StreamPlan.of(rows(m), 0, workers, EVAL_BATCH, 1, false), validation,
        decoders(m, threads));
  }

  /** N partitions, partition w holding the one element w: the workers of a round or an evaluation. */
  static JavaRDD<Integer> workers(JavaSparkContext jsc, int workers) {
    List<Integer> ids = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      ids.add(w);
    }
    return jsc.parallelize(ids, workers);
  }

  /**
   * A distributed forward pass: each worker streams its slice of {@code test} once; the counts add
   * up. The workers' results are merged in worker order on the driver, not as their tasks finish
   * (as {@code reduce} would): with three or more workers the double sums (loss, squared error)
   * would otherwise round differently from one run to the next.
   */
  static Evaluation evaluate(JavaSparkContext jsc, JavaRDD<Integer> workers, ShardInput test, String model,
      int classes, String backend, int threads, float[] params, float[] buffers) {
    jsc.setJobGroup("fovea-eval", "evaluate", false);
    Broadcast<float[]> p = jsc.broadcast(params);
    Broadcast<float[]> b = jsc.broadcast(buffers);
    Evaluation e = workers.map(w -> Evaluation.run(model, classes, test, backend, threads, p.value(), b.value(), w))
        .collect().stream().reduce(Evaluation::merge).orElseThrow();
    p.destroy();
    b.destroy();
    return e;
  }

  /** Writes the run's files under the output folder through Hadoop's FileSystem API. */
  private static final class Outputs {
    private final Configuration conf;
    private final Path dir;

    Outputs(Configuration conf, String dir) {
      this.conf = conf;
      this.dir = new Path(dir);
    }

    /** Writes to a temporary name, syncs, then renames, so a reader never sees a half-written file. */
    void writeAtomically(String name, byte[] bytes) {
      try {
        dev.fovea.driver.checkpoint.DurableFiles.replace(conf, dir, name, bytes);
      } catch (IOException e) {
        throw new IllegalStateException(dir + "/" + name + ": cannot write: " + e.getMessage(), e);
      }
    }

    ModelFile.Model writeModel(TrainConfig c, Network net, String zoo, Manifest train, String backend,
        double testAccuracy, long rounds, TrainState s) {
      Map<String, String> prov = new LinkedHashMap<>();
      prov.put("config", c.toString());
      prov.put("data_manifest_sha256", train.sha256());
      prov.put("data", train.name());
      prov.put("code_version", Version.get());
      prov.put("backend", backend);
      prov.put("test_accuracy", Double.toString(testAccuracy));
      // the input normalisation the weights were trained with; predict and evaluate apply it
      prov.put("normalization_mean", join(train.mean()));
      prov.put("normalization_std", join(train.std()));
      ModelFile.Model m = new ModelFile.Model(net, zoo, train.classes(), s.params, s.buffers, new ModelFile.OptimizerState(c.optimizerDescription()
              + (c.optimizerState() == Choices.OptimizerState.LOCAL ? " (state: the mean of the workers' own)" : ""),
              rounds, s.velocity), prov);
      java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
      try {
        ModelFile.write(m, b);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      writeAtomically("model.fovea", b.toByteArray());
      return m;
    }

    byte[] writeSummary(TrainConfig c, Result r) {
      ObjectNode s = JSON.createObjectNode();
      r.evaluation().putMetrics(s);
      s.put("test_loss", r.testLoss());
      ObjectNode perClass = s.putObject("per_class_accuracy");
      double[] pc = r.evaluation().classTargets() ? r.evaluation().perClassAccuracy() : new double[0];
      for (int i = 0; i < pc.length; i++) {
        perClass.put(r.classNames().get(i), pc[i]);
      }
      com.fasterxml.jackson.databind.node.ArrayNode confusion = s.putArray("confusion_matrix");
      int k = r.evaluation().classTargets() ? r.evaluation().classes : 0;
      for (int t = 0; t < k; t++) {
        com.fasterxml.jackson.databind.node.ArrayNode row = confusion.addArray();
        for (int p = 0; p < k; p++) {
          row.add(r.evaluation().confusion[t * k + p]);
        }
      }
      s.put("epochs", r.epochs());
      s.put("workers", r.workers());
      s.put("backend", r.backend());
      s.put("train_images_per_second", r.trainImagesPerSecond());
      s.put("wall_seconds", r.wallSeconds());
      s.put("rounds", r.rounds());
      s.put("model", ModelSpec.labelOf(c.model()));
      s.put("batch", c.batch());
      s.put("steps_per_round", c.stepsPerRound());
      s.put("seed", c.seed());
      s.put("spark_master", SparkSession.active().sparkContext().master());
      s.putPOJO("executors", r.executors());
      s.put("code_version", Version.get());
      try {
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(s);
        writeAtomically("summary.json", bytes);
        return bytes;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  static String join(List<Double> values) {
    StringBuilder b = new StringBuilder();
    for (double v : values) {
      b.append(b.length() == 0 ? "" : ",").append(v);
    }
    return b.toString();
  }

  /** The normaliser recorded in a model's provenance by {@link Outputs#writeModel}. */
  public static Normalizer normalizer(ModelFile.Model m) {
    List<List<Double>> n = normalization(m);
    return new Normalizer(m.inputShape(), n.get(0), n.get(1));
  }

  /** The per-channel {mean, std} recorded in a model's provenance by {@link Outputs#writeModel}. */
  public static List<List<Double>> normalization(ModelFile.Model m) {
    String mean = m.provenance().get("normalization_mean");
    String std = m.provenance().get("normalization_std");
    if (mean == null || std == null) {
      throw new IllegalArgumentException("the model records no input normalisation (normalization_mean/std)");
    }
    List<Double> mu = new ArrayList<>();
    List<Double> sd = new ArrayList<>();
    for (String v : mean.split(",")) {
      mu.add(Double.parseDouble(v));
    }
    for (String v : std.split(",")) {
      sd.add(Double.parseDouble(v));
    }
    return List.of(mu, sd);
  }
}
