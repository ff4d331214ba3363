package dev.fovea.driver.cli;

import dev.fovea.data.DataException;
import dev.fovea.driver.Choices;
import dev.fovea.driver.SparkSessions;
import dev.fovea.driver.TrainConfig;
import dev.fovea.driver.TrainingRun;
import dev.fovea.driver.report.Dashboard;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code fovea} command line. */
@Command(name = "fovea", mixinStandardHelpOptions = true, versionProvider = Fovea.VersionProvider.class,
    description = "Train convolutional neural networks on Apache Spark.",
    subcommands = {ShardCommand.class, Fovea.Train.class, EvaluateCommand.class, PredictCommand.class,
        SummaryCommand.class, BenchmarkCommand.class, ExportCommand.class, StudyCommand.class})
public final class Fovea implements Callable<Integer> {
  /** Whether the command's output is this process's standard output (a live bar may be drawn there). */
  private final boolean processStdout;

  private Fovea(boolean processStdout) {
    this.processStdout = processStdout;
  }

  @Override
  public Integer call() {
    new CommandLine(this).usage(System.out);
    return 2;
  }

  /** {@code fovea train}. */
  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Shard the dataset if needed, train by parameter averaging, evaluate, write the model.")
  static final class Train implements Callable<Integer> {
    private static final TrainConfig D = TrainConfig.defaults();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    Fovea parent;

    @Option(names = "--progress", description = "auto (a live bar when standard output is a terminal, else "
        + "plain lines), bar or lines (default: ${DEFAULT-VALUE})")
    String progress = "auto";

    @Option(names = "--dashboard-port", paramLabel = "PORT", description = "port of the live dashboard served while "
        + "training; 0 = any free port; a port in use moves it to a free one, with a warning "
        + "(default: ${DEFAULT-VALUE})")
    int dashboardPort = Dashboard.Options.DEFAULT_PORT;

    @Option(names = "--dashboard-host", paramLabel = "ADDR", description = "address the dashboard listens on "
        + "(default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every interface)")
    String dashboardHost = Dashboard.Options.DEFAULT_HOST;

    @Option(names = "--no-dashboard", description = "serve no live dashboard (report.html is written all the same)")
    boolean noDashboard;

    @Option(names = "--config", paramLabel = "FILE", description = "a properties file of settings (keys are the "
        + "long option names without dashes, e.g. epochs=5); flags on the command line override it")
    java.io.File config;

    @Option(names = "--data", paramLabel = "DIR", description = "MNIST-layout dataset folder; 'none' to use the "
        + "shard sets in --shards as they are (default: ${DEFAULT-VALUE})")
    String data = D.data();

    @Option(names = "--shards", paramLabel = "DIR", description = "shard sets folder (default: <out>/shards)")
    String shards;

    @Option(names = "--out", paramLabel = "DIR", description = "output folder (default: ${DEFAULT-VALUE})")
    String out = D.out();

    @Option(names = "--model", paramLabel = "NAME|FILE", description = "a zoo model, or a network file (the "
        + "graph API's JSON or YAML: .json, .yaml, .yml; see docs/networks.md) (default: ${DEFAULT-VALUE})")
    String model = D.model();

    @Option(names = "--workers", description = "parallel workers N (default: ${DEFAULT-VALUE})")
    int workers = D.workers();

    @Option(names = "--batch", description = "minibatch size per worker (default: ${DEFAULT-VALUE})")
    int batch = D.batch();

    @Option(names = "--steps-per-round", description = "minibatches per worker between averagings, k "
        + "(default: ${DEFAULT-VALUE})")
    int steps = D.stepsPerRound();

    @Option(names = "--epochs", description = "(default: ${DEFAULT-VALUE})")
    int epochs = D.epochs();

    @Option(names = "--lr", description = "learning rate (default: ${DEFAULT-VALUE})")
    double lr = D.learningRate();

    @Option(names = "--optimizer", description = "sgd, nesterov, adam, adamw, rmsprop or adagrad "
        + "(default: ${DEFAULT-VALUE}; docs/optimizers.md)")
    String optimizer = D.optimizer().label();

