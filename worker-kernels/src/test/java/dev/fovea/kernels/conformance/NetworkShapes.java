package dev.fovea.kernels.conformance;

import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.Shape;
import java.util.List;

/**
 * Convolution layers of real networks, the one shape list both the conformance suite (the layers
 * cheap enough for the reference backend, at batch 1) and the convolution benchmark read.
 */
public final class NetworkShapes {
  private NetworkShapes() {}

  /** A 2D convolution layer with a square kernel and input, symmetric padding. */
  public record ConvLayer(String net, String name, int c, int oc, int size, int k, int stride, int pad) {
    public ConvParams params() {
      return ConvParams.conv2d(stride, pad);
    }

    /** The source {@code (N, C, size, size)}. */
    public Shape src(int n) {
      return Shape.of(n, c, size, size);
    }

    /** The weights {@code (OC, C, k, k)}. */
    public Shape weights() {
      return Shape.of(oc, c, k, k);
    }

    /** 2 × multiply-adds of one pass (forward, backward-data and backward-weights are equal). */
    public double flops(int n) {
      Shape dst = params().outputShape(src(n), weights());
      return 2.0 * dst.size() * c * k * k;
    }

    @Override
    public String toString() {
      return net + " " + name;
    }
  }

  /** First and deep layers of LeNet, VGG-16 and ResNet-50, with ResNet's 1x1 and strided cases. */
  public static final List<ConvLayer> CONVOLUTIONS = List.of(
      new ConvLayer("LeNet", "conv1 5x5 1->20 @28", 1, 20, 28, 5, 1, 0),
      new ConvLayer("LeNet", "conv2 5x5 20->50 @12", 20, 50, 12, 5, 1, 0),
      new ConvLayer("VGG-16", "conv1_1 3x3 3->64 @224", 3, 64, 224, 3, 1, 1),
      new ConvLayer("VGG-16", "conv5_2 3x3 512->512 @14", 512, 512, 14, 3, 1, 1),
      new ConvLayer("ResNet-50", "conv1 7x7/2 3->64 @224", 3, 64, 224, 7, 2, 3),
      new ConvLayer("ResNet-50", "res2 3x3 64->64 @56", 64, 64, 56, 3, 1, 1),
      new ConvLayer("ResNet-50", "res3 1x1/2 256->512 @56", 256, 512, 56, 1, 2, 0),
      new ConvLayer("ResNet-50", "res4 3x3 256->256 @14", 256, 256, 14, 3, 1, 1),
      new ConvLayer("ResNet-50", "res5 1x1 512->2048 @7", 512, 2048, 7, 1, 1, 0));
}
