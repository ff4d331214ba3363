package dev.fovea.driver.cli;

import dev.fovea.kernels.Shape;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fovea summary}: the layer table of a zoo model or a saved model. */
@Command(name = "summary", mixinStandardHelpOptions = true,
    description = "Print the layers, output shapes and parameter counts of a zoo model or a model file.")
final class SummaryCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "NAME|FILE", description = "a zoo name, a model.fovea "
      + "model.onnx or DL4J model.zip file, or a network file (.json, .yaml, .yml)")
  String model;

  @Option(names = "--input", paramLabel = "C,H,W", split = ",", description = "input shape for a zoo model "
      + "(default: 1,28,28)")
  int[] input = {1, 28, 28};

  @Option(names = "--classes", description = "classes for a zoo model (default: ${DEFAULT-VALUE})")
  int classes = 10;

  @Override
  public Integer call() throws Exception {
    var out = spec.commandLine().getOut();
    Network net;
    String lower = model.toLowerCase(java.util.Locale.ROOT);
    if (lower.endsWith(".json") || lower.endsWith(".yaml") || lower.endsWith(".yml")) {
      // a network file: its own input shape and outputs
      net = dev.fovea.driver.ModelSpec.resolve(model, new org.apache.hadoop.conf.Configuration())
          .build(null, 0, true);
      out.println("network file " + model + ": input " + net.inputShape() + ", " + net.numClasses() + " outputs");
    } else if (Files.isRegularFile(Path.of(model))) {
      ModelFile.Model m = PredictCommand.load(model);
      net = m.network();
      out.println("model file " + model + ": " + m.zoo() + ", classes " + m.classNames());
      m.provenance().forEach((k, v) -> out.println("  " + k + ": " + v));
    } else {
      if (input.length != 3) {
        throw new IllegalArgumentException("invalid value " + Arrays.toString(input) + " for --input: must be C,H,W");
      }
      net = Zoo.build(model, Shape.of(input), classes);
    }
    out.print(net.summary());
    return 0;
  }
}
