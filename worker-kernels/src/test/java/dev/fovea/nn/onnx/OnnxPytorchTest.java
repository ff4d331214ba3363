package dev.fovea.nn.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.nn.ModelFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX files made by PyTorch's own exporter ({@code src/test/resources/onnx/pytorch/make_onnx.py},
 * committed with PyTorch's outputs beside them) imported into Fovea give PyTorch's outputs within
 * 1e-4 of the output scale.
 */
class OnnxPytorchTest {

  static byte[] resource(String name) throws IOException {
    try (InputStream in = OnnxPytorchTest.class.getResourceAsStream("/onnx/pytorch/" + name)) {
      assertNotNull(in, name);
      return in.readAllBytes();
    }
  }

  static float[] floats(String name) throws IOException {
    byte[] b = resource(name);
    float[] f = new float[b.length / 4];
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
    return f;
  }

  /**
   * {@code tiny}: grouped and depthwise convolution, batch norm, a transposed convolution and
   * nearest upsampling; {@code resnet18_narrow}: torchvision's ResNet-18 layout at 1/8 width;
   * {@code lenet}: LeNet whose PyTorch module names become the layer names of Fovea's zoo LeNet.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"tiny", "resnet18_narrow", "lenet"})
  void importedPytorchExportsGivePytorchsOutputs(String name) throws IOException {
    JsonNode meta = new ObjectMapper().readTree(resource(name + ".json"));
    int[] in = new int[meta.get("input").size()];
    for (int i = 0; i < in.length; i++) {
      in[i] = meta.get("input").get(i).asInt();
    }
    ModelFile.Model m = OnnxImport.read(resource(name + ".onnx"), name + ".onnx");
    Shape batch = Shape.of(in);
    assertEquals(batch.dropFirst(), m.inputShape());
    float[] y = m.network().forward(new ReferenceBackend(), m.params(), m.buffers(),
        Tensor.wrap(floats(name + ".input.bin"), batch)).toFloatArray();
    float[] torch = floats(name + ".output.bin");
    double err = OnnxRuntimeAgreesTest.relativeError(y, torch);
    System.out.printf("PyTorch %s vs Fovea, %s: %.3g%n", meta.get("torch").asText(), name, err);
    assertTrue(err < OnnxRuntimeAgreesTest.TOLERANCE, "relative error " + err);
    if (name.equals("lenet")) {
      assertEquals(dev.fovea.nn.Zoo.lenet(Shape.of(1, 28, 28), 10).layout().slices().stream()
          .map(sl -> sl.name() + " " + sl.shape()).toList(),
          m.network().layout().slices().stream().map(sl -> sl.name() + " " + sl.shape()).toList());
    }
  }
}
