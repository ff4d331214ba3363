package dev.fovea.kernels.bench;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.kernels.conformance.ConvolutionShapes;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Throughput of the reference convolution (forward, backward-data, backward-weights) on the layers
 * of {@link ConvolutionShapes}, in GFLOP/s (2 · multiply-adds per second, FLOAT32 tensors). A main
 * class, not a test: see worker-kernels/BENCHMARKS.md for the command. Runs the shipped backend
 * class; nothing here is a copy of a kernel.
 *
 * <p>Arguments: {@code [batch] [repetitions]}, default batch 1 and 2 timed repetitions after one
 * warm-up; each figure is the best repetition.
 */
public final class ReferenceConvolutionBenchmark {
  private ReferenceConvolutionBenchmark() {}

  private interface Pass {
    void run();
  }

  private static Tensor random(Shape shape, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] d = new float[shape.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) rng.nextDouble(-1, 1);
    }
    return Tensor.wrap(d, shape);
  }

  private static double best(Pass pass, int reps) {
    pass.run();
    double best = Double.MAX_VALUE;
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      pass.run();
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return best;
  }

  public static void main(String[] args) {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    int reps = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    System.out.printf(Locale.ROOT, "reference convolution, batch %d, best of %d (FLOAT32 tensors, computed in double)%n",
        batch, reps);
    System.out.printf(Locale.ROOT, "%-32s %-18s %8s %9s %9s %9s%n", "layer", "src", "GFLOP", "fwd", "bwd-data",
        "bwd-wts");
    try (Backend b = new ReferenceBackend()) {
      for (ConvolutionShapes s : ConvolutionShapes.all()) {
        ConvParams p = s.params();
        Tensor src = random(s.src(batch), 1);
        Tensor w = random(s.weights(), 2);
        Tensor bias = random(Shape.of(s.filters()), 3);
        Shape out = p.outputShape(src.shape(), w.shape());
        Tensor dst = Tensor.zeros(out);
        Tensor dy = random(out, 4);
        Tensor dx = Tensor.zeros(src.shape());
        Tensor dw = Tensor.zeros(w.shape());
        Tensor db = Tensor.zeros(bias.shape());
        double gflop = s.flops(batch) / 1e9;
        double fwd = best(() -> b.convolutionForward(p, src, w, bias, dst), reps);
        double bwdData = best(() -> b.convolutionBackwardData(p, dy, w, dx), reps);
        double bwdWeights = best(() -> b.convolutionBackwardWeights(p, src, dy, dw, db), reps);
        System.out.printf(Locale.ROOT, "%-32s %-18s %8.3f %9.2f %9.2f %9.2f%n", s.name(), src.shape(), gflop,
            gflop / fwd, gflop / bwdData, gflop / bwdWeights);
      }
    }
    System.out.println("columns fwd, bwd-data, bwd-wts: GFLOP/s");
  }
}
