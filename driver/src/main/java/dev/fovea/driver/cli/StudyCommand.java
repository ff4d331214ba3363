package dev.fovea.driver.cli;

import dev.fovea.driver.SparkSessions;
import dev.fovea.driver.TrainConfig;
import dev.fovea.driver.study.SuperResolutionStudy;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fovea study}: studies that train several networks and compare them. */
@Command(name = "study", mixinStandardHelpOptions = true, subcommands = StudyCommand.SuperRes.class,
    description = "Train several networks on local Spark and compare them (superres: upsampling decoders).")
final class StudyCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a study: superres");
  }

  /** {@code fovea study superres}: the lecture's checkerboard artefacts (docs/superres.md). */
  @Command(name = "superres", mixinStandardHelpOptions = true,
      description = {"Super-resolution: inputs area-reduced to --input-size, the images as targets; every decoder",
          "network file in --decoders trained with MSE; test PSNR, checkerboard measures and an image grid",
          "in <out>/superres.md, superres.json and superres-grid.png (docs/superres.md)."})
  static final class SuperRes implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", description = "MNIST-layout IDX files (default: ${DEFAULT-VALUE})")
    String data = TrainConfig.DEFAULT_DATA;

    @Option(names = "--out", paramLabel = "DIR", description = "the study's folder (default: ${DEFAULT-VALUE})")
    String out = "out/superres";

    @Option(names = "--decoders", paramLabel = "DIR", description = "folder of decoder network files (*.json), "
        + "trained in name order (default: ${DEFAULT-VALUE})")
    String decoders = "docs/examples/superres";

    @Option(names = "--input-size", paramLabel = "PX", description = "the inputs' side (default: ${DEFAULT-VALUE})")
    int inputSize = 14;

    @Option(names = "--limit", paramLabel = "N", description = "samples of each split; 0 = all "
        + "(default: ${DEFAULT-VALUE})")
    int limit = 0;

    @Option(names = "--epochs", description = "epochs per decoder (default: ${DEFAULT-VALUE})")
    int epochs = 1;

    @Option(names = "--workers", description = "parallel workers (default: ${DEFAULT-VALUE})")
    int workers = 2;

    @Option(names = "--batch", description = "minibatch per worker (default: ${DEFAULT-VALUE})")
    int batch = 32;

    @Option(names = "--lr", description = "SGD learning rate (momentum 0.9) (default: ${DEFAULT-VALUE})")
    double lr = 0.02;

    @Option(names = "--seed", description = "seed of shuffles and initialisation (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--backend", description = "auto, reference or onednn (default: ${DEFAULT-VALUE})")
    String backend = "auto";

    @Option(names = "--grid", paramLabel = "N", description = "test images in the grid (default: ${DEFAULT-VALUE})")
    int grid = 8;

    @Option(names = "--master", description = "Spark master URL (default: from spark-submit, else local[N])")
    String master;

    @Override
    public Integer call() {
      if (inputSize < 1 || limit < 0 || epochs < 1 || workers < 1 || batch < 1 || grid < 1 || !(lr > 0)) {
        throw new IllegalArgumentException("study superres: --input-size, --epochs, --workers, --batch, --grid and "
            + "--lr must be positive, --limit 0 or more");
      }
      var o = spec.commandLine().getOut();
      SparkSession spark = SparkSessions.create("fovea study superres", master, workers);
      try {
        SuperResolutionStudy.Result r = SuperResolutionStudy.run(spark, new SuperResolutionStudy.Options(data, out,
            decoders, inputSize, limit, epochs, workers, batch, lr, seed, backend, grid), l -> {
              o.println("fovea: " + l);
              o.flush();
            });
        for (SuperResolutionStudy.Decoder d : r.decoders()) {
          o.printf("fovea: %-20s PSNR %.2f dB · Nyquist share %.5f · flat-block RMS %.3f grey levels%n", d.name(),
              d.psnr(), d.nyquistShare(), d.flatRms());
        }
        o.printf("fovea: %-20s PSNR %.2f dB · Nyquist share %.5f (the targets: %.5f)%n", "nearest enlargement",
            r.nearest().psnr(), r.nearest().nyquistShare(), r.targets().nyquistShare());
        o.printf("fovea: comparison in %s/superres.md, superres.json, superres-grid.png%n", out);
        return 0;
      } finally {
        spark.stop();
      }
    }
  }
}
