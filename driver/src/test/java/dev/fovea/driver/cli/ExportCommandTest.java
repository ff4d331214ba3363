package dev.fovea.driver.cli;

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
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fovea export} writes ONNX that reads back as the same model, {@code summary} and
 * {@code predict} take the {@code .onnx} file as they take a {@code .fovea} one (predicting the same
 * classes and probabilities), and a layer without an ONNX form, a truncated file or an unknown
 * format is one line on stderr, exit 2, nothing written.
 */
class ExportCommandTest {
  static final Shape INPUT = Shape.of(1, 28, 28);

  record Run(int code, String out, String err) {}

  static Run fovea(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  static Path write(Path file, ModelFile.Model m) throws Exception {
    try (OutputStream o = Files.newOutputStream(file)) {
      ModelFile.write(m, o);
    }
    return file;
  }

  @Test
  void exportsSummarisesPredictsAndReadsBack(@TempDir Path tmp) throws Exception {
    List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    Network net = Zoo.lenetBn(INPUT, 10);
    float[] buffers = net.bufferLayout().initialize(0);
    for (int i = 0; i < buffers.length; i++) {
      buffers[i] += 0.01f * (i % 7);
    }
    ModelFile.Model m = new ModelFile.Model(net, "lenet_bn", names, net.layout().initialize(3), buffers, null,
        Map.of("normalization_mean", "0.3", "normalization_std", "0.25"));
    Path fovea = write(tmp.resolve("model.fovea"), m);
    Path onnx = tmp.resolve("model.onnx");
    Run r = fovea("export", "--model", fovea.toString(), "--format", "onnx", "--out", onnx.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("fovea: wrote " + onnx + " (onnx, "), r.out());
    ModelFile.Model back = OnnxImport.read(onnx);
    assertArrayEquals(m.params(), back.params());
    assertArrayEquals(m.buffers(), back.buffers());
    assertEquals(names, back.classNames());

    Run s = fovea("summary", "--model", onnx.toString());
    assertEquals(0, s.code(), s.err());
    assertTrue(s.out().contains(String.format("trainable parameters: %,d", net.layout().size())), s.out());

    // and back to .fovea, bitwise
    Path again = tmp.resolve("again.fovea");
    assertEquals(0, fovea("export", "--model", onnx.toString(), "--format", "fovea", "--out", again.toString()).code());
    ModelFile.Model twice;
    try (var in = Files.newInputStream(again)) {
      twice = ModelFile.read(in, again.toString());
    }
    assertArrayEquals(m.params(), twice.params());
    assertArrayEquals(m.buffers(), twice.buffers());

    Path img = PredictCommandTest.png(tmp, "x.png", PredictCommandTest.grey(28, 28, 1, 2));
    Run p1 = fovea("predict", "--model", fovea.toString(), "--backend", "reference", img.toString());
    Run p2 = fovea("predict", "--model", onnx.toString(), "--backend", "reference", img.toString());
    assertEquals(0, p2.code(), p2.err());
    assertEquals(p1.out(), p2.out());
  }

  @Test
  void badInputIsOneLineAndWritesNothing(@TempDir Path tmp) throws Exception {
    Network net = Network.sequential(Shape.of(4), List.of(new Flatten("f"),
        new ActivationLayer("squash", Activation.of(Activation.Kind.SQNL)), new Dense("logits", 2, Initializer.ZEROS)));
    Path fovea = write(tmp.resolve("sqnl.fovea"), new ModelFile.Model(net, null, List.of("x", "y"),
        new float[net.layout().size()], new float[0], null, Map.of()));
    Path out = tmp.resolve("sqnl.onnx");
    Run r = fovea("export", "--model", fovea.toString(), "--out", out.toString());
    assertEquals(2, r.code());
    assertEquals("fovea: error: layer 'squash' (sqnl) cannot be exported to ONNX: activation SQNL has no ONNX operator"
        + " and is not composed from ONNX's\n", r.err());
    assertFalse(Files.exists(out));
    try (var files = Files.list(tmp)) {
      assertEquals(List.of("sqnl.fovea"), files.map(p -> p.getFileName().toString()).toList());
    }

    Network ok = Zoo.lenet(INPUT, 10);
    Path good = write(tmp.resolve("lenet.fovea"), new ModelFile.Model("lenet", INPUT,
        List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), ok.layout().initialize(1), Map.of()));
    Path onnx = tmp.resolve("lenet.onnx");
    assertEquals(0, fovea("export", "--model", good.toString(), "--out", onnx.toString()).code());
    byte[] bytes = Files.readAllBytes(onnx);
    Path cut = tmp.resolve("cut.onnx");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length / 3));
    for (String cmd : new String[] {"summary", "export"}) {
      Run c = cmd.equals("export") ? fovea("export", "--model", cut.toString(), "--out", tmp.resolve("x.onnx").toString())
          : fovea("summary", "--model", cut.toString());
      assertEquals(2, c.code(), cmd);
      assertTrue(c.err().startsWith("fovea: error: " + cut + ": "), c.err());
      assertEquals(1, c.err().lines().count(), c.err());
    }
    assertFalse(Files.exists(tmp.resolve("x.onnx")));
    Run f = fovea("export", "--model", good.toString(), "--format", "tflite", "--out", tmp.resolve("y").toString());
    assertEquals(2, f.code());
    assertEquals("fovea: error: invalid value tflite for --format: must be one of onnx, dl4j, fovea\n", f.err());
  }
}
