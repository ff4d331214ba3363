package dev.fovea.dl4j;

import static dev.fovea.dl4j.Dl4jImportOracleTest.TOLERANCE;
import static dev.fovea.dl4j.Dl4jImportOracleTest.foveaProbabilities;
import static dev.fovea.dl4j.Dl4jImportOracleTest.gaussian;
import static dev.fovea.dl4j.Dl4jImportOracleTest.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.nn.ActivationLayer;
import dev.fovea.nn.BatchNorm;
import dev.fovea.nn.Concat;
import dev.fovea.nn.Convolution;
import dev.fovea.nn.Dense;
import dev.fovea.nn.Dropout;
import dev.fovea.nn.GlobalPooling;
import dev.fovea.nn.Initializer;
import dev.fovea.nn.Lrn;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.Network;
import dev.fovea.nn.ParamLayout;
import dev.fovea.nn.Pooling;
import dev.fovea.nn.Trainer;
import dev.fovea.nn.ZeroPadding;
import dev.fovea.nn.Zoo;
import dev.fovea.nn.dl4j.Dl4jExport;
import dev.fovea.nn.dl4j.Dl4jImport;
import dev.fovea.optim.Sgd;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fovea models trained a few steps with Fovea's reference backend, written by {@link Dl4jExport}
 * and restored by DL4J's own {@code ModelSerializer}: DL4J's {@code output()} is softmax of Fovea's
 * logits within 1e-4 of the output scale, and reading the zip back gives the same parameters bit
 * for bit.
 */
class Dl4jExportOracleTest {
  @TempDir
  Path dir;

