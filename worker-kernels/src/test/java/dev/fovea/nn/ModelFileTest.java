package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelFileTest {

  private static ModelFile.Model model() {
    Network net = Zoo.lenet(Shape.of(1, 28, 28), 10);
    List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    return new ModelFile.Model("lenet", Shape.of(1, 28, 28), names, net.layout().initialize(8),
        Map.of("backend", "reference", "code_version", "test"));
  }

  private static byte[] bytes(ModelFile.Model m) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    ModelFile.write(m, b);
    return b.toByteArray();
  }

  @Test
  void saveLoadGivesBitwiseIdenticalOutputs() throws IOException {
    ModelFile.Model m = model();
    ModelFile.Model back = ModelFile.read(new ByteArrayInputStream(bytes(m)), "m.fovea");
    assertArrayEquals(m.params(), back.params());
    assertEquals(m.classNames(), back.classNames());
    assertEquals("reference", back.provenance().get("backend"));
    float[] x = new float[3 * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(i);
    }
    Tensor src = Tensor.wrap(x, Shape.of(3, 1, 28, 28));
    Tensor a = m.network().forward(new ReferenceBackend(), m.params(), src);
    Tensor b = back.network().forward(new ReferenceBackend(), back.params(), src);
    assertArrayEquals(a.toFloatArray(), b.toFloatArray());
  }

  @Test
  void truncatedFileIsRejected() throws IOException {
    byte[] all = bytes(model());
    ModelFile.ModelFileException e = assertThrows(ModelFile.ModelFileException.class,
        () -> ModelFile.read(new ByteArrayInputStream(Arrays.copyOf(all, all.length - 100)), "/m/x.fovea"));
    assertTrue(e.getMessage().startsWith("/m/x.fovea: "), e.getMessage());
  }

  @Test
  void flippedByteIsRejected() throws IOException {
    byte[] all = bytes(model());
    all[all.length / 2] ^= 1;
    ModelFile.ModelFileException e = assertThrows(ModelFile.ModelFileException.class,
        () -> ModelFile.read(new ByteArrayInputStream(all), "/m/x.fovea"));
    assertEquals("/m/x.fovea: checksum mismatch: the file is corrupt or truncated", e.getMessage());
  }

  @Test
  void wrongMagicIsRejected() throws IOException {
    byte[] all = bytes(model());
    all[0] = 'X';
    ModelFile.ModelFileException e = assertThrows(ModelFile.ModelFileException.class,
        () -> ModelFile.read(new ByteArrayInputStream(all), "/m/x.fovea"));
    assertEquals("/m/x.fovea: not a Fovea model file (wrong magic number)", e.getMessage());
  }

  @Test
  void formatVersion1FixtureStillLoads() throws IOException {
    ModelFile.Model m;
    try (java.io.InputStream in = getClass().getResourceAsStream("/model-files/lenet-v1.fovea")) {
      m = ModelFile.read(in, "lenet-v1.fovea");
    }
    assertEquals("lenet", m.zoo());
    assertEquals(Shape.of(1, 28, 28), m.inputShape());
    assertEquals(List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"), m.classNames());
    assertEquals("15693a0", m.provenance().get("code_version"));
    assertEquals(null, m.optimizer());
    // GenerateLenetV1 wrote layout().initialize(41); initialisation is unchanged, so they agree bitwise
    assertArrayEquals(Zoo.lenet(Shape.of(1, 28, 28), 10).layout().initialize(41), m.params());
    // and a version-1 model saves as version 2 and loads back the same
    ModelFile.Model again = ModelFile.read(new ByteArrayInputStream(bytes(m)), "again.fovea");
    assertArrayEquals(m.params(), again.params());
    assertEquals("lenet", again.zoo());
  }

  /** A ResNet-20 with batch-norm buffers and Adam-sized optimizer state, saved and loaded. */
  private static ModelFile.Model resnet() {
    Network net = Zoo.build("resnet20", Shape.of(3, 16, 16), 4);
    float[] buffers = net.bufferLayout().initialize(1);
    for (int i = 0; i < buffers.length; i++) {
      buffers[i] += 0.01f * i; // running statistics that are not the initial ones
    }
    float[] state = new float[2 * net.layout().size()];
    for (int i = 0; i < state.length; i++) {
      state[i] = (float) Math.cos(i);
    }
    return new ModelFile.Model(net, "resnet20", List.of("w", "x", "y", "z"), net.layout().initialize(3), buffers,
        new ModelFile.OptimizerState("Adam[learningRate=0.001, beta1=0.9, beta2=0.999, epsilon=1.0E-8]", 120, state),
        Map.of("configuration", "{}", "dataset_manifest_hash", "abc", "code_version", "test", "backend", "reference"));
  }

  @Test
  void saveLoadKeepsArchitectureBuffersOptimizerStateAndOutputsBitwise() throws IOException {
    ModelFile.Model m = resnet();
    ModelFile.Model back = ModelFile.read(new ByteArrayInputStream(bytes(m)), "r.fovea");
    assertEquals(m.network().nodes(), back.network().nodes());
    assertArrayEquals(m.params(), back.params());
    assertArrayEquals(m.buffers(), back.buffers());
    assertEquals(m.optimizer().description(), back.optimizer().description());
    assertEquals(120, back.optimizer().step());
    assertArrayEquals(m.optimizer().state(), back.optimizer().state());
    assertEquals(m.provenance(), back.provenance());
    float[] x = new float[2 * 3 * 16 * 16];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(0.3 * i);
    }
    Tensor src = Tensor.wrap(x, Shape.of(2, 3, 16, 16));
    ReferenceBackend b = new ReferenceBackend();
    assertArrayEquals(m.network().forward(b, m.params(), m.buffers(), src).toFloatArray(),
        back.network().forward(b, back.params(), back.buffers(), src).toFloatArray());
    List<List<ModelFile.Prediction>> top = back.predict(b, src, 3);
    assertEquals(2, top.size());
    assertEquals(3, top.get(0).size());
    assertTrue(top.get(0).get(0).probability() >= top.get(0).get(1).probability());
    assertEquals(List.of("w", "x", "y", "z").get(top.get(0).get(0).index()), top.get(0).get(0).name());
  }

  /** The file with its header JSON rewritten by {@code edit} and a valid checksum: damage the checksum cannot see. */
  private static byte[] withHeader(byte[] file, java.util.function.UnaryOperator<String> edit) throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(file);
    int headerLength = b.getInt(12);
    String header = new String(file, 16, headerLength, java.nio.charset.StandardCharsets.UTF_8);
    byte[] newHeader = edit.apply(header).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    java.io.DataOutputStream d = new java.io.DataOutputStream(out);
    d.write(file, 0, 12);
    d.writeInt(newHeader.length);
    d.write(newHeader);
    d.write(file, 16 + headerLength, file.length - 8 - 16 - headerLength);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(out.toByteArray());
    d.writeLong(crc.getValue());
    return out.toByteArray();
  }

  private static String readError(byte[] file) {
    return assertThrows(ModelFile.ModelFileException.class,
        () -> ModelFile.read(new ByteArrayInputStream(file), "/models/r.fovea")).getMessage();
  }

  @Test
  void damagedVersion2FilesAreRejectedWholeWithTheirProblem() throws IOException {
    byte[] all = bytes(resnet());
    assertTrue(readError(Arrays.copyOf(all, all.length - 1000)).startsWith("/models/r.fovea: "));
    assertTrue(readError(Arrays.copyOf(all, 20)).startsWith("/models/r.fovea: truncated"));
    byte[] flipped = all.clone();
    flipped[flipped.length - 4000] ^= 0x10;
    assertEquals("/models/r.fovea: checksum mismatch: the file is corrupt or truncated", readError(flipped));
    byte[] magic = all.clone();
    magic[3] = 'X';
    assertEquals("/models/r.fovea: not a Fovea model file (wrong magic number)", readError(magic));
    byte[] version = all.clone();
    version[11] = 9;
    assertTrue(readError(version).startsWith("/models/r.fovea: format version 9 is not supported"));

    String unknown = readError(withHeader(all, h -> h.replace("\"type\":\"global_pooling\"", "\"type\":\"capsule\"")));
    assertTrue(unknown.startsWith("/models/r.fovea: architecture: layer ")
        && unknown.contains("('avgpool'): unknown layer type 'capsule'"), unknown);

    // conv1.weights (16, 3, 3, 3) declared as (16, 3, 3, 2): its slice no longer matches its shape
    String slice = readError(withHeader(all, h -> h.replaceFirst(
        "\"name\":\"conv1.weights\",\"shape\":\\[16,3,3,3\\]", "\"name\":\"conv1.weights\",\"shape\":[16,3,3,2]")));
    assertEquals("/models/r.fovea: parameter slice 'conv1.weights' has shape (16, 3, 3, 2) (288 values) but occupies"
        + " 432 values at offset 0", slice);

    // an architecture whose conv1 is 5x5: the stored 3x3 slice does not fit it
    String kernel = readError(withHeader(all, h -> h.replaceFirst("\"kernel\":\\[3,3\\],\"stride\":\\[1,1\\],"
        + "\"padding\":\\[1,1\\]", "\"kernel\":[5,5],\"stride\":[1,1],\"padding\":[2,2]")));
    assertTrue(kernel.startsWith("/models/r.fovea: parameter slice 'conv1.weights' (16, 3, 3, 3) at 0 does not match"
        + " the architecture's conv1.weights (16, 3, 5, 5)"), kernel);

    String filters = readError(withHeader(all, h -> h.replaceFirst("\"filters\":16", "\"filters\":8")));
    assertEquals("/models/r.fovea: architecture: stage1.0.add: input 2 has shape (8, 16, 16), expects (16, 16, 16)"
        + " like input 1", filters);

    String names = readError(withHeader(all, h -> h.replace("\"class_names\":[\"w\",", "\"class_names\":[")));
    assertTrue(names.contains("architecture") || names.contains("class names"), names);
  }

  /** The one-line {@code ModelFileException} reading {@code bytes} as {@code name} gives. */
  private static String refusal(byte[] bytes, String name) {
    String m = assertThrows(ModelFile.ModelFileException.class,
        () -> ModelFile.read(new ByteArrayInputStream(bytes), name)).getMessage();
    assertTrue(m.startsWith(name + ": ") && !m.contains("\n"), m);
    return m;
  }

  @Test
  void aLargeFileOfAnotherKindIsRefusedFromItsFirstEightBytes() {
    long[] read = {0};
    InputStream threeGigabytes = new InputStream() {
      @Override
      public int read() {
        read[0]++;
        return read[0] <= 3_000_000_000L ? 'x' : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        int n = (int) Math.min(len, 3_000_000_000L - read[0]);
        read[0] += Math.max(n, 0);
        return n <= 0 ? -1 : n;
      }
    };
    ModelFile.ModelFileException e = assertThrows(ModelFile.ModelFileException.class,
        () -> ModelFile.read(threeGigabytes, "big.tar"));
    assertEquals("big.tar: not a Fovea model file (wrong magic number)", e.getMessage());
    assertTrue(read[0] <= 8, read[0] + " bytes read");
    // A file that says it is 3 GB long is refused before a byte of it is read.
    assertEquals("big.fovea: 3000000000 bytes, larger than the limit of 2147483638 bytes for a model file",
        assertThrows(ModelFile.ModelFileException.class, () -> ModelFile.read(threeGigabytes, 3_000_000_000L,
            "big.fovea")).getMessage());
  }

  @Test
  void craftedSizesAreRefusedBeforeAllocating() throws IOException {
    byte[] all = bytes(model());
    byte[] header = all.clone();
    ByteBuffer.wrap(header).putInt(12, Integer.MAX_VALUE);
    assertEquals("h.fovea: offset 12: header length 2147483647 exceeds the limit of 67108864",
        refusal(ModelFileFuzzTest.withCrc(header), "h.fovea"));
    ByteBuffer.wrap(header).putInt(12, -7);
    assertEquals("h.fovea: offset 12: header length -7 is negative", refusal(ModelFileFuzzTest.withCrc(header),
        "h.fovea"));
    byte[] count = all.clone();
    int at = 16 + ByteBuffer.wrap(all).getInt(12);
    ByteBuffer.wrap(count).putInt(at, 750_000_000); // 3 GB of parameters declared
    String m = refusal(ModelFileFuzzTest.withCrc(count), "p.fovea");
    assertTrue(m.startsWith("p.fovea: offset " + at + ": parameter count 750000000 needs 3000000000 bytes but the "
        + "file holds only "), m);
  }

  @Test
  void layoutIntegersAreExact() throws IOException {
    byte[] all = bytes(model());
    int length = ByteBuffer.wrap(all).getInt(12);
    String header = new String(all, 16, length, java.nio.charset.StandardCharsets.UTF_8);
    java.util.regex.Matcher first = java.util.regex.Pattern.compile("\"layout\":\\[\\{\"name\":\"[^\"]*\","
        + "\"shape\":\\[([0-9]+)").matcher(header);
    assertTrue(first.find(), header);
    // The first slice's first dimension plus 2^32: read with asInt() it was the same number again.
    long wrapped = Long.parseLong(first.group(1)) + (1L << 32);
    byte[] h = (header.substring(0, first.start(1)) + wrapped + header.substring(first.end(1)))
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(all.length - length + h.length);
    b.put(all, 0, 12).putInt(h.length).put(h).put(all, 16 + length, all.length - 16 - length);
    assertEquals("l.fovea: parameter layout[0]: shape[0]: " + wrapped + " is outside the range of a 32-bit integer",
        refusal(ModelFileFuzzTest.withCrc(b.array()), "l.fovea"));
  }
}
