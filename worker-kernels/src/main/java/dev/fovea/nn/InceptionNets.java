package dev.fovea.nn;

import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;

/**
 * The Inception family beyond GoogLeNet, for {@link Zoo}: Inception-v3, Inception-v4 and
 * Inception-ResNet-v1, built from batch-normalised convolutions ({@link Zoo#basicConv}: conv without
 * bias, batch norm with scale and shift, epsilon 0.001, ReLU) and factorised kernels (1×7 then 7×1,
 * 1×3 beside 3×1). Names follow the implementation each one's count matches.
 *
 * <p>The implementations average-pool inside their blocks with padding 1; torchvision's
 * Inception-v3 counts the padded cells in the average ({@code count_include_pad=True}), the others
 * and Fovea's {@link Pooling} do not. That changes values near the borders, not parameter counts.
 */
final class InceptionNets {
  private InceptionNets() {}

  private static String conv(Network.Builder b, String name, String from, int filters, int k) {
    return Zoo.basicConv(b, name, from, filters, k, k, 1, k / 2, k / 2);
  }

  private static String conv(Network.Builder b, String name, String from, int filters, int kh, int kw) {
    return Zoo.basicConv(b, name, from, filters, kh, kw, 1, kh / 2, kw / 2);
  }

  /** A 3×3 convolution with stride 2 and no padding (the grid reductions). */
  private static String reduce(Network.Builder b, String name, String from, int filters) {
    return Zoo.basicConv(b, name, from, filters, 3, 3, 2, 0, 0);
  }

  private static String avgBranch(Network.Builder b, String p, String x, int filters) {
    b.add(Pooling.avg2d(p + ".branch_pool_avg", 3, 1, 1), x);
    return conv(b, p + ".branch_pool", b.last(), filters, 1);
  }

  private static String maxPool(Network.Builder b, String name, String x) {
    b.add(Pooling.max2d(name, 3, 2, 0), x);
    return name;
  }

  // ---- Inception-v3 (torchvision's inception_v3) ----

  private static String v3A(Network.Builder b, String p, String x, int poolFeatures) {
    String b1 = conv(b, p + ".branch1x1", x, 64, 1);
    String b5 = conv(b, p + ".branch5x5_1", x, 48, 1);
    b5 = conv(b, p + ".branch5x5_2", b5, 64, 5);
    String b3 = conv(b, p + ".branch3x3dbl_1", x, 64, 1);
    b3 = conv(b, p + ".branch3x3dbl_2", b3, 96, 3);
    b3 = conv(b, p + ".branch3x3dbl_3", b3, 96, 3);
    String bp = avgBranch(b, p, x, poolFeatures);
    b.add(new Concat(p), b1, b5, b3, bp);
    return p;
  }

  private static String v3B(Network.Builder b, String p, String x) {
    String b3 = reduce(b, p + ".branch3x3", x, 384);
    String bd = conv(b, p + ".branch3x3dbl_1", x, 64, 1);
    bd = conv(b, p + ".branch3x3dbl_2", bd, 96, 3);
    bd = reduce(b, p + ".branch3x3dbl_3", bd, 96);
    b.add(new Concat(p), b3, bd, maxPool(b, p + ".branch_pool", x));
    return p;
  }

  private static String v3C(Network.Builder b, String p, String x, int c7) {
    String b1 = conv(b, p + ".branch1x1", x, 192, 1);
    String b7 = conv(b, p + ".branch7x7_1", x, c7, 1);
    b7 = conv(b, p + ".branch7x7_2", b7, c7, 1, 7);
    b7 = conv(b, p + ".branch7x7_3", b7, 192, 7, 1);
    String bd = conv(b, p + ".branch7x7dbl_1", x, c7, 1);
    bd = conv(b, p + ".branch7x7dbl_2", bd, c7, 7, 1);
    bd = conv(b, p + ".branch7x7dbl_3", bd, c7, 1, 7);
    bd = conv(b, p + ".branch7x7dbl_4", bd, c7, 7, 1);
    bd = conv(b, p + ".branch7x7dbl_5", bd, 192, 1, 7);
    String bp = avgBranch(b, p, x, 192);
    b.add(new Concat(p), b1, b7, bd, bp);
    return p;
  }

