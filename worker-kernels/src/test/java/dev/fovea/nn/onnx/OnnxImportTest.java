package dev.fovea.nn.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.NetworkJson;
import dev.fovea.nn.ParamLayout;
import dev.fovea.nn.Zoo;
import dev.fovea.nn.onnx.proto.Onnx.GraphProto;
import dev.fovea.nn.onnx.proto.Onnx.ModelProto;
import dev.fovea.nn.onnx.proto.Onnx.NodeProto;
import dev.fovea.nn.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reading ONNX back: Fovea's own exports give the same model bitwise (through the metadata, and
 * node by node without it), graphs in the layouts other exporters write (MatMul + Add, Reshape,
 * a final Softmax, Clip, asymmetric padding) give ONNX Runtime's outputs, files PyTorch's own exporter
 * made ({@code src/test/resources/onnx/pytorch/make_onnx.py}, committed with PyTorch's outputs beside
 * them) give PyTorch's outputs, and damaged files or unknown operators are refused in one line naming
 * the file.
 */
class OnnxImportTest {

  static Stream<String> zoo() {
    return Zoo.names().stream();
  }

  static ModelFile.Model model(String zoo, Shape input) {
    Network net = Zoo.build(zoo, input, 5);
    float[][] v = OnnxExportTest.values(net, 17);
    return new ModelFile.Model(net, zoo, List.of("t-shirt", "trouser", "pullover", "dress", "coat"), v[0], v[1], null,
        Map.of("configuration", "test"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("zoo")
  void foveaToOnnxToFoveaIsBitwiseTheSame(String name) throws Exception {
    ModelFile.Model m = model(name, OnnxExportTest.smallInput(name));
    byte[] onnx = OnnxExport.toProto(m).toByteArray();
    ModelFile.Model back = OnnxImport.read(onnx, name + ".onnx");
    assertEquals(NetworkJson.toJsonString(m.network()), NetworkJson.toJsonString(back.network()));
    assertArrayEquals(m.params(), back.params());
    assertArrayEquals(m.buffers(), back.buffers());
    assertEquals(m.classNames(), back.classNames());
    assertEquals(name, back.zoo());
    assertEquals("test", back.provenance().get("configuration"));
  }

  static ModelProto withoutMetadata(ModelProto m) {
    return m.toBuilder().clearMetadataProps().build();
  }

  /**
   * Without Fovea's metadata the graph is translated node by node: for these zoo networks (weighted
   * residual sums included, written as Mul by a scalar then Sum) the layers, parameter names and
   * values come back the same, and the imported network's outputs are ONNX Runtime's on the same
   * file.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("translatable")
  void nodeByNodeTranslationGivesTheSameNetwork(String name) throws Exception {
    ModelFile.Model m = model(name, OnnxExportTest.smallInput(name));
    byte[] onnx = withoutMetadata(OnnxExport.toProto(m)).toByteArray();
    ModelFile.Model back = OnnxImport.read(onnx, name + ".onnx");
    List<String> names = m.network().layout().slices().stream().map(ParamLayout.Slice::name).toList();
    assertEquals(names, back.network().layout().slices().stream().map(ParamLayout.Slice::name).toList());
    assertArrayEquals(m.params(), back.params());
    assertArrayEquals(m.buffers(), back.buffers());
    assertEquals(List.of("0", "1", "2", "3", "4"), back.classNames());
    Shape batch = back.inputShape().prepend(2);
    float[] x = OnnxExportTest.gaussian(batch.size(), 9);
    float[] original = m.network().forward(new ReferenceBackend(), m.params(), m.buffers(), Tensor.wrap(x, batch))
        .toFloatArray();
    float[] imported = back.network().forward(new ReferenceBackend(), back.params(), back.buffers(),
        Tensor.wrap(x, batch)).toFloatArray();
    assertArrayEquals(original, imported);
    double err = OnnxExportTest.relativeError(imported, OnnxExportTest.runOrt(onnx, x, batch));
    assertTrue(err < OnnxExportTest.TOLERANCE, name + ": relative error " + err);
  }

  static Stream<String> translatable() {
    return Stream.of("lenet", "lenet_bn", "alexnet", "vgg11_bn", "resnet18", "resnet50", "resnet20", "googlenet",
        "inception_resnet_v2");
  }

  static TensorProto floats(String name, float[] v, int... dims) {
    return OnnxExport.floats(name, dims, v, 0);
  }

  static float[] random(int n, long seed) {
    float[] x = OnnxExportTest.gaussian(n, seed);
    for (int i = 0; i < n; i++) {
      x[i] *= 0.3f;
    }
    return x;
  }

  static NodeProto.Builder node(String op, String name, List<String> in, String out) {
    return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(in).addOutput(out);
  }

  /**
   * A graph laid out as PyTorch's and Keras converters' exports are, not as Fovea writes it:
   * names with slashes, asymmetric convolution padding, Clip(0, 6), a pool in ceil mode where the
   * windows fit, global pooling then Reshape, MatMul + Add for the dense layer, and a Softmax at
   * the end (dropped: Fovea gives logits; the test compares softmaxed outputs).
   */
  static ModelProto foreignGraph() {
    GraphProto.Builder g = GraphProto.newBuilder().setName("foreign");
    g.addInitializer(floats("conv.weight", random(8 * 3 * 3 * 3, 1), 8, 3, 3, 3));
    g.addInitializer(floats("conv.bias", random(8, 2), 8));
    g.addInitializer(floats("bn.scale", random(8, 3), 8));
    g.addInitializer(floats("bn.B", random(8, 4), 8));
    float[] mean = random(8, 5);
    float[] var = random(8, 6);
    for (int i = 0; i < 8; i++) {
      var[i] = 0.5f + Math.abs(var[i]);
    }
    g.addInitializer(floats("bn.mean", mean, 8));
    g.addInitializer(floats("bn.var", var, 8));
    g.addInitializer(floats("dw.weight", random(8 * 3 * 3, 7), 8, 1, 3, 3));
    g.addInitializer(floats("fc.W", random(8 * 4, 8), 8, 4));
    g.addInitializer(floats("fc.b", random(4, 9), 4));
    g.addInitializer(floats("clip.min", new float[] {0}));
    g.addInitializer(floats("clip.max", new float[] {6}));
    g.addInitializer(OnnxExport.longs("shape", 0, -1));
    g.addNode(node("Conv", "/features/conv/Conv", List.of("x", "conv.weight", "conv.bias"), "a")
        .addAttribute(OnnxExport.ints("kernel_shape", 3, 3)).addAttribute(OnnxExport.ints("strides", 2, 2))
        .addAttribute(OnnxExport.ints("pads", 0, 0, 1, 1)));
    g.addNode(node("BatchNormalization", "/features/bn/BatchNormalization",
        List.of("a", "bn.scale", "bn.B", "bn.mean", "bn.var"), "b").addAttribute(OnnxExport.real("epsilon", 1e-3)));
    g.addNode(node("Clip", "/features/relu6/Clip", List.of("b", "clip.min", "clip.max"), "c"));
    g.addNode(node("Conv", "/features/dw/Conv", List.of("c", "dw.weight"), "d")
        .addAttribute(OnnxExport.ints("kernel_shape", 3, 3)).addAttribute(OnnxExport.ints("pads", 1, 1, 1, 1))
        .addAttribute(OnnxExport.integer("group", 8)));
    g.addNode(node("MaxPool", "/features/pool/MaxPool", List.of("d"), "e")
        .addAttribute(OnnxExport.ints("kernel_shape", 2, 2)).addAttribute(OnnxExport.ints("strides", 2, 2))
        .addAttribute(OnnxExport.integer("ceil_mode", 1)));
    g.addNode(node("GlobalAveragePool", "/pool/GlobalAveragePool", List.of("e"), "f"));
    g.addNode(node("Reshape", "/Reshape", List.of("f", "shape"), "g"));
    g.addNode(node("MatMul", "/fc/MatMul", List.of("g", "fc.W"), "h"));
    g.addNode(node("Add", "/fc/Add", List.of("h", "fc.b"), "i"));
    g.addNode(node("Softmax", "/Softmax", List.of("i"), "probs").addAttribute(OnnxExport.integer("axis", 1)));
    ModelProto fovea = OnnxExport.toProto(Network.sequential(Shape.of(3, 16, 16), List.of(
        new dev.fovea.nn.Flatten("f"), new dev.fovea.nn.Dense("d", 4, dev.fovea.nn.Initializer.ZEROS))),
        new float[4 * 768 + 4], new float[0], List.of("a", "b", "c", "d"));
    g.addInput(fovea.getGraph().getInput(0).toBuilder().setName("x"));
    g.addOutput(fovea.getGraph().getOutput(0).toBuilder().setName("probs"));
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("hand-made").setGraph(g)
        .addOpsetImport(fovea.getOpsetImport(0)).build();
  }

  @Test
  void aForeignLayoutGivesOnnxRuntimesOutputs() throws Exception {
    byte[] onnx = foreignGraph().toByteArray();
    ModelFile.Model m = OnnxImport.read(onnx, "foreign.onnx");
    assertEquals(Shape.of(3, 16, 16), m.inputShape());
    assertEquals(4, m.network().numClasses());
    Shape batch = Shape.of(2, 3, 16, 16);
    float[] x = OnnxExportTest.gaussian(batch.size(), 3);
    Tensor logits = m.network().forward(new ReferenceBackend(), m.params(), m.buffers(), Tensor.wrap(x, batch));
    Tensor probs = Tensor.zeros(logits.shape());
    new ReferenceBackend().softmaxForward(false, logits, probs);
    float[] ort = OnnxExportTest.runOrt(onnx, x, batch);
    double err = OnnxExportTest.relativeError(probs.toFloatArray(), ort);
    assertTrue(err < OnnxExportTest.TOLERANCE, "relative error " + err);
    assertTrue(m.network().summary().contains("features.dw "), m.network().summary());
  }

  @Test
  void truncatedCorruptAndUnsupportedFilesAreRefusedInOneLine() throws OrtException {
    byte[] good = OnnxExport.toProto(model("lenet", Shape.of(1, 28, 28))).toByteArray();
    for (int cut : new int[] {0, 7, good.length / 2, good.length - 3}) {
      ModelFile.ModelFileException e = assertThrows(ModelFile.ModelFileException.class,
          () -> OnnxImport.read(Arrays.copyOf(good, cut), "cut.onnx"), "cut at " + cut);
      assertTrue(e.getMessage().startsWith("cut.onnx: "), e.getMessage());
      assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
    byte[] junk = "FOVEAMDL this is not protobuf".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertTrue(assertThrows(ModelFile.ModelFileException.class, () -> OnnxImport.read(junk, "junk.onnx"))
        .getMessage().startsWith("junk.onnx: "));
    ModelProto m = foreignGraph();
    GraphProto.Builder g = m.getGraph().toBuilder();
    g.setNode(3, g.getNode(3).toBuilder().setOpType("Einsum").clearAttribute());
    ModelProto bad = m.toBuilder().setGraph(g).build();
    ModelFile.ModelFileException e = assertThrows(ModelFile.ModelFileException.class,
        () -> OnnxImport.read(bad.toByteArray(), "bad.onnx"));
    assertEquals("bad.onnx: node '/features/dw/Conv' (Einsum) is not supported: Fovea has no layer for this operator",
        e.getMessage());
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in = OnnxImportTest.class.getResourceAsStream("/onnx/pytorch/" + name)) {
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
   * {@code resnet18_narrow_bn}: the same with its BatchNormalization nodes kept; {@code lenet}:
   * LeNet whose PyTorch module names become the layer names of Fovea's zoo LeNet.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"tiny", "resnet18_narrow", "resnet18_narrow_bn", "lenet"})
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
    double err = OnnxExportTest.relativeError(y, torch);
    System.out.printf("PyTorch %s vs Fovea, %s: %.3g%n", meta.get("torch").asText(), name, err);
    assertTrue(err < OnnxExportTest.TOLERANCE, "relative error " + err);
    if (name.equals("lenet")) {
      assertEquals(dev.fovea.nn.Zoo.lenet(Shape.of(1, 28, 28), 10).layout().slices().stream()
          .map(sl -> sl.name() + " " + sl.shape()).toList(),
          m.network().layout().slices().stream().map(sl -> sl.name() + " " + sl.shape()).toList());
    }
  }
}