    @Option(names = "--loss", description = "train with this loss instead of the network's own: "
        + "softmax_cross_entropy, sigmoid_bce, mse, l1 or pixel_softmax_cross_entropy (docs/losses.md)")
    String loss;

    @Option(names = "--momentum", description = "momentum of sgd, nesterov and rmsprop (default: ${DEFAULT-VALUE})")
    double momentum = D.momentum();

    @Option(names = "--weight-decay", description = "L2 added to the gradient; adamw: decoupled decay "
        + "(default: ${DEFAULT-VALUE})")
    double weightDecay = D.weightDecay();

    @Option(names = "--beta1", description = "adam, adamw: first-moment decay (default: ${DEFAULT-VALUE})")
    double beta1 = D.beta1();

    @Option(names = "--beta2", description = "adam, adamw: second-moment decay (default: ${DEFAULT-VALUE})")
    double beta2 = D.beta2();

    @Option(names = "--epsilon", description = "adam, adamw, rmsprop, adagrad: added to the denominator "
        + "(default: ${DEFAULT-VALUE})")
    double epsilon = D.epsilon();

    @Option(names = {"--rho", "--alpha"}, description = "rmsprop: smoothing of the squared gradient "
        + "(default: ${DEFAULT-VALUE})")
    double rho = D.rho();

    @Option(names = "--clip-norm", paramLabel = "N", description = "scale the gradient (all parameters) down to "
        + "this L2 norm when above it; 0 = off (default: ${DEFAULT-VALUE})")
    double clipNorm = D.clipNorm();

    @Option(names = "--clip-value", paramLabel = "V", description = "clamp each gradient element to [-V, V]; "
        + "0 = off (default: ${DEFAULT-VALUE})")
    double clipValue = D.clipValue();

    @Option(names = "--seed", description = "(default: ${DEFAULT-VALUE})")
    long seed = D.seed();

    @Option(names = "--backend", description = "auto, reference or onednn (default: ${DEFAULT-VALUE})")
    String backend = D.backend();

    @Option(names = "--master", description = "Spark master URL (default: from spark-submit, else local[N])")
    String master;

    @Option(names = "--threads", description = "native threads per worker; 0 = spark.task.cpus (default: 0)")
    int threads = D.threadsPerWorker();

    @Option(names = "--shard-count", description = "shard files per set; 0 = automatic (default: 0)")
    int shardCount = D.shardCount();

    @Option(names = "--checkpoint-every", paramLabel = "M", description = "checkpoint every M rounds and at each "
        + "epoch end; 0 = epoch ends only (default: ${DEFAULT-VALUE})")
    int checkpointEvery = D.checkpointEvery();

    @Option(names = "--resume", description = "continue from the newest checkpoint in <out>/checkpoints")
    boolean resume;

    @Option(names = "--averaging", description = "tree (through the driver), sharded (reduce-scatter and "
        + "all-gather through Spark's shuffle) or allreduce (several rounds per Spark job, all-reduced among the "
        + "tasks through Spark's block manager; needs a task slot per worker, no dynamic allocation) "
        + "(default: ${DEFAULT-VALUE})")
    String averaging = D.averaging().label();

    @Option(names = "--rounds-per-job", paramLabel = "R", description = "allreduce: at most R rounds per Spark "
        + "job; progress and history arrive per job (default: ${DEFAULT-VALUE})")
    int roundsPerJob = D.roundsPerJob();

    @Option(names = "--exchange", description = "allreduce: f32 (results as floats) or bf16 (deltas from the "
        + "round's start as bfloat16 with error feedback: half the bytes) (default: ${DEFAULT-VALUE})")
    String exchange = D.exchange().label();

    @Option(names = "--optimizer-state", description = "averaged (the optimizer's state, e.g. SGD's velocity "
        + "or Adam's moments, is averaged like the parameters) or local (each worker keeps its own between "
        + "rounds; only parameters and buffers are averaged) (default: ${DEFAULT-VALUE})")
    String optimizerState = D.optimizerState().label();