  private static String v3D(Network.Builder b, String p, String x) {
    String b3 = conv(b, p + ".branch3x3_1", x, 192, 1);
    b3 = reduce(b, p + ".branch3x3_2", b3, 320);
    String b7 = conv(b, p + ".branch7x7x3_1", x, 192, 1);
    b7 = conv(b, p + ".branch7x7x3_2", b7, 192, 1, 7);
    b7 = conv(b, p + ".branch7x7x3_3", b7, 192, 7, 1);
    b7 = reduce(b, p + ".branch7x7x3_4", b7, 192);
    b.add(new Concat(p), b3, b7, maxPool(b, p + ".branch_pool", x));
    return p;
  }

  /** 1×3 and 3×1 side by side on {@code x}, concatenated. */
  private static String split(Network.Builder b, String p, String x, int filters) {
    String a = conv(b, p + "a", x, filters, 1, 3);
    String c = conv(b, p + "b", x, filters, 3, 1);
    b.add(new Concat(p), a, c);
    return p;
  }

  private static String v3E(Network.Builder b, String p, String x) {
    String b1 = conv(b, p + ".branch1x1", x, 320, 1);
    String b3 = conv(b, p + ".branch3x3_1", x, 384, 1);
    b3 = split(b, p + ".branch3x3_2", b3, 384);
    String bd = conv(b, p + ".branch3x3dbl_1", x, 448, 1);
    bd = conv(b, p + ".branch3x3dbl_2", bd, 384, 3);
    bd = split(b, p + ".branch3x3dbl_3", bd, 384);
    String bp = avgBranch(b, p, x, 192);
    b.add(new Concat(p), b1, b3, bd, bp);
    return p;
  }

  /** The stem shared by Inception-v3 and Inception-ResNet-v1 up to its 80-channel 1×1 convolution. */
  private static String stem(Network.Builder b, String[] names) {
    String x = reduce(b, names[0], Network.INPUT, 32);
    x = Zoo.basicConv(b, names[1], x, 32, 3, 3, 1, 0, 0);
    x = conv(b, names[2], x, 64, 3);
    x = maxPool(b, names[3], x);
    return conv(b, names[4], x, 80, 1);
  }

  /**
   * Inception-v3 (Szegedy et al. 2015, "Rethinking the Inception architecture") as torchvision's
   * {@code inception_v3}: at 299×299 and 1,000 classes 23,834,568 parameters without the auxiliary
   * classifier ({@code aux_logits=False}) and 27,161,264 with it ({@code inception_v3_aux}, its loss
   * weighted 0.4 in training as torchvision's reference training; below 299×299 its 5×5 pool becomes an
   * adaptive one). Any input of at least 75×75 (107×107 with the auxiliary head).
   */
  static Network inceptionV3(Shape input, int classes, boolean aux) {
    Network.Builder b = Network.builder(input);
    String x = stem(b, new String[] {"Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1"});
    x = Zoo.basicConv(b, "Conv2d_4a_3x3", x, 192, 3, 3, 1, 0, 0);
    x = maxPool(b, "maxpool2", x);
    x = v3A(b, "Mixed_5b", x, 32);
    x = v3A(b, "Mixed_5c", x, 64);
    x = v3A(b, "Mixed_5d", x, 64);
    x = v3B(b, "Mixed_6a", x);
    x = v3C(b, "Mixed_6b", x, 128);
    x = v3C(b, "Mixed_6c", x, 160);
    x = v3C(b, "Mixed_6d", x, 160);
    x = v3C(b, "Mixed_6e", x, 192);
    if (aux) {
      // torchvision pools 17x17 to 5x5 (window 5, stride 3) for the 5x5 convolution; below 17x17 (inputs
      // under 299) that pool would leave too little, so there an adaptive average pool gives the 5x5
      int grid = Zoo.down(Zoo.down(Zoo.down(Zoo.down(input.dim(1), 3, 2, 0) - 2, 3, 2, 0) - 2, 3, 2, 0), 3, 2, 0);
      b.add(grid >= 17 ? Pooling.avg2d("AuxLogits.pool", 5, 3, 0)
          : AdaptivePooling.of2d("AuxLogits.pool", PoolParams.Kind.AVG, 5, 5), x);
      String a = conv(b, "AuxLogits.conv0", b.last(), 128, 1);
      Zoo.basicConv(b, "AuxLogits.conv1", a, 768, 5, 5, 1, 0, 0);
      b.then(new GlobalPooling("AuxLogits.avgpool", PoolParams.Kind.AVG)).then(Zoo.dense("AuxLogits.fc", classes));
    }
    x = v3D(b, "Mixed_7a", x);
    x = v3E(b, "Mixed_7b", x);
    x = v3E(b, "Mixed_7c", x);
    b.add(new GlobalPooling("avgpool", PoolParams.Kind.AVG), x)
        .then(new Dropout("dropout", 0.5, false)).then(Zoo.dense("fc", classes)).output("fc");
    if (aux) {
      b.auxOutput("AuxLogits.fc", 0.4);
    }
    return b.build();
  }

