package dev.fovea.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.nn.ModelFile;
import dev.fovea.nn.dl4j.Dl4jImport;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Networks built, trained a few steps and saved by DL4J itself ({@code ModelSerializer}), read by
 * {@link Dl4jImport}: Fovea's reference backend gives DL4J's {@code output()} (softmax of Fovea's
 * logits) within 1e-4 of the output scale.
 */
class Dl4jImportOracleTest {
  static final double TOLERANCE = 1e-4;

  @TempDir
  Path dir;

  static float[] gaussian(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (r.nextGaussian());
    }
    return x;
  }

  static INDArray oneHot(int[] labels, int classes) {
    INDArray y = Nd4j.zeros(labels.length, classes);
    for (int i = 0; i < labels.length; i++) {
      y.putScalar(i, labels[i], 1);
    }
    return y;
  }

  /** Softmax over each row of Fovea's logits (N, classes). */
  static float[] softmax(float[] logits, int classes) {
    float[] p = new float[logits.length];
    for (int n = 0; n < logits.length / classes; n++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) {
        max = Math.max(max, logits[n * classes + k]);
      }
      double sum = 0;
      for (int k = 0; k < classes; k++) {
        sum += Math.exp(logits[n * classes + k] - max);
      }
      for (int k = 0; k < classes; k++) {
        p[n * classes + k] = (float) (Math.exp(logits[n * classes + k] - max) / sum);
      }
    }
    return p;
  }

  /** Max |a - b| over max |a|. */
  static double relativeError(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, "output sizes");
    double scale = 0;
    double err = 0;
    for (int i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      err = Math.max(err, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(scale > 0 && Double.isFinite(scale), "output scale " + scale);
    return err / scale;
  }

  /** Fovea's probabilities for {@code x} of (N, sample...) through the imported model. */
  static float[] foveaProbabilities(ModelFile.Model m, float[] x, int n) {
    Shape shape = m.network().inputShape().prepend(n);
    float[] logits = m.network().forward(new ReferenceBackend(), m.params(), m.buffers(), Tensor.wrap(x, shape))
        .toFloatArray();
    return softmax(logits, m.network().numClasses());
  }

  /** DL4J's LeNet (dl4j-examples' LeNetMNIST), its layers named as Fovea's zoo LeNet's. */
  static MultiLayerConfiguration lenet() {
    return new NeuralNetConfiguration.Builder().seed(12345).weightInit(WeightInit.XAVIER)
        .updater(new Nesterovs(0.01, 0.9)).list()
        .layer(new ConvolutionLayer.Builder(5, 5).name("conv1").nIn(1).stride(1, 1).nOut(20)
            .activation(Activation.IDENTITY).build())
        .layer(new SubsamplingLayer.Builder(PoolingType.MAX).name("pool1").kernelSize(2, 2).stride(2, 2).build())
        .layer(new ConvolutionLayer.Builder(5, 5).name("conv2").stride(1, 1).nOut(50)
            .activation(Activation.IDENTITY).build())
        .layer(new SubsamplingLayer.Builder(PoolingType.MAX).name("pool2").kernelSize(2, 2).stride(2, 2).build())
        .layer(new DenseLayer.Builder().name("fc1").activation(Activation.RELU).nOut(500).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD).name("fc2").nOut(10)
            .activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutionalFlat(28, 28, 1)).build();
  }

  @Test
  void lenetSavedByDl4jGivesDl4jsOutputs() throws Exception {
    assumeTrue(FashionMnist.present(), "Fashion-MNIST (dataset-fashion-mnist) is not installed");
    MultiLayerNetwork net = new MultiLayerNetwork(lenet());
    net.init();
    float[] train = FashionMnist.images(0, 64);
    int[] labels = FashionMnist.labels(0, 64);
    for (int step = 0; step < 3; step++) {
      net.fit(new DataSet(Nd4j.create(train, new long[] {64, 784}), oneHot(labels, 10)));
    }
    File zip = dir.resolve("lenet-dl4j.zip").toFile();
    ModelSerializer.writeModel(net, zip, true);
    float[] x = FashionMnist.images(1000, 8);
    float[] dl4j = net.output(Nd4j.create(x, new long[] {8, 784})).reshape(-1).toFloatVector();

    ModelFile.Model m = Dl4jImport.read(zip.toPath());
    assertEquals(Shape.of(1, 28, 28), m.network().inputShape(), "input from the dense-to-CNN preprocessor");
    assertEquals(431_080, m.network().parameterCount());
    double err = relativeError(dl4j, foveaProbabilities(m, x, 8));
    System.out.printf("DL4J LeNet (MultiLayerNetwork) imported: max error / output scale = %.3g%n", err);
    assertTrue(err < TOLERANCE, "relative error " + err);
  }

  @Test
  void residualGraphWithBatchNormGivesDl4jsOutputs() throws Exception {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).weightInit(WeightInit.RELU)
        .updater(new Adam(0.01)).convolutionMode(ConvolutionMode.Same).graphBuilder().addInputs("image")
        .addLayer("stem", new ConvolutionLayer.Builder(3, 3).nIn(3).nOut(8).activation(Activation.IDENTITY).build(),
            "image")
        .addLayer("stem_bn", new BatchNormalization.Builder().build(), "stem")
        .addLayer("stem_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "stem_bn")
        .addLayer("res_conv1", new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.IDENTITY)
            .hasBias(false).build(), "stem_relu")
        .addLayer("res_bn1", new BatchNormalization.Builder().eps(1e-3).decay(0.8).build(), "res_conv1")
        .addLayer("res_relu1", new ActivationLayer.Builder().activation(Activation.LEAKYRELU).build(), "res_bn1")
        .addLayer("res_conv2", new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.IDENTITY).build(),
            "res_relu1")
        .addLayer("res_bn2", new BatchNormalization.Builder().useLogStd(false).build(), "res_conv2")
        .addVertex("res_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "res_bn2", "stem_relu")
        .addLayer("res_out", new ActivationLayer.Builder().activation(Activation.RELU).build(), "res_add")
        .addLayer("down", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(6).activation(Activation.ELU).build(),
            "res_out")
        .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(3, 3).stride(2, 2).build(),
            "res_out")
        .addLayer("lrn", new LocalResponseNormalization.Builder().build(), "pool")
        .addVertex("cat", new MergeVertex(), "down", "lrn")
        .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "cat")
        .addLayer("drop", new DropoutLayer.Builder(0.7).build(), "gap")
        .addLayer("fc", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(5)
            .activation(Activation.SOFTMAX).build(), "drop")
        .setOutputs("fc").setInputTypes(InputType.convolutional(12, 12, 3)).build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    int n = 16;
    float[] train = gaussian(n * 3 * 12 * 12, 1);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 5;
    }
    for (int step = 0; step < 5; step++) {
      net.fit(new DataSet(Nd4j.create(train, new long[] {n, 3, 12, 12}), oneHot(labels, 5)));
    }
    File zip = dir.resolve("residual.zip").toFile();
    ModelSerializer.writeModel(net, zip, true);
    float[] x = gaussian(4 * 3 * 12 * 12, 2);
    float[] dl4j = net.outputSingle(Nd4j.create(x, new long[] {4, 3, 12, 12})).reshape(-1).toFloatVector();

    // a graph ending in global pooling does not record its input size: it is given
    ModelFile.Model m = Dl4jImport.read(Files.readAllBytes(zip.toPath()), zip.toString(), Shape.of(3, 12, 12));
    assertEquals("ComputationGraph", m.provenance().get("dl4j_configuration"));
    assertTrue(m.network().layers().stream().anyMatch(l -> l.type().equals("add")), "the residual add");
    double err = relativeError(dl4j, foveaProbabilities(m, x, 4));
    System.out.printf("DL4J residual ComputationGraph with batch norm imported: max error / output scale = %.3g%n",
        err);
    assertTrue(err < TOLERANCE, "relative error " + err);
  }

  @Test
  void everyOtherLayerOfAMultiLayerNetworkGivesDl4jsOutputs() throws Exception {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).weightInit(WeightInit.XAVIER)
        .updater(new Adam(0.005)).list()
        .layer(new ZeroPaddingLayer.Builder(1, 2, 0, 1).build())
        .layer(new ConvolutionLayer.Builder(3, 3).nIn(2).nOut(6).stride(1, 2).padding(1, 0).dilation(2, 1)
            .activation(Activation.TANH).build())
        .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2)
            .convolutionMode(ConvolutionMode.Same).build())
        .layer(new ConvolutionLayer.Builder(2, 2).nOut(5).convolutionMode(ConvolutionMode.Same)
            .activation(Activation.SWISH).build())
        .layer(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(1, 1).padding(1, 1).build())
        .layer(new LocalResponseNormalization.Builder().n(3).k(1.5).alpha(0.01).beta(0.5).build())
        .layer(new BatchNormalization.Builder().build())
        .layer(new ActivationLayer.Builder().activation(Activation.SOFTPLUS).build())
        .layer(new DenseLayer.Builder().nOut(12).activation(Activation.SELU).dropOut(0.8).build())
        .layer(new BatchNormalization.Builder().build())
        .layer(new DenseLayer.Builder().nOut(9).activation(Activation.HARDTANH).hasBias(false).build())
        .layer(new DropoutLayer.Builder(0.6).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4).activation(Activation.SOFTMAX)
            .build())
        .setInputType(InputType.convolutional(11, 13, 2)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    int n = 12;
    float[] train = gaussian(n * 2 * 11 * 13, 4);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 4;
    }
    for (int step = 0; step < 4; step++) {
      net.fit(new DataSet(Nd4j.create(train, new long[] {n, 2, 11, 13}), oneHot(labels, 4)));
    }
    File zip = dir.resolve("every.zip").toFile();
    ModelSerializer.writeModel(net, zip, true);
    float[] x = gaussian(3 * 2 * 11 * 13, 5);
    float[] dl4j = net.output(Nd4j.create(x, new long[] {3, 2, 11, 13})).reshape(-1).toFloatVector();

    // the flatten records 5 x 7 x 5; the smallest input giving it is 10 x 10, not the 11 x 13 the network was built for
    assertEquals(Shape.of(2, 10, 10), Dl4jImport.read(zip.toPath()).network().inputShape());
    ModelFile.Model m = Dl4jImport.read(Files.readAllBytes(zip.toPath()), zip.toString(), Shape.of(2, 11, 13));
    List<String> types = m.network().layers().stream().map(l -> l.type()).toList();
    for (String t : List.of("zeropad", "conv2d", "maxpool2d", "avgpool2d", "lrn", "batchnorm", "dense", "dropout")) {
      assertTrue(types.contains(t), t + " in " + types);
    }
    double err = relativeError(dl4j, foveaProbabilities(m, x, 3));
    System.out.printf("DL4J MultiLayerNetwork with every other layer imported: max error / output scale = %.3g%n",
        err);
    assertTrue(err < TOLERANCE, "relative error " + err);
  }

  @Test
  void anNhwcNetworkReadsTheSameImagesAsChannelsFirst() throws Exception {
    CNN2DFormat nhwc = CNN2DFormat.NHWC;
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).weightInit(WeightInit.XAVIER)
        .updater(new Adam(0.01)).list()
        .layer(new ConvolutionLayer.Builder(3, 3).nIn(3).nOut(4).dataFormat(nhwc).activation(Activation.RELU).build())
        .layer(new BatchNormalization.Builder().dataFormat(nhwc).build())
        .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).dataFormat(nhwc).build())
        .layer(new DenseLayer.Builder().nOut(6).activation(Activation.TANH).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
            .build())
        .setInputType(InputType.convolutional(12, 10, 3, nhwc)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    int n = 6;
    float[] chw = gaussian(n * 3 * 12 * 10, 8);
    float[] hwc = new float[chw.length];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < 12; y++) {
          for (int x = 0; x < 10; x++) {
            hwc[((i * 12 + y) * 10 + x) * 3 + c] = chw[((i * 3 + c) * 12 + y) * 10 + x];
          }
        }
      }
    }
    for (int step = 0; step < 3; step++) {
      net.fit(new DataSet(Nd4j.create(hwc, new long[] {n, 12, 10, 3}), oneHot(new int[] {0, 1, 2, 0, 1, 2}, 3)));
    }
    File zip = dir.resolve("nhwc.zip").toFile();
    ModelSerializer.writeModel(net, zip, true);
    float[] dl4j = net.output(Nd4j.create(hwc, new long[] {n, 12, 10, 3})).reshape(-1).toFloatVector();

    ModelFile.Model m = Dl4jImport.read(zip.toPath());
    assertEquals(Shape.of(3, 12, 10), m.network().inputShape(), "(C, H, W) from the NHWC flatten's sizes");
    double err = relativeError(dl4j, foveaProbabilities(m, chw, n));
    System.out.printf("DL4J NHWC MultiLayerNetwork imported, fed the same images channels first: max error / output"
        + " scale = %.3g%n", err);
    assertTrue(err < TOLERANCE, "relative error " + err);
  }
}
