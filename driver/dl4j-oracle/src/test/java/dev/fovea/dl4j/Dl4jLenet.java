package dev.fovea.dl4j;

import java.io.DataInputStream;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The DL4J side of docs/dl4j.md, run with DL4J itself: {@code write FILE} saves the untrained DL4J
 * LeNet of {@link Dl4jImportOracleTest#lenet()} (dl4j-examples' LeNetMNIST, layers named as Fovea's
 * zoo LeNet) with {@code ModelSerializer}; {@code evaluate FILE} restores a zip with {@code
 * ModelSerializer} and prints its accuracy on the 10,000 Fashion-MNIST test images (pixels / 255,
 * then {@code (x - MEAN) / STD}), computed by DL4J's {@code output()}.
 */
public final class Dl4jLenet {
  private Dl4jLenet() {}

  public static void main(String[] args) throws Exception {
    if (!(args.length == 2 && args[0].equals("write") || args.length == 4 && args[0].equals("evaluate"))) {
      System.err.println("usage: Dl4jLenet write FILE | evaluate FILE MEAN STD");
      System.exit(2);
    }
    File file = new File(args[1]);
    if (args[0].equals("write")) {
      MultiLayerNetwork net = new MultiLayerNetwork(Dl4jImportOracleTest.lenet());
      net.init();
      ModelSerializer.writeModel(net, file, true);
      System.out.printf("DL4J: wrote %s (MultiLayerNetwork, %,d parameters)%n", file, net.numParams());
      return;
    }
    MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(file);
    // the input normalisation the model was trained with (Fovea records it as normalization_mean/std)
    float mean = Float.parseFloat(args[2]);
    float std = Float.parseFloat(args[3]);
    Path dir = FashionMnist.DIR;
    int n = 10_000;
    float[] x = new float[n * 784];
    int[] y = new int[n];
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(
        dir.resolve("t10k-images-idx3-ubyte.gz"))))) {
      in.skipNBytes(16);
      byte[] b = new byte[n * 784];
      in.readFully(b);
      for (int i = 0; i < b.length; i++) {
        x[i] = ((b[i] & 0xff) / 255f - mean) / std;
      }
    }
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(
        dir.resolve("t10k-labels-idx1-ubyte.gz"))))) {
      in.skipNBytes(8);
      for (int i = 0; i < n; i++) {
        y[i] = in.readUnsignedByte();
      }
    }
    // DL4J's own LeNet reads flat rows (its dense-to-CNN preprocessor); Fovea's export reads (N, 1, 28, 28)
    boolean flat = net.getLayerWiseConfigurations().getInputPreProcess(0) != null;
    int correct = 0;
    for (int from = 0; from < n; from += 500) {
      float[] batch = java.util.Arrays.copyOfRange(x, from * 784, (from + 500) * 784);
      INDArray p = net.output(Nd4j.create(batch, flat ? new long[] {500, 784} : new long[] {500, 1, 28, 28}));
      INDArray arg = Nd4j.argMax(p, 1);
      for (int i = 0; i < 500; i++) {
        correct += arg.getInt(i) == y[from + i] ? 1 : 0;
      }
    }
    System.out.printf("DL4J: restored %s (%s, %,d parameters); Fashion-MNIST test accuracy %.4f (%d of %d)%n", file,
        net.getClass().getSimpleName(), net.numParams(), (double) correct / n, correct, n);
  }
}