  // ---- Inception-v4 (Szegedy et al. 2016, as timm's / Cadene's inception_v4) ----

  /** A (kh, kw) convolution with stride 1 and no padding. */
  private static String valid(Network.Builder b, String name, String from, int filters, int kh, int kw) {
    return Zoo.basicConv(b, name, from, filters, kh, kw, 1, 0, 0);
  }

  private static String v4A(Network.Builder b, String p, String x) {
    String b0 = conv(b, p + ".branch0", x, 96, 1);
    String b1 = conv(b, p + ".branch1_0", x, 64, 1);
    b1 = conv(b, p + ".branch1_1", b1, 96, 3);
    String b2 = conv(b, p + ".branch2_0", x, 64, 1);
    b2 = conv(b, p + ".branch2_1", b2, 96, 3);
    b2 = conv(b, p + ".branch2_2", b2, 96, 3);
    String b3 = avgBranch(b, p, x, 96);
    b.add(new Concat(p), b0, b1, b2, b3);
    return p;
  }

  private static String v4B(Network.Builder b, String p, String x) {
    String b0 = conv(b, p + ".branch0", x, 384, 1);
    String b1 = conv(b, p + ".branch1_0", x, 192, 1);
    b1 = conv(b, p + ".branch1_1", b1, 224, 1, 7);
    b1 = conv(b, p + ".branch1_2", b1, 256, 7, 1);
    String b2 = conv(b, p + ".branch2_0", x, 192, 1);
    b2 = conv(b, p + ".branch2_1", b2, 192, 7, 1);
    b2 = conv(b, p + ".branch2_2", b2, 224, 1, 7);
    b2 = conv(b, p + ".branch2_3", b2, 224, 7, 1);
    b2 = conv(b, p + ".branch2_4", b2, 256, 1, 7);
    String b3 = avgBranch(b, p, x, 128);
    b.add(new Concat(p), b0, b1, b2, b3);
    return p;
  }

  private static String v4C(Network.Builder b, String p, String x) {
    String b0 = conv(b, p + ".branch0", x, 256, 1);
    String b1 = conv(b, p + ".branch1_0", x, 384, 1);
    b1 = split(b, p + ".branch1_1", b1, 256);
    String b2 = conv(b, p + ".branch2_0", x, 384, 1);
    b2 = conv(b, p + ".branch2_1", b2, 448, 3, 1);
    b2 = conv(b, p + ".branch2_2", b2, 512, 1, 3);
    b2 = split(b, p + ".branch2_3", b2, 256);
    String b3 = avgBranch(b, p, x, 256);
    b.add(new Concat(p), b0, b1, b2, b3);
    return p;
  }

