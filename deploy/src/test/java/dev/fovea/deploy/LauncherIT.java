package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as users run it: {@code bin/fovea} started as a separate process from a shell's
 * point of view (its own JVM through the launcher, standard output and error captured separately,
 * the exit code checked), for every subcommand's main path and for bad input. Output lost at exit,
 * a broken launcher or a stack trace instead of one line fails here.
 */
class LauncherIT {
  @TempDir static Path tmp;
  static Path data;
  static Path shards;
  static Path out;

  /** What the JVM itself prints when the launcher adds the incubating foreign linker (JDK 17-19). */
  static final String JVM_INCUBATOR_NOTICE = "WARNING: Using incubator modules: jdk.incubator.foreign";

  record Run(int code, String out, String err) {
    /** Standard error's lines, less the JVM's own notice. */
    List<String> errLines() {
      return err.lines().filter(l -> !l.equals(JVM_INCUBATOR_NOTICE)).toList();
    }
  }

  static Run fovea(String... args) throws Exception {
    Path home = Path.of(System.getenv().getOrDefault("FOVEA_HOME", "."));
    List<String> command = new ArrayList<>(List.of("bash", home.resolve("bin/fovea").toString()));
    command.addAll(Arrays.asList(args));
    Path o = Files.createTempFile(tmp, "out", ".txt");
    Path e = Files.createTempFile(tmp, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(o.toFile()).redirectError(e.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("FOVEA_DRIVER_MEMORY", "1g");
    Process p = pb.start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish in 10 min:\n" + Files.readString(e));
    }
    return new Run(p.exitValue(), Files.readString(o), Files.readString(e));
  }

  /** Exit 2 and exactly one line on standard error, starting "fovea: error: " and containing {@code what}. */
  static void assertOneLineError(Run r, String what) {
    assertEquals(2, r.code(), r.out() + r.err());
    assertEquals(1, r.errLines().size(), "one line:\n" + r.err());
    assertTrue(r.errLines().get(0).startsWith("fovea: error: ") && r.errLines().get(0).contains(what), r.err());
    assertEquals("", r.out());
  }

  /** shard, then train on the shards: the outputs every other command uses. */
  @BeforeAll
  static void shardAndTrain() throws Exception {
    Run v = fovea("--version"); // a stale jar is rebuilt here, not in a timed command
    assertEquals(0, v.code(), v.err());
    assertTrue(v.out().startsWith("fovea "), v.out());
    data = FashionMnist.subset(tmp, 600, 200);
    shards = tmp.resolve("shards");
    Run s = fovea("shard", "--data", data.toString(), "--out", shards.toString());
    assertEquals(0, s.code(), s.err());
    assertTrue(s.out().contains("600 samples") && s.out().contains("200 samples"), s.out());
    out = tmp.resolve("out");
    Run t = fovea("train", "--data", "none", "--shards", shards.toString(), "--out", out.toString(), "--epochs", "1",
        "--workers", "2", "--batch", "16", "--backend", "reference", "--progress", "lines");
    assertEquals(0, t.code(), t.err());
    assertTrue(t.out().contains("fovea: test accuracy "), t.out());
    assertTrue(Files.isRegularFile(out.resolve("model.fovea")) && Files.isRegularFile(out.resolve("summary.json")));
  }

  /** The issue's own command: the whole layer table and its totals reach a shell. */
  @Test
  void summaryOfResNet50PrintsTheTableWithItsTotals() throws Exception {
    Run r = fovea("summary", "--model", "resnet50", "--input", "3,224,224", "--classes", "1000");
    assertEquals(0, r.code(), r.err());
    Network net = Zoo.build("resnet50", Shape.of(3, 224, 224), 1000);
    Matcher total = Pattern.compile("(?m)^total parameters: ([0-9,]+)$").matcher(r.out());
    assertTrue(total.find(), "a totals line:\n" + r.out());
    assertEquals((long) net.layout().size() + net.bufferLayout().size(), Long.parseLong(total.group(1)
        .replace(",", "")));
    assertTrue(r.out().contains("trainable parameters: "), r.out());
    for (String layer : List.of("conv1", "fc")) {
      assertTrue(r.out().lines().anyMatch(l -> l.strip().startsWith(layer + " ") || l.contains(" " + layer + " ")),
          "the table names layer " + layer + ":\n" + r.out());
    }
    assertTrue(r.out().lines().count() > net.layers().size(), "a line per layer: " + r.out().lines().count());
  }

  @Test
  void summaryOfAModelFile() throws Exception {
    Run r = fovea("summary", "--model", out.resolve("model.fovea").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("model file ") && r.out().contains("total parameters: "), r.out());
  }

  /**
   * evaluate reproduces the run's test accuracy, and builds the network the file describes: the
   * same file without a zoo name, or with a zoo name of another architecture, gives the same
   * figures (before, the first crashed and the second rebuilt the named network).
   */
  @Test
  void evaluateUsesTheArchitectureInTheFile() throws Exception {
    Path model = out.resolve("model.fovea");
    double accuracy = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("test_accuracy")
        .asDouble();
    Run r = fovea("evaluate", "--model", model.toString(), "--shards", shards.resolve("test").toString(),
        "--backend", "reference");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith(String.format("fovea: 200 samples · accuracy %.4f", accuracy)), r.out());
    ModelFile.Model m;
    try (InputStream in = Files.newInputStream(model)) {
      m = ModelFile.read(in, model.toString());
    }
    for (String zoo : new String[] {null, "lenet_bn"}) {
      Path other = tmp.resolve("model-" + zoo + ".fovea");
      try (OutputStream o = Files.newOutputStream(other)) {
        ModelFile.write(new ModelFile.Model(m.network(), zoo, m.classNames(), m.params(), m.buffers(), null,
            m.provenance()), o);
      }
      Run e = fovea("evaluate", "--model", other.toString(), "--shards", shards.resolve("test").toString(),
          "--backend", "reference");
      assertEquals(0, e.code(), "zoo name " + zoo + ": " + e.err());
      assertEquals(r.out(), e.out(), "zoo name " + zoo);
    }
  }

