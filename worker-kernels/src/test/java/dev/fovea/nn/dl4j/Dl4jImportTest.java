package dev.fovea.nn.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fovea.kernels.Activation;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.nn.ActivationLayer;
import dev.fovea.nn.Add;
import dev.fovea.nn.Convolution;
import dev.fovea.nn.Dense;
import dev.fovea.nn.GlobalPooling;
import dev.fovea.nn.Initializer;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.ModelFile.ModelFileException;
import dev.fovea.nn.Network;
import dev.fovea.nn.ParamLayout;
import dev.fovea.nn.Zoo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Dl4jExport} and {@link Dl4jImport} without DL4J (which checks both in the dl4j-oracle
 * module): a Fovea model written as a DL4J zip reads back with every parameter and buffer bitwise
 * and the same outputs; layers DL4J lacks are refused in one line; damaged, hostile and unsupported
 * zips are one line naming the file, never another exception.
 */
class Dl4jImportTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static ModelFile.Model model(Network net, long seed) {
    float[] p = net.layout().initialize(seed);
    float[] b = net.bufferLayout().initialize(seed);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < b.length; i++) {
      b[i] += (float) (0.5 * r.nextDouble()); // running statistics other than the initial ones
    }
    List<String> classes = new ArrayList<>();
    for (int i = 0; i < net.numClasses(); i++) {
      classes.add("c" + i);
    }
    return new ModelFile.Model(net, null, classes, p, b, null, Map.of("seed", Long.toString(seed)));
  }

  static float[] slice(ModelFile.Model m, String name, boolean buffer) {
    ParamLayout layout = buffer ? m.network().bufferLayout() : m.network().layout();
    for (ParamLayout.Slice s : layout.slices()) {
      if (s.name().equals(name)) {
        float[] v = buffer ? m.buffers() : m.params();
        return Arrays.copyOfRange(v, s.offset(), s.offset() + s.size());
      }
    }
    throw new AssertionError(name + " is missing");
  }

  @ParameterizedTest
  @ValueSource(strings = {"lenet", "lenet_bn", "lenet5", "resnet20", "resnet18", "googlenet"})
  void foveaToDl4jToFoveaKeepsEveryValueBitwise(String name) throws Exception {
    Shape input = name.startsWith("lenet") ? Shape.of(1, 28, 28) : name.equals("resnet20") ? Shape.of(3, 32, 32)
        : Shape.of(3, 64, 64);
    ModelFile.Model m = model(Zoo.build(name, input, 7), name.hashCode());
    ModelFile.Model back = Dl4jImport.read(Dl4jExport.toZip(m), name + ".zip");
    assertEquals(input, back.network().inputShape());
    assertEquals(m.classNames(), back.classNames());
    assertEquals("" + name.hashCode(), back.provenance().get("seed"));
    assertEquals(m.network().layout().size(), back.network().layout().size());
    for (ParamLayout.Slice s : m.network().layout().slices()) {
      assertArrayEquals(slice(m, s.name(), false), slice(back, s.name(), false), s.name());
    }
    for (ParamLayout.Slice s : m.network().bufferLayout().slices()) {
      assertArrayEquals(slice(m, s.name(), true), slice(back, s.name(), true), s.name());
    }
    if (name.startsWith("lenet") || name.equals("resnet20")) {
      Shape batch = input.prepend(2);
      float[] x = new float[batch.size()];
      SplittableRandom r = new SplittableRandom(1);
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextGaussian();
      }
      float[] a = m.network().forward(new ReferenceBackend(), m.params(), m.buffers(), Tensor.wrap(x, batch))
          .toFloatArray();
      float[] b = back.network().forward(new ReferenceBackend(), back.params(), back.buffers(), Tensor.wrap(x, batch))
          .toFloatArray();
      assertArrayEquals(a, b, "the same outputs");
    }
  }

  @Test
  void layersDl4jLacksAreRefusedInOneLine() {
    Network grouped = Network.builder(Shape.of(4, 8, 8))
        .then(new Convolution("dw", 4, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, false, new int[] {1, 1}, 4,
            true, 0, Initializer.HE_NORMAL))
        .then(new GlobalPooling("gap", PoolParams.Kind.AVG)).then(new Dense("fc", 2, Initializer.ZEROS)).build();
    Exception e = assertThrows(Dl4jExport.UnsupportedException.class, () -> Dl4jExport.toZip(model(grouped, 1)));
    assertEquals("layer 'dw' (conv2d) cannot be exported to DL4J: grouped convolution (4 groups)", e.getMessage());

    Network sqnl = Network.sequential(Shape.of(4), List.of(new ActivationLayer("squash",
        Activation.of(Activation.Kind.SQNL)), new Dense("fc", 2, Initializer.ZEROS)));
    e = assertThrows(Dl4jExport.UnsupportedException.class, () -> Dl4jExport.toZip(model(sqnl, 1)));
    assertEquals("layer 'squash' (sqnl) cannot be exported to DL4J: activation SQNL has no DL4J equivalent"
        + " computing the same values", e.getMessage());

    Network weighted = Network.builder(Shape.of(3))
        .add(new Dense("a", 2, Initializer.ZEROS), Network.INPUT).add(new Dense("b", 2, Initializer.ZEROS), Network.INPUT)
        .add(new Add("sum", new double[] {0.5, 2}), "a", "b").then(new Dense("fc", 2, Initializer.ZEROS)).build();
    e = assertThrows(Dl4jExport.UnsupportedException.class, () -> Dl4jExport.toZip(model(weighted, 1)));
    assertTrue(e.getMessage().startsWith("layer 'sum' (add) cannot be exported to DL4J: a weighted add"), e.getMessage());
  }

  // ---- damaged and hostile zips ----

  static Map<String, byte[]> unzip(byte[] zip) throws IOException {
    Map<String, byte[]> m = new LinkedHashMap<>();
    try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
        m.put(e.getName(), z.readAllBytes());
      }
    }
    return m;
  }

  static byte[] zip(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue());
        z.closeEntry();
      }
    }
    return b.toByteArray();
  }

  static String refused(byte[] zip, String name) {
    ModelFileException e = assertThrows(ModelFileException.class, () -> Dl4jImport.read(zip, name));
    assertTrue(e.getMessage().startsWith(name + ": "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    return e.getMessage();
  }

  static byte[] lenetZip() {
    return Dl4jExport.toZip(model(Zoo.build("lenet", Shape.of(1, 28, 28), 10), 5));
  }

  @Test
  void aTruncatedZipIsOneLineAtEveryCut() {
    byte[] zip = lenetZip();
    for (int cut = 0; cut < zip.length; cut += Math.max(1, zip.length / 97)) {
      refused(Arrays.copyOf(zip, cut), "cut.zip");
    }
    assertEquals("cut.zip: not a zip file (no end-of-central-directory record; truncated?)",
        refused(new byte[] {1, 2, 3}, "cut.zip"));
  }

  @Test
  void corruptCoefficientsAreOneLine() throws IOException {
    Map<String, byte[]> e = unzip(lenetZip());
    byte[] c = e.get("coefficients.bin");
    e.put("coefficients.bin", Arrays.copyOf(c, c.length - 40));
    assertEquals("short.zip: coefficients.bin: value count 431080 needs 1724320 bytes but the file holds only 1724280"
        + " more", refused(zip(e), "short.zip"));
    byte[] garbage = c.clone();
    Arrays.fill(garbage, 0, 18, (byte) 0x41);
    e.put("coefficients.bin", garbage);
    assertTrue(refused(zip(e), "garbage.zip").contains("coefficients.bin"), "a corrupt header");
    // a valid array of the wrong length: one value fewer than the layers need
    float[] fewer = new float[431_080 - 1];
    e.put("coefficients.bin", Nd4jArrays.write(new long[] {fewer.length}, fewer));
    assertEquals("fewer.zip: coefficients.bin holds 431079 values, too few for the configuration: layer 'fc2' needs 10"
        + " for its bias from offset 431070", refused(zip(e), "fewer.zip"));
    float[] more = new float[431_080 + 3];
    e.put("coefficients.bin", Nd4jArrays.write(new long[] {more.length}, more));
    assertEquals("more.zip: coefficients.bin holds 431083 values; the configuration's layers need 431080",
        refused(zip(e), "more.zip"));
    // a header claiming 2^31 values in a few bytes allocates nothing
    byte[] huge = Nd4jArrays.write(new long[] {1}, new float[1]);
    java.nio.ByteBuffer.wrap(huge).putLong(huge.length - 4 - 2 - 5 - 8, (long) Integer.MAX_VALUE);
    e.put("coefficients.bin", huge);
    assertTrue(refused(zip(e), "huge.zip").contains("coefficients.bin"), "a 2^31 length");
  }

  @Test
  void anUnsupportedLayerOrAShapeThatDoesNotFitIsOneLine() throws IOException {
    Map<String, byte[]> e = unzip(lenetZip());
    ObjectNode conf = (ObjectNode) JSON.readTree(e.get("configuration.json"));
    ArrayNode confs = (ArrayNode) conf.get("confs");
    ObjectNode fc1 = (ObjectNode) confs.get(4).get("layer");
    fc1.put("@class", "org.deeplearning4j.nn.conf.layers.LSTM");
    e.put("configuration.json", JSON.writeValueAsBytes(conf));
    assertEquals("lstm.zip: layer 'fc1' (LSTM) is not supported: Fovea has no layer for it",
        refused(zip(e), "lstm.zip"));

    fc1.put("@class", "org.deeplearning4j.nn.conf.layers.DenseLayer");
    fc1.put("nin", 801);
    e.put("configuration.json", JSON.writeValueAsBytes(conf));
    assertEquals("nin.zip: layer 'fc1' (DenseLayer) does not fit: it takes 801 inputs, the layers before give (800)",
        refused(zip(e), "nin.zip"));

    fc1.put("nin", 800);
    ObjectNode conv2 = (ObjectNode) confs.get(2).get("layer");
    conv2.put("nin", 3);
    e.put("configuration.json", JSON.writeValueAsBytes(conf));
    assertTrue(refused(zip(e), "conv.zip").startsWith("conv.zip: layer 'conv2' (ConvolutionLayer) does not fit: "),
        "a convolution's nIn");

    e.put("configuration.json", "{\"confs\": [".getBytes(StandardCharsets.UTF_8));
    assertTrue(refused(zip(e), "json.zip").startsWith("json.zip: configuration.json is not valid JSON"));
  }

  @Test
  void aZipBombIsRefusedBeforeItIsInflated() throws IOException {
    Map<String, byte[]> e = unzip(lenetZip());
    e.put("updaterState.bin", new byte[400 << 20]); // 400 MB of zeros deflate to about 400 KB
    byte[] bomb = zip(e);
    assertTrue(bomb.length < 4 << 20, "compressed " + bomb.length);
    assertTrue(refused(bomb, "bomb.zip").contains("(a zip bomb?)"));
  }

  @Test
  void theInputSizeIsInferredOrMustBeGiven() throws IOException {
    // LeNet's flatten records (50, 4, 4): without fovea.json the smallest input giving it is 28 x 28
    Map<String, byte[]> e = unzip(lenetZip());
    e.remove("fovea.json");
    assertEquals(Shape.of(1, 28, 28), Dl4jImport.read(zip(e), "lenet.zip").network().inputShape());

    Network gap = Network.builder(Shape.of(3, 12, 12))
        .then(Convolution.conv2d("c", 4, 3, 1, 1, true)).then(new GlobalPooling("gap", PoolParams.Kind.AVG))
        .then(new Dense("fc", 2, Initializer.ZEROS)).build();
    Map<String, byte[]> g = unzip(Dl4jExport.toZip(model(gap, 2)));
    g.remove("fovea.json");
    assertEquals("gap.zip: the configuration does not record the input's height and width (no flatten before a dense"
        + " layer); give the input shape, Dl4jImport.read(bytes, name, input)", refused(zip(g), "gap.zip"));
    assertEquals(Shape.of(3, 20, 16), Dl4jImport.read(zip(g), "gap.zip", Shape.of(3, 20, 16)).network().inputShape());
  }
}