  /**
   * Inception-v4 (Szegedy et al. 2016, "Inception-v4, Inception-ResNet and the impact of residual
   * connections", figures 3-9) as timm's {@code inception_v4} (Cadene's {@code inceptionv4} port of
   * the TensorFlow model, with 1,000 classes): stem, 4 Inception-A, reduction A, 7 Inception-B,
   * reduction B, 3 Inception-C, global average pool, dense. 42,679,816 parameters at 299×299 and
   * 1,000 classes (timm's model card: 42.7M). Any input of at least 75×75.
   */
  static Network inceptionV4(Shape input, int classes) {
    Network.Builder b = Network.builder(input);
    String x = reduce(b, "stem_conv1", Network.INPUT, 32);
    x = valid(b, "stem_conv2", x, 32, 3, 3);
    x = conv(b, "stem_conv3", x, 64, 3);
    String pool = maxPool(b, "mixed_3a.maxpool", x);
    String c = reduce(b, "mixed_3a.conv", x, 96);
    b.add(new Concat("mixed_3a"), pool, c);
    x = "mixed_3a";
    String b0 = conv(b, "mixed_4a.branch0_0", x, 64, 1);
    b0 = valid(b, "mixed_4a.branch0_1", b0, 96, 3, 3);
    String b1 = conv(b, "mixed_4a.branch1_0", x, 64, 1);
    b1 = conv(b, "mixed_4a.branch1_1", b1, 64, 1, 7);
    b1 = conv(b, "mixed_4a.branch1_2", b1, 64, 7, 1);
    b1 = valid(b, "mixed_4a.branch1_3", b1, 96, 3, 3);
    b.add(new Concat("mixed_4a"), b0, b1);
    x = "mixed_4a";
    c = reduce(b, "mixed_5a.conv", x, 192);
    pool = maxPool(b, "mixed_5a.maxpool", x);
    b.add(new Concat("mixed_5a"), c, pool);
    x = "mixed_5a";
    for (int i = 1; i <= 4; i++) {
      x = v4A(b, "inception_a" + i, x);
    }
    b0 = reduce(b, "reduction_a.branch0", x, 384);
    b1 = conv(b, "reduction_a.branch1_0", x, 192, 1);
    b1 = conv(b, "reduction_a.branch1_1", b1, 224, 3);
    b1 = reduce(b, "reduction_a.branch1_2", b1, 256);
    b.add(new Concat("reduction_a"), b0, b1, maxPool(b, "reduction_a.branch2", x));
    x = "reduction_a";
    for (int i = 1; i <= 7; i++) {
      x = v4B(b, "inception_b" + i, x);
    }
    b0 = conv(b, "reduction_b.branch0_0", x, 192, 1);
    b0 = reduce(b, "reduction_b.branch0_1", b0, 192);
    b1 = conv(b, "reduction_b.branch1_0", x, 256, 1);
    b1 = conv(b, "reduction_b.branch1_1", b1, 256, 1, 7);
    b1 = conv(b, "reduction_b.branch1_2", b1, 320, 7, 1);
    b1 = reduce(b, "reduction_b.branch1_3", b1, 320);
    b.add(new Concat("reduction_b"), b0, b1, maxPool(b, "reduction_b.branch2", x));
    x = "reduction_b";
    for (int i = 1; i <= 3; i++) {
      x = v4C(b, "inception_c" + i, x);
    }
    return b.add(new GlobalPooling("global_pool", PoolParams.Kind.AVG), x).then(Zoo.dense("last_linear", classes))
        .build();
  }

  // ---- Inception-ResNet-v1 (as facenet-pytorch's InceptionResnetV1) ----