  @Test
  void predictPrintsALinePerImage() throws Exception {
    java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(28, 28,
        java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    for (int i = 0; i < 28; i++) {
      img.getRaster().setSample(i, i, 0, 255);
    }
    Path png = tmp.resolve("diagonal.png");
    assertTrue(javax.imageio.ImageIO.write(img, "png", png.toFile()));
    Run r = fovea("predict", "--model", out.resolve("model.fovea").toString(), "--backend", "reference", "--top", "2",
        png.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(1, r.out().lines().count(), r.out());
    assertTrue(r.out().startsWith(png + ": "), r.out());
  }

  @Test
  void benchmarkTimesATinyRun() throws Exception {
    Run r = fovea("benchmark", "--model", "lenet", "--batch", "8", "--steps", "2", "--reps", "1", "--backend",
        "reference");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("fovea: lenet ") && r.out().contains(" images/s "), r.out());
  }

  @Test
  void badInputIsOneLineAndExitTwo() throws Exception {
    assertOneLineError(fovea("train", "--no-such-flag"), "Unknown option: '--no-such-flag'");
    assertOneLineError(fovea("summary", "--model", "resnet50", "--input", "3,224"), "must be C,H,W");
    assertOneLineError(fovea("evaluate", "--model", tmp.resolve("none.fovea").toString(), "--shards",
        shards.resolve("test").toString()), "none.fovea");
    Path conf = Files.writeString(tmp.resolve("bad.properties"), "workers=0\n");
    assertOneLineError(fovea("train", "--out", tmp.resolve("x").toString(), "--config=" + conf),
        "invalid value 0 for --workers");
  }

  /** A damaged label byte and an empty set, through fovea shard: one line each, nothing written. */
  @Test
  void badDatasetsAreOneLine() throws Exception {
    Path digits = FashionMnist.tinySet(tmp.resolve("digits"), new byte[] {0, 1, 2, 3, (byte) 200, 5}, 1);
    Run r = fovea("shard", "--data", digits.toString(), "--out", tmp.resolve("digit-shards").toString());
    assertOneLineError(r, "train-labels-idx1-ubyte.gz: row 4 (byte 12): label 200 is out of range");
    assertTrue(!Files.exists(tmp.resolve("digit-shards/train/manifest.json")), "no manifest");

    Path empty = FashionMnist.tinySet(tmp.resolve("empty"), new byte[0], 0);
    r = fovea("shard", "--data", empty.toString(), "--out", tmp.resolve("empty-shards").toString());
    assertOneLineError(r, "no images to shard");
    assertTrue(!Files.exists(tmp.resolve("empty-shards/train/manifest.json")), "no manifest");
  }
}
