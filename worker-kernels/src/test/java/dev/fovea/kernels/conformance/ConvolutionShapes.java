package dev.fovea.kernels.conformance;

import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.Shape;
import java.util.List;

/**
 * Convolution layers of real networks, one shape list shared by the conformance suite (at reduced
 * spatial size and channel count, to stay fast) and the benchmarks (at full size), so both run the
 * same geometries (STYLE.md 9).
 *
 * @param name network and layer
 * @param channels input channels C
 * @param filters output channels OC
 * @param kernel square kernel size
 * @param stride stride on both axes
 * @param pad symmetric padding on both axes
 * @param size input height and width
 */
public record ConvolutionShapes(String name, int channels, int filters, int kernel, int stride, int pad, int size) {

  /** LeNet-5 (Caffe's variant), VGG-16 and ResNet-50 layers at ImageNet/MNIST resolution. */
  public static List<ConvolutionShapes> all() {
    return List.of(
        new ConvolutionShapes("LeNet conv1", 1, 20, 5, 1, 0, 28),
        new ConvolutionShapes("LeNet conv2", 20, 50, 5, 1, 0, 12),
        new ConvolutionShapes("VGG-16 conv1_1", 3, 64, 3, 1, 1, 224),
        new ConvolutionShapes("VGG-16 conv2_1", 64, 128, 3, 1, 1, 112),
        new ConvolutionShapes("VGG-16 conv3_1", 128, 256, 3, 1, 1, 56),
        new ConvolutionShapes("VGG-16 conv5_1", 512, 512, 3, 1, 1, 14),
        new ConvolutionShapes("ResNet-50 conv1 7x7/2", 3, 64, 7, 2, 3, 224),
        new ConvolutionShapes("ResNet-50 res2 1x1 64-64", 64, 64, 1, 1, 0, 56),
        new ConvolutionShapes("ResNet-50 res2 3x3 64-64", 64, 64, 3, 1, 1, 56),
        new ConvolutionShapes("ResNet-50 res3 3x3/2 128-128", 128, 128, 3, 2, 1, 56),
        new ConvolutionShapes("ResNet-50 res4 3x3 256-256", 256, 256, 3, 1, 1, 14),
        new ConvolutionShapes("ResNet-50 res5 1x1 2048-512", 2048, 512, 1, 1, 0, 7));
  }

  public ConvParams params() {
    return ConvParams.conv2d(stride, pad);
  }

  /** The source {@code (batch, C, size, size)}. */
  public Shape src(int batch) {
    return Shape.of(batch, channels, size, size);
  }

  /** The weights {@code (OC, C, k, k)}. */
  public Shape weights() {
    return Shape.of(filters, channels, kernel, kernel);
  }

  /** The same geometry with spatial size and channel counts capped, for the conformance suite. */
  public ConvolutionShapes reduced(int maxSize, int maxChannels) {
    int s = Math.max(Math.min(size, maxSize), kernel);
    return new ConvolutionShapes(name, Math.min(channels, maxChannels), Math.min(filters, maxChannels), kernel, stride,
        pad, s);
  }

  /** Multiply-adds times two of one forward pass at this batch size. */
  public double flops(int batch) {
    Shape out = params().outputShape(src(batch), weights());
    return 2.0 * out.size() * channels * kernel * kernel;
  }
}