  static List<String> classes(int n) {
    List<String> c = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      c.add("class" + i);
    }
    return c;
  }

  /** {@code net} trained {@code steps} SGD steps (momentum 0.9) on {@code x} (N, sample...) with labels {@code y}. */
  static ModelFile.Model trained(Network net, float[] x, int[] y, int steps) {
    float[] p = net.layout().initialize(42);
    float[] b = net.bufferLayout().initialize(42);
    float[] v = new float[p.length];
    try (Trainer t = net.trainer(new ReferenceBackend(), p, b, v, new Sgd(0.05, 0.9, 0), new BitSet())) {
      Tensor images = Tensor.wrap(x, net.inputShape().prepend(y.length));
      for (int s = 0; s < steps; s++) {
        t.step(images, y, s);
      }
      t.copyOut(p, b, v);
    }
    return new ModelFile.Model(net, null, classes(net.numClasses()), p, b, null, Map.of("test", "Dl4jExportOracleTest"));
  }

  /** Exports {@code m}, restores it with DL4J, and compares DL4J's output for {@code x} with Fovea's. */
  double agree(ModelFile.Model m, float[] x, int n, boolean graph) throws Exception {
    File zip = dir.resolve("exported.zip").toFile();
    Files.write(zip.toPath(), Dl4jExport.toZip(m));
    long[] shape = new long[m.network().inputShape().rank() + 1];
    shape[0] = n;
    for (int i = 1; i < shape.length; i++) {
      shape[i] = m.network().inputShape().dim(i - 1);
    }
    float[] dl4j;
    if (graph) {
      ComputationGraph g = ModelSerializer.restoreComputationGraph(zip);
      dl4j = g.outputSingle(Nd4j.create(x, shape)).reshape(-1).toFloatVector();
    } else {
      MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(zip);
      dl4j = net.output(Nd4j.create(x, shape)).reshape(-1).toFloatVector();
    }
    ModelFile.Model back = Dl4jImport.read(zip.toPath());
    assertEquals(m.network().inputShape(), back.network().inputShape());
    assertEquals(m.classNames(), back.classNames());
    for (ParamLayout.Slice s : m.network().layout().slices()) {
      ParamLayout.Slice t = back.network().layout().slices().stream().filter(q -> q.name().equals(s.name()))
          .findFirst().orElseThrow(() -> new AssertionError(s.name() + " is missing after the round trip"));
      assertArrayEquals(java.util.Arrays.copyOfRange(m.params(), s.offset(), s.offset() + s.size()),
          java.util.Arrays.copyOfRange(back.params(), t.offset(), t.offset() + t.size()), s.name());
    }
    return relativeError(foveaProbabilities(m, x, n), dl4j);
  }

  @Test
  void foveaTrainedLenetRestoredByDl4jGivesFoveasOutputs() throws Exception {
    assumeTrue(FashionMnist.present(), "Fashion-MNIST (dataset-fashion-mnist) is not installed");
    Network net = Zoo.build("lenet", Shape.of(1, 28, 28), 10);
    ModelFile.Model m = trained(net, FashionMnist.images(0, 32), FashionMnist.labels(0, 32), 5);
    double err = agree(m, FashionMnist.images(2000, 8), 8, false);
    System.out.printf("Fovea LeNet exported, DL4J MultiLayerNetwork restored: max error / output scale = %.3g%n", err);
    assertTrue(err < TOLERANCE, "relative error " + err);
  }

  @Test
  void foveaTrainedLenetWithBatchNormAndDropoutRestoredByDl4j() throws Exception {
    assumeTrue(FashionMnist.present(), "Fashion-MNIST (dataset-fashion-mnist) is not installed");
    Network net = Zoo.build("lenet_bn", Shape.of(1, 28, 28), 10);
    ModelFile.Model m = trained(net, FashionMnist.images(0, 32), FashionMnist.labels(0, 32), 5);
    double err = agree(m, FashionMnist.images(2000, 8), 8, false);
    System.out.printf("Fovea LeNet-BN exported, DL4J MultiLayerNetwork restored: max error / output scale = %.3g%n",
        err);
    assertTrue(err < TOLERANCE, "relative error " + err);
  }

  @Test
  void residualNetworkRestoredByDl4jAsAComputationGraph() throws Exception {
    Network net = Zoo.build("resnet20", Shape.of(3, 16, 16), 4);
    int n = 4;
    float[] x = gaussian(n * 3 * 16 * 16, 11);
    ModelFile.Model m = trained(net, x, new int[] {0, 1, 2, 3}, 3);
    double err = agree(m, gaussian(n * 3 * 16 * 16, 12), n, true);
    System.out.printf("Fovea ResNet-20 exported, DL4J ComputationGraph restored: max error / output scale = %.3g%n",
        err);
    assertTrue(err < TOLERANCE, "relative error " + err);
  }

  @Test
  void graphWithConcatLrnPaddingAndGlobalPoolingRestoredByDl4j() throws Exception {
    Network.Builder b = Network.builder(Shape.of(2, 10, 9));
    b.add(new ZeroPadding("pad", new int[] {1, 0}, new int[] {2, 1}), Network.INPUT);
    b.then(new Convolution("a", 4, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 2}, false, new int[] {1, 2}, 1,
        true, 0, Initializer.HE_NORMAL));
    b.then(new ActivationLayer("a_elu", new Activation(Activation.Kind.ELU, 0.5, 0)));
    b.add(new Convolution("b", 3, new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, true, new int[] {1, 1}, 1,
        false, 0, Initializer.HE_NORMAL), "pad");
    b.then(new BatchNorm("b_bn", 1e-3, 0.01, false, false));
    b.then(new ActivationLayer("b_lrelu", Activation.leakyRelu(0.2)));
    b.add(new Concat("cat"), "a_elu", "b_lrelu");
    b.then(new Lrn("lrn", 3, 0.05, 0.75, 1.5));
    b.then(new Pooling("pool", PoolParams.Kind.AVG, new int[] {3, 3}, new int[] {2, 2}, new int[] {0, 0}, true));
    b.then(new GlobalPooling("gmp", PoolParams.Kind.MAX));
    b.then(new Dropout("drop", 0.3, false));
    b.then(new Dense("fc", 3, Initializer.GLOROT_UNIFORM));
    Network net = b.build();
    int n = 6;
    ModelFile.Model m = trained(net, gaussian(n * 2 * 10 * 9, 21), new int[] {0, 1, 2, 0, 1, 2}, 4);
    double err = agree(m, gaussian(3 * 2 * 10 * 9, 22), 3, true);
    System.out.printf("Fovea graph with concat, LRN, padding, global pooling exported to DL4J: max error / output"
        + " scale = %.3g%n", err);
    assertTrue(err < TOLERANCE, "relative error " + err);
  }
}
