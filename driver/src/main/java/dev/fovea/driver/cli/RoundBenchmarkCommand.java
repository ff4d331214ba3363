package dev.fovea.driver.cli;

import dev.fovea.driver.SparkSessions;
import dev.fovea.driver.averaging.RoundEngine;
import dev.fovea.driver.worker.RoundResult;
import dev.fovea.driver.worker.TrainState;
import dev.fovea.driver.worker.WorkerStep;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fovea benchmark rounds}: the synchronisation cost of one round for each averaging
 * strategy, on whatever Spark the command runs on (a standalone cluster through {@code
 * fovea-cluster submit}, or local mode). Each worker's task does no training: it receives the
 * state through the strategy's real engine ({@link RoundEngine}, the classes {@code fovea train}
 * runs), copies it as its "trained" result, and the engine averages the N results. What is timed is
 * therefore shipping, combining and averaging the vector, the part of a round that grows with
 * model size and worker count; compute is left out because on an oversubscribed machine it would
 * only measure the contention. The vectors hold the model's real initial parameters (random
 * floats; Spark compresses broadcasts and shuffles, so zeros would flatter both strategies).
 *
 * <p>Per configuration it prints the median, min and max round latency over {@code --rounds}
 * rounds after {@code --warmup} rounds, and per round: the bytes of task results the driver
 * received (Spark's task metrics), the serialized size of what the driver broadcast, and the bytes
 * written to the shuffle (worker to worker).
 *
 * <p>{@code allreduce} runs several rounds per Spark job, so its timed rounds run as one group (one
 * job) and its round latency is each round's slowest task plus the group's fixed cost (job launch,
 * start broadcast, state back to the driver) spread evenly over the rounds; two more columns give
 * the synchronisation measured inside the tasks (median and largest over rounds and workers) and
 * the fixed cost itself, in total and per round. Its broadcast column is the start state's, per
 * round of the group.
 */
@Command(name = "rounds", mixinStandardHelpOptions = true,
    description = "Time the synchronisation of a round (ship, combine, average; no training) for each averaging "
        + "strategy; print latency and bytes through the driver.")
final class RoundBenchmarkCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--master", description = "Spark master URL (default: from spark-submit, else local[N])")
  String master;

  @Option(names = "--workers", required = true, description = "N, partitions (one per executor on a cluster)")
  int workers;

  @Option(names = "--models", split = ",", description = "zoo models; lenet at 1x28x28 and 10 classes, resnet20 "
      + "and resnet56 at 3x32x32 and 10 classes, the others at 3x224x224 and 1000 classes (default: lenet)")
  List<String> models = List.of("lenet");

  @Option(names = "--strategies", split = ",", description = "averaging strategies: tree, sharded, allreduce (its "
      + "timed rounds run as one Spark job) (default: tree,sharded)")
  List<String> strategies = List.of("tree", "sharded");

  @Option(names = "--optimizer-state", split = ",", description = "averaged and/or local (default: averaged)")
  List<String> optimizerStates = List.of("averaged");

  @Option(names = "--exchange", split = ",", description = "allreduce: f32 and/or bf16 (deltas in bfloat16 with "
      + "error feedback; shown as strategy 'allreduce bf16') (default: f32)")
  List<String> exchanges = List.of("f32");

  @Option(names = "--rounds", description = "timed rounds per configuration (default: ${DEFAULT-VALUE})")
  int rounds = 5;

  @Option(names = "--warmup", description = "untimed rounds first (default: ${DEFAULT-VALUE})")
  int warmup = 1;

  @Option(names = "--wait-executors", description = "seconds to wait for N executors to register "
      + "(default: ${DEFAULT-VALUE})")
  int waitSeconds = 120;

  /** One measured configuration. */
  record Row(String model, int params, String strategy, String optimizerState, int workers, double medianMs,
      double minMs, double maxMs, long resultBytes, long broadcastBytes, long shuffleBytes, Phases phases,
      Grouped grouped, long blockBytes) {}

  /**
   * {@code allreduce}, whose timed rounds run as one Spark job (one group): the synchronisation
   * measured inside the tasks, and the group's cost outside its rounds.
   *
   * @param syncMedianMs a round's synchronisation inside a task (first put to last averaged slice
   *     read), median over rounds and workers
   * @param syncMaxMs the same, the largest
   * @param fixedMs the group's cost outside its rounds: job launch, start broadcast, results and the
   *     averaged state back on the driver, the blocks removed (its wall time less each round's
   *     slowest task)
   * @param broadcastMs of which creating the start state's broadcast on the driver
   * @param collectMs of which reading the averaged state back and removing the blocks
   * @param rounds rounds in the group (the fixed cost per round is {@code fixedMs / rounds})
   */
  record Grouped(double syncMedianMs, double syncMaxMs, double fixedMs, double broadcastMs, double collectMs,
      int rounds, double transferMedianMs, long faultsMedian) {}

  /**
   * Where a round's time goes, per round (means over the timed rounds), from Spark's own job and
   * task metrics. Task figures are summed over the round's tasks (N workers run in parallel, so a
   * task phase costs the round about its sum divided by the tasks that overlap).
   *
   * @param jobs Spark jobs per round
   * @param stages stages per round
   * @param tasks tasks per round
   * @param driverMs the round's wall time outside its Spark jobs (broadcast creation, averaging,
   *     bookkeeping on the driver)
   * @param jobMs wall time inside Spark jobs
   * @param launchMs task launch and scheduling delay: a task's duration less everything below
   * @param deserializeMs task deserialization, including reading the broadcast state
   * @param runMs task run time (the worker's copy, shuffle reads, the reducers' sums); includes
   *     shuffle write and fetch wait below
   * @param shuffleWriteMs writing shuffle files
   * @param fetchWaitMs waiting for remote shuffle blocks
   * @param resultSerializeMs serializing task results
   * @param resultFetchMs the driver fetching large task results from the block manager
   * @param gcMs garbage collection during tasks
   * @param taskCpuMs CPU time of the round's tasks (deserialization and run), summed
   * @param processCpuMs CPU time of the driver's JVM over the round, all its threads: in local mode
   *     every task runs there too, so this is the round's whole CPU cost, which a loaded machine
   *     inflates far less than the wall times above
   */
  record Phases(double jobs, double stages, double tasks, double driverMs, double jobMs, double launchMs,
      double deserializeMs, double runMs, double shuffleWriteMs, double fetchWaitMs, double resultSerializeMs,
      double resultFetchMs, double gcMs, double taskCpuMs, double processCpuMs) {

    static String header() {
      return "| model | strategy | optimizer state | executors | jobs | stages | tasks | driver outside jobs ms "
          + "| in jobs ms | task launch ms | task deserialize ms | task run ms | (shuffle write ms) "
          + "| (fetch wait ms) | result serialize ms | result fetch ms | GC ms | task CPU ms | driver JVM CPU ms |\n"
          + "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
    }

    String format(Row r) {
      return String.format("| %s | %s | %s | %d | %.1f | %.1f | %.1f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f "
          + "| %.0f | %.0f | %.0f | %.0f | %.0f |", r.model(), r.strategy(), r.optimizerState(), r.workers(), jobs,
          stages, tasks, driverMs, jobMs, launchMs, deserializeMs, runMs, shuffleWriteMs, fetchWaitMs,
          resultSerializeMs, resultFetchMs, gcMs, taskCpuMs, processCpuMs);
    }
  }

  /** Sums of one job group's phases; see {@link Phases}. */
  static final class PhaseSums {
    final AtomicLong jobs = new AtomicLong();
    final AtomicLong stages = new AtomicLong();
    final AtomicLong tasks = new AtomicLong();
    final AtomicLong jobNanos = new AtomicLong();
    final AtomicLong launchMs = new AtomicLong();
    final AtomicLong deserializeMs = new AtomicLong();
    final AtomicLong runMs = new AtomicLong();
    final AtomicLong shuffleWriteNanos = new AtomicLong();
    final AtomicLong fetchWaitMs = new AtomicLong();
    final AtomicLong resultSerializeMs = new AtomicLong();
    final AtomicLong resultFetchMs = new AtomicLong();
    final AtomicLong gcMs = new AtomicLong();
    final AtomicLong taskCpuNanos = new AtomicLong();
  }

  static final Map<Integer, String> STAGE_GROUP = new ConcurrentHashMap<>();
  static final Map<Integer, Long> JOB_START = new ConcurrentHashMap<>();
  static final Map<Integer, String> JOB_GROUP = new ConcurrentHashMap<>();
  static final Map<String, AtomicLong> RESULT_BYTES = new ConcurrentHashMap<>();
  static final Map<String, AtomicLong> SHUFFLE_BYTES = new ConcurrentHashMap<>();
  static final Map<String, PhaseSums> PHASES = new ConcurrentHashMap<>();

  /** The task of a worker that ships without training: its result is a copy of the state it got. */
  static final class ShipOnly implements WorkerStep {
    private static final long serialVersionUID = 1L;

    @Override
    public RoundResult run(int worker, TrainState state) {
      long start = System.nanoTime();
      RoundResult r = new RoundResult();
      r.worker = worker;
      r.params = state.params.clone();
      r.velocity = state.velocity == null ? null : state.velocity.clone();
      r.buffers = state.buffers.clone();
      r.lossSum = 1;
      r.samples = 1;
      r.computeNanos = System.nanoTime() - start;
      return r;
    }
  }

  static Shape input(String model) {
    return Zoo.designInput(model);
  }

  static int classes(String model) {
    return Zoo.designClasses(model);
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    for (String m : models) {
      if (!Zoo.names().contains(m)) {
        throw new IllegalArgumentException("unknown model '" + m + "'; known: " + String.join(", ", Zoo.names()));
      }
    }
    SparkSession spark = SparkSessions.create("fovea benchmark rounds", master, workers);
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      List<Row> rows = run(jsc, out);
      out.println();
      out.println(header());
      for (Row r : rows) {
        out.println(format(r));
      }
      out.println();
      out.println(Phases.header());
      for (Row r : rows) {
        out.println(r.phases().format(r));
      }
      out.flush();
      return 0;
    } finally {
      spark.stop();
    }
  }

  static String header() {
    return "| model | params | strategy | optimizer state | executors | round ms (median) | min | max "
        + "| task results to driver (bytes/round) | broadcast from driver (bytes/round) | shuffle written "
        + "(bytes/round) | in-task sync ms (median, max) | group fixed ms (total / per round) "
        + "| block manager bytes put (bytes/round) | in-task remote transfers ms (median) "
        + "| page faults in sync (median) |\n"
        + "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
  }

  static String format(Row r) {
    Grouped g = r.grouped();
    return String.format("| %s | %,d | %s | %s | %d | %.0f | %.0f | %.0f | %,d | %,d | %,d | %s | %s | %s | %s | %s |",
        r.model(),
        r.params(), r.strategy(), r.optimizerState(), r.workers(), r.medianMs(), r.minMs(), r.maxMs(),
        r.resultBytes(), r.broadcastBytes(), r.shuffleBytes(),
        g == null ? "-" : String.format("%.0f, %.0f", g.syncMedianMs(), g.syncMaxMs()),
        g == null ? "-" : String.format("%.0f / %.0f (broadcast %.0f, state back %.0f)", g.fixedMs(),
            g.fixedMs() / g.rounds(), g.broadcastMs(), g.collectMs()),
        g == null ? "-" : String.format("%,d", r.blockBytes()),
        g == null ? "-" : String.format("%.0f", g.transferMedianMs()),
        g == null || g.faultsMedian() < 0 ? "-" : String.format("%,d", g.faultsMedian()));
  }

  /** The strategies to run, allreduce once per {@code --exchange} ({@code allreduce bf16} for bf16). */
  List<String> strategies() {
    List<String> named = new ArrayList<>();
    for (String strategy : strategies) {
      for (String exchange : "allreduce".equals(strategy) ? exchanges : List.of("f32")) {
        dev.fovea.driver.Choices.parse(dev.fovea.driver.Choices.Exchange.class, "--exchange", exchange);
        if (!named.contains(strategy + ("bf16".equals(exchange) ? " bf16" : ""))) {
          named.add(strategy + ("bf16".equals(exchange) ? " bf16" : ""));
        }
      }
    }
    return named;
  }

  List<Row> run(JavaSparkContext jsc, PrintWriter out) throws Exception {
    // a second run in the same JVM (tests) starts from nothing: its groups may have the same names
    for (Map<?, ?> m : List.of(STAGE_GROUP, JOB_START, JOB_GROUP, RESULT_BYTES, SHUFFLE_BYTES, PHASES)) {
      m.clear();
    }
    jsc.sc().addSparkListener(new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart job) {
        String group = job.properties() == null ? "" : job.properties().getProperty("spark.jobGroup.id", "");
        job.stageIds().foreach(id -> STAGE_GROUP.put((Integer) id, group));
        JOB_START.put(job.jobId(), System.nanoTime());
        JOB_GROUP.put(job.jobId(), group);
        PhaseSums p = PHASES.computeIfAbsent(group, g -> new PhaseSums());
        p.jobs.incrementAndGet();
      }

      @Override
      public void onJobEnd(SparkListenerJobEnd job) {
        Long start = JOB_START.remove(job.jobId());
        String group = JOB_GROUP.remove(job.jobId());
        if (start != null && group != null) {
          PHASES.computeIfAbsent(group, g -> new PhaseSums()).jobNanos.addAndGet(System.nanoTime() - start);
        }
      }

      @Override
      public void onStageCompleted(SparkListenerStageCompleted stage) {
        String group = STAGE_GROUP.getOrDefault(stage.stageInfo().stageId(), "");
        PHASES.computeIfAbsent(group, g -> new PhaseSums()).stages.incrementAndGet();
      }

      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.taskMetrics() == null) {
          return;
        }
        String group = STAGE_GROUP.getOrDefault(end.stageId(), "");
        RESULT_BYTES.computeIfAbsent(group, g -> new AtomicLong()).addAndGet(end.taskMetrics().resultSize());
        SHUFFLE_BYTES.computeIfAbsent(group, g -> new AtomicLong())
            .addAndGet(end.taskMetrics().shuffleWriteMetrics().bytesWritten());
        var m = end.taskMetrics();
        var info = end.taskInfo();
        PhaseSums p = PHASES.computeIfAbsent(group, g -> new PhaseSums());
        long fetch = info.gettingResultTime() > 0 ? info.finishTime() - info.gettingResultTime() : 0;
        long duration = info.finishTime() - info.launchTime();
        p.tasks.incrementAndGet();
        p.deserializeMs.addAndGet(m.executorDeserializeTime());
        p.runMs.addAndGet(m.executorRunTime());
        p.shuffleWriteNanos.addAndGet(m.shuffleWriteMetrics().writeTime());
        p.fetchWaitMs.addAndGet(m.shuffleReadMetrics().fetchWaitTime());
        p.resultSerializeMs.addAndGet(m.resultSerializationTime());
        p.resultFetchMs.addAndGet(fetch);
        p.gcMs.addAndGet(m.jvmGCTime());
        p.taskCpuNanos.addAndGet(m.executorCpuTime() + m.executorDeserializeCpuTime());
        p.launchMs.addAndGet(Math.max(0, duration - m.executorDeserializeTime() - m.executorRunTime()
            - m.resultSerializationTime() - fetch));
      }
    });
    boolean cluster = !jsc.master().startsWith("local");
    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
    while (cluster && jsc.sc().getExecutorMemoryStatus().size() - 1 < workers) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + (jsc.sc().getExecutorMemoryStatus().size() - 1) + " of "
            + workers + " executors registered in " + waitSeconds + " s");
      }
      Thread.sleep(200);
    }
    List<Integer> ids = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      ids.add(w);
    }
    // one partition per worker holding its id, as in training (where each worker streams its own data)
    JavaRDD<Integer> slices = jsc.parallelize(ids, workers).persist(StorageLevel.MEMORY_ONLY());
    slices.count();
    List<Row> rows = new ArrayList<>();
    for (String model : models) {
      Network net = Zoo.build(model, input(model), classes(model));
      float[] params = net.layout().initialize(1);
      float[] buffers = net.bufferLayout().initialize(1);
      float[] velocity = new float[params.length];
      for (int i = 0; i < velocity.length; i++) {
        velocity[i] = params[i] * 0.01f;
      }
      for (String state : optimizerStates) {
        for (String named : strategies()) {
          String strategy = named.split(" ")[0];
          dev.fovea.driver.Choices.Exchange exchange = named.endsWith(" bf16") ? dev.fovea.driver.Choices.Exchange.BF16
              : dev.fovea.driver.Choices.Exchange.F32;
          TrainState initial = new TrainState(params, velocity, buffers);
          float[][] local = null;
          if ("local".equals(state)) {
            local = new float[workers][];
            Arrays.fill(local, velocity);
          }
          boolean grouped = "allreduce".equals(strategy);
          long broadcast = "tree".equals(strategy) || grouped
              ? SparkEnv.get().serializer().newInstance().serialize(new TrainState(params,
                  "local".equals(state) ? null : velocity, buffers), scala.reflect.ClassTag$.MODULE$.apply(
                      TrainState.class)).remaining()
              : 0;
          RoundEngine engine = RoundEngine.create(
              dev.fovea.driver.Choices.parse(dev.fovea.driver.Choices.Averaging.class, "--strategies", strategy),
              dev.fovea.driver.Choices.parse(dev.fovea.driver.Choices.OptimizerState.class, "--optimizer-states",
                  state), exchange, jsc, initial, local, null, workers);
          double[] ms = new double[rounds];
          long results = 0;
          long shuffle = 0;
          List<String> timedGroups = new ArrayList<>();
          double wallMs = 0;
          double cpuMs = 0;
          Grouped groupTimes = null;
          try {
            for (int r = 0; r < (grouped ? warmup : warmup + rounds); r++) {
              String group = "bench-" + model + "-" + named.replace(' ', '-') + "-" + state + "-" + r;
              jsc.setJobGroup(group, group, false);
              long c0 = processCpuNanos();
              long t0 = System.nanoTime();
              engine.round(slices, new ShipOnly(), -1);
              long dt = System.nanoTime() - t0;
              long cpu = processCpuNanos() - c0;
              if (r >= warmup) { // tree, sharded: one round per job, timed on the driver
                ms[r - warmup] = dt / 1e6;
                jsc.sc().listenerBus().waitUntilEmpty();
                results += value(RESULT_BYTES, group);
                shuffle += value(SHUFFLE_BYTES, group);
                timedGroups.add(group);
                wallMs += dt / 1e6;
                cpuMs += cpu / 1e6;
              }
            }
            if (grouped) {
              // the timed rounds as one group (one Spark job); per round: its slowest task's time
              // plus the group's fixed cost spread evenly
              String group = "bench-" + model + "-" + named.replace(' ', '-') + "-" + state + "-group";
              jsc.setJobGroup(group, group, false);
              long c0 = processCpuNanos();
              long t0 = System.nanoTime();
              java.util.List<ShipOnly> steps = new ArrayList<>();
              for (int r = 0; r < rounds; r++) {
                steps.add(new ShipOnly());
              }
              int[] none = new int[rounds];
              Arrays.fill(none, -1);
              engine.rounds(slices, steps, none, i -> { });
              long dt = System.nanoTime() - t0;
              long cpu = processCpuNanos() - c0;
              dev.fovea.driver.averaging.AllReduce.Group g = ((dev.fovea.driver.averaging.AllReduce) engine)
                  .lastGroup();
              double fixedMs = g.fixedNanos() / 1e6;
              List<Double> syncs = new ArrayList<>();
              List<Double> transfers = new ArrayList<>();
              List<Long> faults = new ArrayList<>();
              for (int r = 0; r < rounds; r++) {
                ms[r] = Arrays.stream(g.roundNanos()[r]).max().orElse(0) / 1e6 + fixedMs / rounds;
                for (long x : g.syncNanos()[r]) {
                  syncs.add(x / 1e6);
                }
                for (long x : g.transferNanos()[r]) {
                  transfers.add(x / 1e6);
                }
                for (long x : g.faults()[r]) {
                  faults.add(x);
                }
              }
              java.util.Collections.sort(syncs);
              java.util.Collections.sort(transfers);
              java.util.Collections.sort(faults);
              groupTimes = new Grouped(syncs.get(syncs.size() / 2), syncs.get(syncs.size() - 1), fixedMs,
                  g.broadcastNanos() / 1e6, g.collectNanos() / 1e6, rounds, transfers.get(transfers.size() / 2),
                  faults.get(0) < 0 ? -1 : faults.get(faults.size() / 2));
              jsc.sc().listenerBus().waitUntilEmpty();
              results += value(RESULT_BYTES, group);
              shuffle += value(SHUFFLE_BYTES, group);
              timedGroups.add(group);
              wallMs += dt / 1e6;
              cpuMs += cpu / 1e6;
            }
          } finally {
            engine.close();
          }
          double[] sorted = ms.clone();
          Arrays.sort(sorted);
          Row row = new Row(model, params.length, named, state, workers, sorted[rounds / 2], sorted[0],
              sorted[rounds - 1], results / rounds, grouped ? broadcast / rounds : broadcast, shuffle / rounds,
              phases(timedGroups, rounds, wallMs, cpuMs), groupTimes,
              grouped ? ((dev.fovea.driver.averaging.AllReduce) engine).blockBytesPerRound() : 0);
          rows.add(row);
          out.println("fovea: " + format(row));
          out.println("fovea: phases " + row.phases().format(row));
          out.flush();
        }
      }
    }
    slices.unpersist(false);
    return rows;
  }

  /** The mean per round of the phases of the job groups of {@code rounds} rounds. */
  static Phases phases(List<String> groups, int rounds, double wallMs, double cpuMs) {
    double n = rounds;
    double[] t = new double[13];
    for (String g : groups) {
      PhaseSums p = PHASES.getOrDefault(g, new PhaseSums());
      long[] v = {p.jobs.get(), p.stages.get(), p.tasks.get(), p.jobNanos.get() / 1_000_000, p.launchMs.get(),
          p.deserializeMs.get(), p.runMs.get(), p.shuffleWriteNanos.get() / 1_000_000, p.fetchWaitMs.get(),
          p.resultSerializeMs.get(), p.resultFetchMs.get(), p.gcMs.get(), p.taskCpuNanos.get() / 1_000_000};
      for (int i = 0; i < v.length; i++) {
        t[i] += v[i];
      }
    }
    return new Phases(t[0] / n, t[1] / n, t[2] / n, (wallMs - t[3]) / n, t[3] / n, t[4] / n, t[5] / n, t[6] / n,
        t[7] / n, t[8] / n, t[9] / n, t[10] / n, t[11] / n, t[12] / n, cpuMs / n);
  }

  /** CPU time of this JVM, all threads (-1 where the platform does not say). */
  static long processCpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
  }

  private static long value(Map<String, AtomicLong> m, String group) {
    AtomicLong v = m.get(group);
    return v == null ? 0 : v.get();
  }
}
