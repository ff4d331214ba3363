package dev.fovea.kernels.bench;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.backend.cuda.CudaBackend;
import dev.fovea.kernels.BackendProvider;
import dev.fovea.kernels.Backends;
import java.util.Arrays;
import java.util.Locale;

/**
 * Whole training steps on the cuda backend, for deploy/bin/fovea-gpu-check to print beside
 * PyTorch's figure for the same model, batch and precision (deploy/gpu/torch_step_benchmark.py):
 * forward, backward and an SGD-with-momentum update (lr 0.01, momentum 0.9) of a zoo network on one
 * random batch, through {@link StepTrainer} (the driver's training session on the
 * backend; nothing copied). Prints one line per run:
 *
 * <pre>
 * fovea MODEL batch B: X images/s (median of R steps after W warm-up), peak device memory M MiB
 * </pre>
 *
 * <p>The device memory is this backend's own buffers ({@link CudaBackend#peakDeviceBytes()});
 * cuDNN's and cuBLAS's allocations are not counted. {@code --tf32} allows TF32 tensor cores. {@code
 * --backend NAME} times another backend instead (deploy/bin/fovea-gpu-pack's self-test runs the
 * packed runtime with {@code reference} on a machine without a GPU).
 *
 * <pre>
 * CudaTrainingStepBenchmark [--backend cuda] [--device D] [--reps R] [--warmup W] [--tf32] --run lenet:64,resnet50:64
 * </pre>
 */
public final class CudaTrainingStepBenchmark {
  private CudaTrainingStepBenchmark() {}

  public static void main(String[] args) {
    int device = 0;
    int reps = 10;
    int warmup = 2;
    String runs = "lenet:64";
    String backend = "cuda";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--device" -> device = Integer.parseInt(args[++i]);
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--tf32" -> System.setProperty("fovea.cuda.tf32", "true");
        case "--run" -> runs = args[++i];
        case "--backend" -> backend = args[++i];
        default -> {
          System.err.println("CudaTrainingStepBenchmark: unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    BackendProvider provider;
    try {
      provider = Backends.resolve(backend, true, w -> System.err.println("CudaTrainingStepBenchmark: warning: " + w));
    } catch (IllegalArgumentException e) {
      System.err.println("CudaTrainingStepBenchmark: " + e.getMessage());
      System.exit(1);
      return;
    }
    for (String run : runs.split(",")) {
      String[] mb = run.split(":");
      String model = mb[0];
      int batch = Integer.parseInt(mb[1]);
      try (Backend b = provider.create(1, device)) {
        StepTrainer t = new StepTrainer(model, batch);
        for (int w = 0; w < warmup; w++) {
          t.step(b);
        }
        double[] seconds = new double[reps];
        for (int r = 0; r < reps; r++) {
          long t0 = System.nanoTime();
          t.step(b);
          seconds[r] = (System.nanoTime() - t0) / 1e9;
        }
        t.roundEnd();
        Arrays.sort(seconds);
        double median = seconds[reps / 2];
        double peakMiB = b instanceof CudaBackend c ? c.peakDeviceBytes() / 1048576.0 : 0.0;
        double imagesPerSecond = batch / median;
        String who = provider.name().equals("cuda") ? "fovea" : "fovea-" + provider.name();
        System.out.println(String.format(Locale.ROOT,
            "%s %s batch %d: %.1f images/s (median of %d steps after %d warm-up), peak device memory %.0f MiB",
            who, model, batch, imagesPerSecond, reps, warmup, peakMiB));
      }
    }
  }
}
