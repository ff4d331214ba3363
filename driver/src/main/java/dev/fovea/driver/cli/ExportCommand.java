package dev.fovea.driver.cli;

import dev.fovea.driver.Choices;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.dl4j.Dl4jExport;
import dev.fovea.nn.onnx.OnnxExport;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fovea export}: a saved model in another format, in this JVM. The file appears whole or
 * not at all: it is written beside its destination and moved into place, after every layer has
 * been translated.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Write a saved model (.fovea, .onnx or a DL4J .zip) as ONNX (opset " + OnnxExport.OPSET + ", for ONNX"
        + " Runtime and other runtimes), as a Deeplearning4j model zip (for ModelSerializer) or as a .fovea file."
        + " See docs/interop.md and docs/dl4j.md.")
final class ExportCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", paramLabel = "FILE", required = true, description = "a model.fovea, model.onnx or DL4J model.zip file")
  String model;

  @Option(names = "--format", description = "onnx, dl4j or fovea (default: ${DEFAULT-VALUE})")
  String format = "onnx";

  @Option(names = "--out", paramLabel = "FILE", required = true, description = "the file to write")
  Path out;

  @Override
  public Integer call() throws Exception {
    Choices.ExportFormat f = Choices.parse(Choices.ExportFormat.class, "--format", format.toLowerCase(Locale.ROOT));
    ModelFile.Model m = PredictCommand.load(model);
    Path dir = out.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--out " + out + ": no such directory " + dir);
    }
    byte[] bytes;
    if (f == Choices.ExportFormat.ONNX) {
      bytes = OnnxExport.toProto(m).toByteArray(); // refuses an untranslatable layer before anything is written
    } else if (f == Choices.ExportFormat.DL4J) {
      bytes = Dl4jExport.toZip(m); // likewise
    } else {
      java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
      ModelFile.write(m, b);
      bytes = b.toByteArray();
    }
    Path tmp = Files.createTempFile(dir, "." + out.getFileName(), ".part");
    try {
      try (OutputStream o = Files.newOutputStream(tmp)) {
        o.write(bytes);
      }
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    spec.commandLine().getOut().printf("fovea: wrote %s (%s, %,d bytes, %,d parameters, %d classes)%n", out, f.label(),
        bytes.length, m.params().length, m.classNames().size());
    return 0;
  }
}
