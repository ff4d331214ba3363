package dev.fovea.kernels.bench;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DeconvParams;
import dev.fovea.kernels.ForwardingBackend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.onednn.OneDnnBackend;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import dev.fovea.optim.Sgd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Whole training steps on the oneDNN backend: forward, backward and an SGD-with-momentum update of
 * a zoo network on one random batch, in images/s and in percent of the machine's FP32 peak measured
 * in the same run ({@link ConvolutionBenchmark#peak}: the best of a raw oneDNN sgemm and an
 * ideal-shape raw convolution, with the same thread count). It runs the shipped classes ({@link
 * Zoo}, {@link Network#lossAndGradient}, {@link Sgd}, {@link OneDnnBackend}); nothing is copied.
 *
 * <p>The timed steps run as the driver runs them: steps of one {@link Network#trainer} session (a
 * round) on an {@link OneDnnBackend}, which compiles the network into one native-resident step on
 * the first call (the "first step" figure includes that compilation and loading the state);
 * parameters, gradients and SGD velocity stay native between the steps and the update runs there,
 * and the state is copied out once at the end of the round (timed separately, on stderr). With {@code --layered} each model is also timed
 * layer by layer ({@code new OneDnnBackend(threads, false)}: every op copies its tensors in and out
 * and convolutions time their layout candidates), the path before compiled steps, for comparison.
 *
 * <p>FLOPs of a step are counted, not estimated: one step runs through a counting wrapper that adds
 * {@code 2 · N · OC · |out| · C/groups · |k|} for every convolution and transposed-convolution pass
 * and {@code 2 · N · K · O} for every inner-product pass the network actually calls (so the first
 * convolution's unneeded backward-data pass is not counted). Element-wise ops, pooling and batch
 * norm are not counted: the percentage is of useful multiply-add work. The counting wrapper runs
 * over a backend that computes nothing (only the shapes of the calls matter), so counting costs
 * neither time nor planning.
 *
 * <p>Also reports the backend's native-memory high-water mark ({@link
 * OneDnnBackend#peakNativeBytes()}: plan buffers plus primitive scratchpads, the convolution layout
 * candidates timed while planning included) and, with {@code --memory}, that figure alone for one
 * step of each zoo model.
 *
 * <pre>
 * TrainingStepBenchmark [--threads T] [--reps R] [--run lenet:64,resnet50:32] [--layered] [--memory BATCH [--models a,b]]
 * </pre>
 */
public final class TrainingStepBenchmark {
  private TrainingStepBenchmark() {}

  /** Counts the multiply-add FLOPs of the passes it forwards. */
  static final class FlopCounter extends ForwardingBackend {
    double flops;

    FlopCounter(Backend delegate) {
      super(delegate);
    }

    @Override
    public String name() {
      return delegate().name();
    }

    private static double conv(ConvParams p, Shape src, Shape weights) {
      Shape out = p.outputShape(src, weights);
      double k = 1;
      for (int d = 2; d < weights.rank(); d++) {
        k *= weights.dim(d);
      }
      return 2.0 * out.size() * weights.dim(1) * k;
    }

    private static double deconv(DeconvParams p, Shape src, Shape weights) {
      // the adjoint of the convolution from dst to src: that convolution's multiply-adds
      Shape out = p.outputShape(src, weights);
      return conv(p.conv(), out, weights);
    }

    @Override
    public void convolutionForward(ConvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
      flops += conv(p, src.shape(), weights.shape());
      super.convolutionForward(p, src, weights, bias, dst);
    }

    @Override
    public void convolutionBackwardData(ConvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
      flops += conv(p, diffSrc.shape(), weights.shape());
      super.convolutionBackwardData(p, diffDst, weights, diffSrc);
    }

    @Override
    public void convolutionBackwardWeights(ConvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
        Tensor diffBias) {
      flops += conv(p, src.shape(), diffWeights.shape());
      super.convolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
    }

    @Override
    public void deconvolutionForward(DeconvParams p, Tensor src, Tensor weights, Tensor bias, Tensor dst) {
      flops += deconv(p, src.shape(), weights.shape());
      super.deconvolutionForward(p, src, weights, bias, dst);
    }

    @Override
    public void deconvolutionBackwardData(DeconvParams p, Tensor diffDst, Tensor weights, Tensor diffSrc) {
      flops += deconv(p, diffSrc.shape(), weights.shape());
      super.deconvolutionBackwardData(p, diffDst, weights, diffSrc);
    }

    @Override
    public void deconvolutionBackwardWeights(DeconvParams p, Tensor src, Tensor diffDst, Tensor diffWeights,
        Tensor diffBias) {
      flops += deconv(p, src.shape(), diffWeights.shape());
      super.deconvolutionBackwardWeights(p, src, diffDst, diffWeights, diffBias);
    }

    @Override
    public void innerProductForward(Tensor src, Tensor weights, Tensor bias, Tensor dst) {
      flops += 2.0 * dst.size() * weights.shape().dim(1);
      super.innerProductForward(src, weights, bias, dst);
    }

    @Override
    public void innerProductBackwardData(Tensor diffDst, Tensor weights, Tensor diffSrc) {
      flops += 2.0 * diffDst.size() * weights.shape().dim(1);
      super.innerProductBackwardData(diffDst, weights, diffSrc);
    }

    @Override
    public void innerProductBackwardWeights(Tensor src, Tensor diffDst, Tensor diffWeights, Tensor diffBias) {
      flops += 2.0 * diffDst.size() * diffWeights.shape().dim(1);
      super.innerProductBackwardWeights(src, diffDst, diffWeights, diffBias);
    }

    @Override
    public void close() {
      // the wrapped backend belongs to the caller
    }
  }

  /** The input {@code (C, H, W)} and classes a zoo model is benchmarked with. */
  static Shape inputOf(String model) {
    return Zoo.designInput(model);
  }

  static int classesOf(String model) {
    return Zoo.designClasses(model);
  }

  public static void main(String[] args) throws Exception {
    int threads = Runtime.getRuntime().availableProcessors();
    int reps = 5;
    String runs = "lenet:64,resnet50:32";
    int memoryBatch = 0;
    String models = String.join(",", Zoo.names());
    boolean layered = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        case "--run" -> runs = args[++i];
        case "--memory" -> memoryBatch = Integer.parseInt(args[++i]);
        case "--models" -> models = args[++i];
        case "--layered" -> layered = true;
        default -> throw new IllegalArgumentException("usage: [--threads T] [--reps R] [--run lenet:64,resnet50:32]"
            + " [--layered] [--memory BATCH [--models a,b]]");
      }
    }
    System.out.println("cpu: " + ConvolutionBenchmark.cpuModel() + ", " + Runtime.getRuntime().availableProcessors()
        + " CPUs, " + threads + " OpenMP threads; oneDNN " + OneDnnBackend.nativeVersion());
    if (memoryBatch > 0) {
      memory(threads, memoryBatch, models.split(","));
      return;
    }
    // a backend sets this thread's OpenMP thread count; without one first, the peak measured
    // before the models ran with OpenMP's default (every CPU), which read 345 GFLOP/s on 2 cores
    new OneDnnBackend(threads).close();
    ConvolutionBenchmark.Raw.init();
    double peakBefore = ConvolutionBenchmark.peak(5);
    List<String> rows = new ArrayList<>();
    for (String run : runs.split(",")) {
      String model = run.split(":")[0];
      int batch = Integer.parseInt(run.split(":")[1]);
      rows.add(train(model, batch, threads, reps, peakBefore, true));
      if (layered) {
        rows.add(train(model, batch, threads, reps, peakBefore, false));
      }
    }
    double peakAfter = ConvolutionBenchmark.peak(5);
    double peak = Math.max(peakBefore, peakAfter);
    System.out.printf(Locale.ROOT, "peak: %.1f GFLOP/s (%d threads; before %.1f, after %.1f)%n%n", peak / 1e9,
        threads, peakBefore / 1e9, peakAfter / 1e9);
    System.out.println("| model | batch | input | step GFLOP | step s (median) | min..max s | images/s | GFLOP/s"
        + " | % of peak | native peak MiB |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    for (String r : rows) {
      String[] f = r.split(";");
      double stepFlops = Double.parseDouble(f[3]);
      double median = Double.parseDouble(f[4]);
      System.out.printf(Locale.ROOT, "| %s | %s | %s | %.1f | %.3f | %s | %.1f | %.1f | %.1f | %.1f |%n", f[0], f[1],
          f[2], stepFlops / 1e9, median, f[5], Integer.parseInt(f[1]) / median, stepFlops / median / 1e9,
          100 * stepFlops / median / peak, Double.parseDouble(f[6]));
    }
    ConvolutionBenchmark.Raw.shutdown();
  }

  /** Warm-up (planning), one counted step, then {@code reps} timed steps; a ';'-separated row. */
  static String train(String model, int batch, int threads, int reps, double peak, boolean compiled) {
    StepTrainer t = new StepTrainer(model, batch);
    try (OneDnnBackend backend = new OneDnnBackend(threads, compiled)) {
      long p0 = System.nanoTime();
      double loss0 = t.step(backend);
      double planS = (System.nanoTime() - p0) / 1e9;
      FlopCounter counter = new FlopCounter(nothing());
      new StepTrainer(model, batch).step(counter);
      double[] s = new double[reps];
      double loss = 0;
      for (int i = 0; i < reps; i++) {
        long t0 = System.nanoTime();
        loss = t.step(backend);
        s[i] = (System.nanoTime() - t0) / 1e9;
        System.err.printf(Locale.ROOT, "%s batch %d step %d: %.3f s, loss %.4f%n", model, batch, i + 1, s[i], loss);
      }
      double outS = t.roundEnd();
      double median = ConvolutionBenchmark.median(s.clone());
      System.err.printf(Locale.ROOT, "%s batch %d: end of round (state copied out of the session) %.3f s%n", model,
          batch, outS);
      System.err.printf(Locale.ROOT, "%s batch %d (%s): first step (planning) %.1f s, loss %.4f -> %.4f, %d compiled"
          + " steps, %d op plans, %.1f%% of the first peak%n", model, batch, compiled ? "compiled" : "layer by layer",
          planS, loss0, loss, backend.compiledStepCount(), backend.planCount(), 100 * counter.flops / median / peak);
      double min = Arrays.stream(s).min().orElse(0);
      double max = Arrays.stream(s).max().orElse(0);
      return String.format(Locale.ROOT, "%s;%d;%s;%.6e;%.6f;%.3f..%.3f;%.3f", model + (compiled ? "" : " (layer by layer)"),
          batch, inputOf(model), counter.flops,
          median, min, max, backend.peakNativeBytes() / (1024.0 * 1024.0));
    }
  }

  /**
   * A backend whose ops compute nothing and return zeros: what the FLOP counter wraps, since a
   * count needs only the shapes of the calls.
   */
  static Backend nothing() {
    return (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(),
        new Class<?>[] {Backend.class}, (proxy, method, args) -> {
          Class<?> r = method.getReturnType();
          if (method.getName().equals("name")) {
            return "nothing";
          }
          if (r == double.class) {
            return 0.0;
          }
          if (r == boolean.class) {
            return false;
          }
          if (r == int.class) {
            return 0;
          }
          if (r == long.class) {
            return 0L;
          }
          return null;
        });
  }

  /** One training step of each model at {@code batch}: the backend's native-memory high-water mark. */
  static void memory(int threads, int batch, String[] models) {
    System.out.println("| model | input | batch | parameters | native peak MiB | native after step MiB | plans |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (String model : models) {
      StepTrainer t = new StepTrainer(model, batch);
      try (OneDnnBackend backend = new OneDnnBackend(threads)) {
        t.step(backend);
        t.roundEnd();
        System.out.printf(Locale.ROOT, "| %s | %s | %d | %,d | %.1f | %.1f | %d |%n", model, inputOf(model), batch,
            t.params.length, backend.peakNativeBytes() / (1024.0 * 1024.0), backend.nativeBytes() / (1024.0 * 1024.0),
            backend.planCount());
        System.out.flush();
      }
    }
  }
}
