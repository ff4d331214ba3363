package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ActivationLayer;
import dev.fovea.nn.Dense;
import dev.fovea.nn.Flatten;
import dev.fovea.nn.Initializer;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import dev.fovea.nn.onnx.OnnxImport;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX through the launcher, as a user runs it: {@code bin/fovea export} from the application jar
 * (whose protobuf is relocated away from the one in Spark's jars on the same class path) writes a
 * file that reads back bitwise, {@code bin/fovea summary} reads it, and a truncated file or a layer
 * without an ONNX form is one line on stderr with exit status 2 and nothing written.
 */
class OnnxLauncherIT {
  record Result(int code, String out, String err) {}

  static Result fovea(Path tmp, String... args) throws Exception {
    Path home = Path.of(System.getenv().getOrDefault("FOVEA_HOME", "."));
    List<String> c = new ArrayList<>(List.of("bash", home.resolve("bin/fovea").toString()));
    c.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, "out", ".log");
    Path err = Files.createTempFile(tmp, "err", ".log");
    Process p = new ProcessBuilder(c).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), c + " did not finish");
    // the JDK's note about incubator modules is not Fovea's output
    String e = Files.readString(err).lines().filter(l -> !l.startsWith("WARNING: Using incubator modules"))
        .map(l -> l + "\n").reduce("", String::concat);
    return new Result(p.exitValue(), Files.readString(out), e);
  }

  static void write(Path file, ModelFile.Model m) throws Exception {
    try (OutputStream o = Files.newOutputStream(file)) {
      ModelFile.write(m, o);
    }
  }

  @Test
  void exportSummaryAndBadInputThroughTheLauncher(@TempDir Path tmp) throws Exception {
    Shape input = Shape.of(1, 28, 28);
    Network net = Zoo.lenetBn(input, 10);
    ModelFile.Model m = new ModelFile.Model(net, "lenet_bn", List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
        net.layout().initialize(4), net.bufferLayout().initialize(0), null, Map.of());
    Path fovea = tmp.resolve("model.fovea");
    write(fovea, m);
    Path onnx = tmp.resolve("model.onnx");
    Result r = fovea(tmp, "export", "--model", fovea.toString(), "--format", "onnx", "--out", onnx.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("fovea: wrote " + onnx), r.out());
    ModelFile.Model back = OnnxImport.read(onnx);
    assertArrayEquals(m.params(), back.params());
    assertArrayEquals(m.buffers(), back.buffers());

    Result s = fovea(tmp, "summary", "--model", onnx.toString());
    assertEquals(0, s.code(), s.err());
    assertTrue(s.out().contains(String.format("trainable parameters: %,d", net.layout().size())), s.out());

    byte[] bytes = Files.readAllBytes(onnx);
    Path cut = tmp.resolve("cut.onnx");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
    Result c = fovea(tmp, "summary", "--model", cut.toString());
    assertEquals(2, c.code());
    assertEquals(1, c.err().lines().count(), c.err());
    assertTrue(c.err().startsWith("fovea: error: " + cut + ": not a readable ONNX model"), c.err());

    Network sqnl = Network.sequential(Shape.of(4), List.of(new Flatten("f"),
        new ActivationLayer("squash", Activation.of(Activation.Kind.SQNL)), new Dense("logits", 2, Initializer.ZEROS)));
    Path bad = tmp.resolve("sqnl.fovea");
    write(bad, new ModelFile.Model(sqnl, null, List.of("x", "y"), new float[sqnl.layout().size()], new float[0], null,
        Map.of()));
    Path none = tmp.resolve("sqnl.onnx");
    Result u = fovea(tmp, "export", "--model", bad.toString(), "--out", none.toString());
    assertEquals(2, u.code());
    assertEquals("fovea: error: layer 'squash' (sqnl) cannot be exported to ONNX: activation SQNL has no ONNX operator"
        + " and is not composed from ONNX's\n", u.err());
    assertFalse(Files.exists(none));
  }
}
