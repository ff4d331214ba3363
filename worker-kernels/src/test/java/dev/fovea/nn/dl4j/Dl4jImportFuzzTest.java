package dev.fovea.nn.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.ModelFile.ModelFileException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Timeout;

/**
 * Any bytes given to {@link Dl4jImport#read(byte[], String)} either load or fail with a {@link
 * ModelFileException} whose message is one line naming the file: never another exception, an {@code
 * OutOfMemoryError} or a hang (10 s per input). Each input is read twice: as a zip, and split at its
 * first zero byte into configuration.json and coefficients.bin zipped whole, so that mutations reach
 * the JSON translation and ND4J's array format behind the zip's checksums. Seeds and findings:
 * {@code src/test/resources/dev/fovea/nn/dl4j/Dl4jImportFuzzTestInputs/dl4jZip} (seeds written by
 * {@link #main}).
 */
class Dl4jImportFuzzTest {

  @FuzzTest(maxDuration = "30s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void dl4jZip(byte[] data) throws IOException {
    read(data);
    read(split(data));
  }

  private static void read(byte[] data) {
    try {
      ModelFile.Model m = Dl4jImport.read(data, "fuzz.zip");
      assertEquals(m.network().layout().size(), m.params().length);
    } catch (ModelFileException e) {
      assertTrue(e.getMessage().startsWith("fuzz.zip: "), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }

  /** A zip of configuration.json (the bytes before the first zero) and coefficients.bin (the bytes after it). */
  static byte[] split(byte[] data) throws IOException {
    int z = 0;
    while (z < data.length && data[z] != 0) {
      z++;
    }
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(b)) {
      zip.putNextEntry(new ZipEntry("configuration.json"));
      zip.write(data, 0, z);
      zip.closeEntry();
      zip.putNextEntry(new ZipEntry("coefficients.bin"));
      zip.write(Arrays.copyOfRange(data, Math.min(z + 1, data.length), data.length));
      zip.closeEntry();
    }
    return b.toByteArray();
  }

  /**
   * Writes the seeds into {@code args[0]} (the module's src/test/resources): a small model's zip (a
   * LeNet-like chain at 8×8), its split form, a graph's split form, and a truncated zip.
   */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0], "dev/fovea/nn/dl4j/Dl4jImportFuzzTestInputs/dl4jZip");
    Files.createDirectories(dir);
    dev.fovea.nn.Network chain = dev.fovea.nn.NetworkJson.parse("""
        {"input_shape": [1, 8, 8], "layers": [
          {"type": "convolution", "name": "c", "filters": 2, "kernel": [3, 3]},
          {"type": "batch_norm", "name": "bn"},
          {"type": "activation", "name": "r", "function": "relu"},
          {"type": "pooling", "name": "p", "kind": "max", "kernel": [2, 2], "stride": [2, 2]},
          {"type": "flatten", "name": "f"},
          {"type": "dense", "name": "fc", "units": 3}]}
        """, "seed");
    dev.fovea.nn.Network graph = dev.fovea.nn.NetworkJson.parse("""
        {"input_shape": [2, 6, 6], "layers": [
          {"type": "convolution", "name": "a", "filters": 2, "kernel": [3, 3], "padding": [1, 1]},
          {"type": "add", "name": "sum", "inputs": ["a", "input"]},
          {"type": "global_pooling", "name": "g", "kind": "avg"},
          {"type": "dense", "name": "fc", "units": 2}]}
        """, "seed");
    for (Object[] s : List.of(new Object[] {"chain", chain}, new Object[] {"graph", graph})) {
      dev.fovea.nn.Network net = (dev.fovea.nn.Network) s[1];
      List<String> classes = net.numClasses() == 3 ? List.of("a", "b", "c") : List.of("a", "b");
      byte[] zip = Dl4jExport.toZip(new ModelFile.Model(net, null, classes, net.layout().initialize(1),
          net.bufferLayout().initialize(1), null, Map.of()));
      Map<String, byte[]> e = Dl4jImportTest.unzip(zip);
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      b.write(e.get("configuration.json"));
      b.write(0);
      b.write(e.get("coefficients.bin"));
      Files.write(dir.resolve(s[0] + "-split"), b.toByteArray());
      if (s[0].equals("chain")) {
        Files.write(dir.resolve("chain-zip"), zip);
        Files.write(dir.resolve("truncated"), Arrays.copyOf(zip, zip.length * 2 / 3));
      }
    }
  }
}