    @Option(names = "--lr-scaling", description = "none, or linear: the rate grows to N x --lr for N workers "
        + "(default: ${DEFAULT-VALUE})")
    String lrScaling = D.lrScaling().label();

    @Option(names = "--warmup-rounds", description = "rounds of linear warm-up to the scaled rate "
        + "(default: ${DEFAULT-VALUE})")
    int warmupRounds = D.warmupRounds();

    @Option(names = "--lr-schedule", description = "constant, or cosine: decay to 0 over the run's rounds "
        + "(default: ${DEFAULT-VALUE})")
    String lrSchedule = D.lrSchedule().label();

    @Option(names = "--init-model", paramLabel = "FILE", description = "start from this model file (fine-tuning): "
        + "slices of matching name and shape are copied")
    String initModel;

    @Option(names = "--freeze", paramLabel = "LAYER", split = ",", description = "layers kept bitwise unchanged "
        + "(with --init-model)")
    java.util.List<String> freeze;

    @Option(names = "--replace-head", paramLabel = "LAYER", split = ",", description = "layers re-initialised "
        + "even where --init-model has them: a new classifier head")
    java.util.List<String> replaceHead;

    @Option(names = "--augment", description = "training augmentation: none, flip, crop-flip (pad --pad, random "
        + "crop, flip; raw sets) or rrc-flip (random resized crop, flip); evaluation never augments "
        + "(default: ${DEFAULT-VALUE})")
    String augment = D.augment().label();

    @Option(names = "--image-size", paramLabel = "PX", description = "network input height and width; 0 keeps a "
        + "raw set's size; JPEG sets need it, e.g. 224; evaluation resizes to PX/0.875 and centre-crops "
        + "(default: ${DEFAULT-VALUE})")
    int imageSize = D.imageSize();

    @Option(names = "--pad", paramLabel = "PX", description = "crop-flip: zero pixels added on each side before "
        + "the random crop, e.g. 4 for 32x32, 2 for 28x28 (default: ${DEFAULT-VALUE})")
    int pad = D.pad();

    @Option(names = "--shuffle-buffer", paramLabel = "N", description = "samples each worker shuffles within "
        + "(after shuffling the shard order every epoch) (default: ${DEFAULT-VALUE})")
    int shuffleBuffer = D.shuffleBuffer();

    @Option(names = "--inject-fault", paramLabel = "ROUND:WORKER", hidden = true,
        description = "for fault tests: fail that worker's first attempt in that round")
    String injectFault;

    @Override
    public Integer call() {
      // the string choices are parsed here, once, by the builder (Choices.parse): a bad one is one line
      TrainConfig c = TrainConfig.builder().data("none".equals(data) ? null : data).shards(shards).out(out)
          .model(model).workers(workers).batch(batch).stepsPerRound(steps).epochs(epochs).learningRate(lr)
          .momentum(momentum).weightDecay(weightDecay).seed(seed).backend(backend).master(master)
          .threadsPerWorker(threads).shardCount(shardCount).checkpointEvery(checkpointEvery).resume(resume)
          .averaging(averaging).lrScaling(lrScaling).warmupRounds(warmupRounds).lrSchedule(lrSchedule)
          .initModel(initModel).freeze(freeze).replaceHead(replaceHead).augment(augment).imageSize(imageSize)
          .pad(pad).shuffleBuffer(shuffleBuffer).injectFault(injectFault).optimizerState(optimizerState)
          .optimizer(optimizer).beta1(beta1).beta2(beta2).epsilon(epsilon).rho(rho).clipNorm(clipNorm)
          .clipValue(clipValue).loss(loss).roundsPerJob(roundsPerJob).exchange(exchange).build();
      boolean bar = switch (Choices.parse(Choices.ProgressMode.class, "--progress", progress)) {
        case AUTO -> parent.processStdout && System.console() != null;
        case BAR -> true;
        case LINES -> false;
      };
      // a zoo name, or a network file read and parsed: fail before starting Spark
      org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
      // and, for a shard set that exists, fits its samples and targets
      dev.fovea.driver.ModelSpec.resolve(model, hadoop).withLoss(c.loss()).checkExistingShards(c, hadoop);
      Dashboard.Options dashboard = new Dashboard.Options(!noDashboard, dashboardHost, dashboardPort);
      SparkSession spark = SparkSessions.create("fovea train", master, workers);
      try {
        java.io.PrintWriter o = spec.commandLine().getOut();
        TrainingRun.Result r = new TrainingRun(spark, c, dev.fovea.driver.Progress.console(o, bar), dashboard).run();
        if (!r.evaluation().classTargets()) {
          o.printf("fovea: test %s (loss %.6f) after %d epochs with %d workers on %s; %.0f training images/s; "
              + "%.1f s in all; outputs in %s%n", r.evaluation().metricsLine(), r.testLoss(), r.epochs(), r.workers(),
              r.backend(), r.trainImagesPerSecond(), r.wallSeconds(), out);
          return 0;
        }
        o.printf("fovea: test accuracy %.4f (loss %.4f) after %d epochs with %d workers on %s; "
            + "%.0f training images/s; %.1f s in all; outputs in %s%n", r.testAccuracy(), r.testLoss(), r.epochs(),
            r.workers(), r.backend(), r.trainImagesPerSecond(), r.wallSeconds(), out);
        return 0;
      } finally {
        spark.stop();
      }
    }
  }