  /**
   * The residual end of a block: the branches concatenated, a 1×1 convolution with bias back to the
   * block's width, scaled and added to the block's input, then a ReLU unless it is the last block.
   */
  private static String residual(Network.Builder b, String p, String x, int channels, double scale, boolean relu,
      String... branches) {
    b.add(new Concat(p + ".cat"), branches);
    b.then(new Convolution(p + ".conv2d", channels, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0}, false,
        new int[] {1, 1}, 1, true, 0, Initializer.GLOROT_UNIFORM));
    b.add(new Add(p, new double[] {1, scale}), x, b.last());
    if (relu) {
      b.then(new ActivationLayer(p + ".relu", dev.fovea.kernels.Activation.RELU));
    }
    return b.last();
  }

  /**
   * Inception-ResNet-v1 (Szegedy et al. 2016, figures 10-14: the A block's three branches of 32
   * channels projected back to 256, reduction A with k, l, m, n = 192, 192, 256, 384, the B block's
   * 1×7/7×1 branch projected to 896, reduction B, the C block's 1×3/3×1 branch projected to 1792;
   * residuals scaled by 0.17, 0.10 and 0.20) as facenet-pytorch's {@code InceptionResnetV1} with
   * {@code classify=True}: 5 A, 10 B, 5 C blocks and a last C block without ReLU, global average
   * pool, dropout 0.6, a 1792 → 512 projection without bias, batch norm, and the classifier (a 1×1
   * convolution and a batch norm on the pooled 1×1 map here, which is the same). 23,482,624
   * parameters up to the 512-d embedding; 23,995,624 with 1,000 classes. Any input of at least
   * 75×75 (facenet's faces are 160×160).
   */
  static Network inceptionResnetV1(Shape input, int classes) {
    Network.Builder b = Network.builder(input);
    String x = stem(b, new String[] {"conv2d_1a", "conv2d_2a", "conv2d_2b", "maxpool_3a", "conv2d_3b"});
    x = Zoo.basicConv(b, "conv2d_4a", x, 192, 3, 3, 1, 0, 0);
    x = reduce(b, "conv2d_4b", x, 256);
    for (int i = 1; i <= 5; i++) {
      String p = "repeat_1." + i;
      String b0 = conv(b, p + ".branch0", x, 32, 1);
      String b1 = conv(b, p + ".branch1_0", x, 32, 1);
      b1 = conv(b, p + ".branch1_1", b1, 32, 3);
      String b2 = conv(b, p + ".branch2_0", x, 32, 1);
      b2 = conv(b, p + ".branch2_1", b2, 32, 3);
      b2 = conv(b, p + ".branch2_2", b2, 32, 3);
      x = residual(b, p, x, 256, 0.17, true, b0, b1, b2);
    }
    String b0 = reduce(b, "mixed_6a.branch0", x, 384);
    String b1 = conv(b, "mixed_6a.branch1_0", x, 192, 1);
    b1 = conv(b, "mixed_6a.branch1_1", b1, 192, 3);
    b1 = reduce(b, "mixed_6a.branch1_2", b1, 256);
    b.add(new Concat("mixed_6a"), b0, b1, maxPool(b, "mixed_6a.branch2", x));
    x = "mixed_6a";
    for (int i = 1; i <= 10; i++) {
      String p = "repeat_2." + i;
      b0 = conv(b, p + ".branch0", x, 128, 1);
      b1 = conv(b, p + ".branch1_0", x, 128, 1);
      b1 = conv(b, p + ".branch1_1", b1, 128, 1, 7);
      b1 = conv(b, p + ".branch1_2", b1, 128, 7, 1);
      x = residual(b, p, x, 896, 0.10, true, b0, b1);
    }
    b0 = conv(b, "mixed_7a.branch0_0", x, 256, 1);
    b0 = reduce(b, "mixed_7a.branch0_1", b0, 384);
    b1 = conv(b, "mixed_7a.branch1_0", x, 256, 1);
    b1 = reduce(b, "mixed_7a.branch1_1", b1, 256);
    String b2 = conv(b, "mixed_7a.branch2_0", x, 256, 1);
    b2 = conv(b, "mixed_7a.branch2_1", b2, 256, 3);
    b2 = reduce(b, "mixed_7a.branch2_2", b2, 256);
    b.add(new Concat("mixed_7a"), b0, b1, b2, maxPool(b, "mixed_7a.branch3", x));
    x = "mixed_7a";
    for (int i = 1; i <= 6; i++) {
      String p = i <= 5 ? "repeat_3." + i : "block8";
      b0 = conv(b, p + ".branch0", x, 192, 1);
      b1 = conv(b, p + ".branch1_0", x, 192, 1);
      b1 = conv(b, p + ".branch1_1", b1, 192, 1, 3);
      b1 = conv(b, p + ".branch1_2", b1, 192, 3, 1);
      x = residual(b, p, x, 1792, i <= 5 ? 0.20 : 1.0, i <= 5, b0, b1);
    }
    return b.add(AdaptivePooling.of2d("avgpool_1a", PoolParams.Kind.AVG, 1, 1), x)
        .then(new Dropout("dropout", 0.6, false))
        .then(new Convolution("last_linear", 512, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0}, false,
            new int[] {1, 1}, 1, false, 0, Initializer.GLOROT_UNIFORM))
        .then(new BatchNorm("last_bn", 1e-3, 0.1, true, true))
        .then(new Flatten("flatten"))
        .then(Zoo.dense("logits", classes))
        .build();
  }
}
