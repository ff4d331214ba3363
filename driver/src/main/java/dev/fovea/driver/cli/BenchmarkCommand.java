package dev.fovea.driver.cli;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BackendProvider;
import dev.fovea.kernels.Backends;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.Network;
import dev.fovea.nn.Trainer;
import dev.fovea.nn.Zoo;
import dev.fovea.optim.Sgd;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fovea benchmark}: training steps (forward, backward, SGD update) of a zoo model on one
 * backend in this JVM, in images/s, median of several repetitions. Its subcommand {@code rounds}
 * ({@link RoundBenchmarkCommand}) times the synchronisation of a round on Spark.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true, subcommands = {RoundBenchmarkCommand.class, TransformBenchmarkCommand.class},
    description = "Time training steps of a zoo model on a backend (images/s, median of repetitions); "
        + "'benchmark rounds' times the averaging strategies' rounds on Spark; 'benchmark transform' the Spark ML "
        + "model's transform next to evaluate.")
final class BenchmarkCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", description = "zoo model (default: ${DEFAULT-VALUE})")
  String model = "lenet";

  @Option(names = "--input", paramLabel = "C,H,W", split = ",", description = "input shape (default: 1,28,28)")
  int[] input = {1, 28, 28};

  @Option(names = "--batch", description = "batch size (default: ${DEFAULT-VALUE})")
  int batch = 64;

  @Option(names = "--steps", description = "steps per repetition (default: ${DEFAULT-VALUE})")
  int steps = 10;

  @Option(names = "--reps", description = "repetitions (default: ${DEFAULT-VALUE})")
  int reps = 5;

  @Option(names = "--threads", description = "backend threads (default: ${DEFAULT-VALUE})")
  int threads = 1;

  @Option(names = "--backend", description = "auto, reference or onednn (default: ${DEFAULT-VALUE})")
  String backend = "auto";

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    Network net = Zoo.build(model, Shape.of(input), 10);
    BackendProvider p = Backends.resolve(backend, w -> spec.commandLine().getErr().println("fovea: warning: " + w));
    float[] params = net.layout().initialize(1);
    float[] buffers = net.bufferLayout().initialize(1);
    float[] velocity = new float[params.length];
    SplittableRandom rng = new SplittableRandom(2);
    float[] x = new float[batch * Shape.of(input).size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    int[] labels = new int[batch];
    Arrays.setAll(labels, i -> i % 10);
    Tensor src = Tensor.wrap(x, Shape.of(input).prepend(batch));
    Sgd sgd = new Sgd(0.001, 0.9, 0);
    double[] ips = new double[reps];
    try (Backend b = p.create(threads)) {
      // warm-up: plans, JIT
      try (Trainer t = net.trainer(b, params, buffers, velocity, sgd, new BitSet())) {
        t.step(src, labels, 0);
      }
      // each repetition is a round as a worker runs it: a trainer over the state (resident where the
      // backend can), the steps, and the state copied out
      for (int r = 0; r < reps; r++) {
        long t0 = System.nanoTime();
        try (Trainer t = net.trainer(b, params, buffers, velocity, sgd, new BitSet())) {
          for (int s = 0; s < steps; s++) {
            t.step(src, labels, s);
          }
          t.copyOut(params, buffers, velocity);
        }
        ips[r] = (double) steps * batch / ((System.nanoTime() - t0) / 1e9);
      }
    }
    Arrays.sort(ips);
    out.printf("fovea: %s %s batch %d on %s with %d thread(s): %.0f images/s (median of %d; min %.0f, max %.0f)%n",
        model, Shape.of(input), batch, p.name(), threads, ips[reps / 2], reps, ips[0], ips[reps - 1]);
    return 0;
  }
}