  /** Prints the jar's version. */
  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"fovea " + dev.fovea.driver.Version.get()};
    }
  }

  /**
   * Runs the command line on this process's standard streams and returns the exit code; bad input
   * is one line on stderr.
   */
  public static int run(String... args) {
    return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), true, args);
  }

  /**
   * Runs the command line with the given output and error streams (a notebook's, a test's) and
   * returns the exit code. {@code train --progress auto} draws no live bar on them.
   */
  public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    return run(out, err, false, args);
  }

  /**
   * Runs the command line and flushes {@code out} and {@code err} whatever happens: a command that
   * prints with {@code print} (no line end, so no auto-flush) loses nothing when main then exits.
   */
  private static int run(java.io.PrintWriter out, java.io.PrintWriter err, boolean processStdout, String... args) {
    try {
      return execute(out, err, processStdout, args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  private static int execute(java.io.PrintWriter out, java.io.PrintWriter err, boolean processStdout,
      String... args) {
    CommandLine cl = new CommandLine(new Fovea(processStdout));
    cl.setOut(out);
    cl.setErr(err);
    for (int i = 0; i < args.length; i++) {
      boolean joined = args[i].startsWith("--config=");
      if (joined || args[i].equals("--config") && i + 1 < args.length) { // a bare last --config: picocli says so
        String file = joined ? args[i].substring(9) : args[i + 1];
        if (!new java.io.File(file).isFile()) {
          err.println("fovea: error: " + file + ": no such configuration file");
          return 2;
        }
        cl.getSubcommands().get("train").setDefaultValueProvider(
            new CommandLine.PropertiesDefaultProvider(new java.io.File(file)));
      }
    }
    // a bad flag or value: one line (picocli would add the whole usage text), exit 2
    cl.setParameterExceptionHandler((e, parsed) -> {
      CommandLine cmd = e.getCommandLine();
      cmd.getErr().println("fovea: error: " + e.getMessage().replace(System.lineSeparator(), " ").strip() + " (see '"
          + cmd.getCommandSpec().qualifiedName() + " --help')");
      return 2;
    });
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      Throwable t = e;
      while (t.getCause() != null && !(t instanceof DataException) && !(t instanceof IllegalArgumentException)) {
        t = t.getCause();
      }
      if (t instanceof DataException || t instanceof IllegalArgumentException || t instanceof IllegalStateException) {
        cmd.getErr().println("fovea: error: " + dev.fovea.kernels.OneLine.of(t.getMessage()));
        return 2;
      }
      throw e;
    });
    return cl.execute(args);
  }

  public static void main(String[] args) {
    int code = run(args);
    System.exit(code);
  }
}
