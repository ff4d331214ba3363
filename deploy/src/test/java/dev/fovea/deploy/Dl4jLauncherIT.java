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
import dev.fovea.nn.dl4j.Dl4jImport;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deeplearning4j zips through the launcher, as a user runs it: {@code bin/fovea export --format
 * dl4j} writes a zip that reads back bitwise, {@code summary} and {@code predict} take it as they
 * take the {@code .fovea} file (the same classes and probabilities), and a truncated zip, corrupt
 * coefficients, a layer Fovea lacks, a dense layer whose input does not fit, and a Fovea layer DL4J
 * lacks are each one line on stderr naming the file and the problem, exit status 2, nothing written.
 */
class Dl4jLauncherIT {
  static OnnxLauncherIT.Result fovea(Path tmp, String... args) throws Exception {
    return OnnxLauncherIT.fovea(tmp, args);
  }

  static Map<String, byte[]> unzip(byte[] zip) throws Exception {
    Map<String, byte[]> m = new LinkedHashMap<>();
    try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
        m.put(e.getName(), z.readAllBytes());
      }
    }
    return m;
  }

  static Path zip(Path file, Map<String, byte[]> entries) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue());
        z.closeEntry();
      }
    }
    return Files.write(file, b.toByteArray());
  }

  /** Exit 2, one line on stderr starting with {@code prefix}, nothing on stdout. */
  static void refused(OnnxLauncherIT.Result r, String prefix) {
    assertEquals(2, r.code(), r.out() + r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith(prefix), r.err());
  }

  @Test
  void exportSummaryPredictAndBadInputThroughTheLauncher(@TempDir Path tmp) throws Exception {
    Shape input = Shape.of(1, 28, 28);
    Network net = Zoo.lenetBn(input, 10);
    float[] buffers = net.bufferLayout().initialize(0);
    for (int i = 0; i < buffers.length; i++) {
      buffers[i] += 0.01f * (i % 5);
    }
    List<String> names = List.of("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
        "boot");
    ModelFile.Model m = new ModelFile.Model(net, "lenet_bn", names, net.layout().initialize(4), buffers, null,
        Map.of("normalization_mean", "0.3", "normalization_std", "0.25"));
    Path fovea = tmp.resolve("model.fovea");
    OnnxLauncherIT.write(fovea, m);
    Path zip = tmp.resolve("model.zip");
    OnnxLauncherIT.Result r = fovea(tmp, "export", "--model", fovea.toString(), "--format", "dl4j", "--out",
        zip.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("fovea: wrote " + zip + " (dl4j, "), r.out());
    ModelFile.Model back = Dl4jImport.read(zip);
    assertArrayEquals(m.params(), back.params());
    assertArrayEquals(m.buffers(), back.buffers());
    assertEquals(names, back.classNames());

    OnnxLauncherIT.Result s = fovea(tmp, "summary", "--model", zip.toString());
    assertEquals(0, s.code(), s.err());
    assertTrue(s.out().contains(String.format("trainable parameters: %,d", net.layout().size())), s.out());
    assertTrue(s.out().contains("dl4j_configuration: MultiLayerNetwork"), s.out());

    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        img.getRaster().setSample(x, y, 0, (x * 7 + y * 3) % 256);
      }
    }
    Path png = tmp.resolve("x.png");
    ImageIO.write(img, "png", png.toFile());
    OnnxLauncherIT.Result p1 = fovea(tmp, "predict", "--model", fovea.toString(), "--backend", "reference",
        png.toString());
    OnnxLauncherIT.Result p2 = fovea(tmp, "predict", "--model", zip.toString(), "--backend", "reference",
        png.toString());
    assertEquals(0, p2.code(), p2.err());
    assertEquals(p1.out(), p2.out());

    byte[] bytes = Files.readAllBytes(zip);
    Path cut = Files.write(tmp.resolve("cut.zip"), Arrays.copyOf(bytes, bytes.length / 2));
    refused(fovea(tmp, "summary", "--model", cut.toString()), "fovea: error: " + cut + ": not a zip file");
    refused(fovea(tmp, "predict", "--model", cut.toString(), png.toString()), "fovea: error: " + cut + ": ");
    Path none = tmp.resolve("none.onnx");
    refused(fovea(tmp, "export", "--model", cut.toString(), "--out", none.toString()), "fovea: error: " + cut + ": ");
    assertFalse(Files.exists(none));

    Map<String, byte[]> e = unzip(bytes);
    byte[] c = e.get("coefficients.bin");
    e.put("coefficients.bin", Arrays.copyOf(c, c.length - 1000));
    Path corrupt = zip(tmp.resolve("corrupt.zip"), e);
    refused(fovea(tmp, "summary", "--model", corrupt.toString()), "fovea: error: " + corrupt
        + ": coefficients.bin: value count");
    e.put("coefficients.bin", c);

    String conf = new String(e.get("configuration.json"), StandardCharsets.UTF_8);
    e.put("configuration.json", conf.replaceFirst("org\\.deeplearning4j\\.nn\\.conf\\.layers\\.BatchNormalization",
        "org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn").getBytes(StandardCharsets.UTF_8));
    Path rnn = zip(tmp.resolve("rnn.zip"), e);
    OnnxLauncherIT.Result u = fovea(tmp, "summary", "--model", rnn.toString());
    assertEquals("fovea: error: " + rnn + ": layer 'bn1' (SimpleRnn) is not supported: Fovea has no layer for it\n",
        u.err());
    assertEquals(2, u.code());

    e.put("configuration.json", conf.replace("\"nin\" : 800", "\"nin\" : 784").getBytes(StandardCharsets.UTF_8));
    Path shape = zip(tmp.resolve("shape.zip"), e);
    OnnxLauncherIT.Result f = fovea(tmp, "evaluate", "--model", shape.toString(), "--shards", tmp.toString());
    assertEquals("fovea: error: " + shape + ": layer 'fc1' (DenseLayer) does not fit: it takes 784 inputs, the layers"
        + " before give (800)\n", f.err());
    assertEquals(2, f.code());

    Network sqnl = Network.sequential(Shape.of(4), List.of(new Flatten("f"),
        new ActivationLayer("squash", Activation.of(Activation.Kind.SQNL)), new Dense("logits", 2, Initializer.ZEROS)));
    Path bad = tmp.resolve("sqnl.fovea");
    OnnxLauncherIT.write(bad, new ModelFile.Model(sqnl, null, List.of("x", "y"), new float[sqnl.layout().size()],
        new float[0], null, Map.of()));
    Path out = tmp.resolve("sqnl.zip");
    OnnxLauncherIT.Result x = fovea(tmp, "export", "--model", bad.toString(), "--format", "dl4j", "--out",
        out.toString());
    assertEquals("fovea: error: layer 'squash' (sqnl) cannot be exported to DL4J: activation SQNL has no DL4J"
        + " equivalent computing the same values\n", x.err());
    assertEquals(2, x.code());
    assertFalse(Files.exists(out));
    try (var files = Files.list(tmp)) {
      assertTrue(files.noneMatch(q -> q.getFileName().toString().endsWith(".part")), "no half-written file");
    }
  }
}
