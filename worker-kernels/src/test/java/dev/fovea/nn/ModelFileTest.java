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
}
