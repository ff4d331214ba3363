package dev.fovea.nn;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import java.util.List;
import java.util.Locale;

/**
 * Named architectures. Each takes the input sample shape {@code (C, H, W)} and the class count; the
 * parameter counts at {@code (3, 224, 224)} and 1,000 classes equal those of the implementation
 * each follows (named in its Javadoc and checked by {@code ZooTest}).
 *
 * <p>Where torchvision ends its feature extractor with an adaptive average pool to a fixed size
 * (AlexNet's 6×6, VGG's 7×7), these builds leave it out: at 224×224 that pool is the identity, and
 * at other input sizes the first dense layer takes whatever the features give ({@link
 * AdaptivePooling} adds it to a network of one's own). Networks ending in global pooling take other
 * input sizes with the same parameters through {@link Network#withInputShape}. Max pools that
 * torchvision runs with {@code ceil_mode=True} use one cell of padding instead, which gives the same
 * output sizes on these networks.
 */
public final class Zoo {
  private Zoo() {}

  private static final List<String> NAMES = List.of("lenet", "lenet_bn", "lenet5", "alexnet", "vgg11", "vgg13", "vgg16",
      "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn", "resnet18", "resnet34", "resnet50", "resnet101",
      "resnet152", "resnet20", "resnet56", "googlenet", "googlenet_aux", "inception_v3", "inception_v3_aux",
      "inception_v4", "inception_resnet_v1", "inception_resnet_v2");

  private static IllegalArgumentException unknown(String name) {
    return new IllegalArgumentException("unknown model '" + name + "'; known: " + String.join(", ", NAMES));
  }

  /** Names {@link #build} accepts. */
  public static List<String> names() {
    return NAMES;
  }

  /**
   * The input {@code (C, H, W)} the model called {@code name} was designed for: 1×28×28 for the
   * LeNets, 3×32×32 for the CIFAR ResNets, 3×299×299 for Inception-v3, Inception-v4 and
   * Inception-ResNet-v2, 3×160×160 for Inception-ResNet-v1 (facenet's faces) and 3×224×224 (ImageNet)
   * for the rest. Benchmarks build zoo models with it.
   */
  public static Shape designInput(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (!NAMES.contains(n)) {
      throw unknown(name);
    }
    return switch (n) {
      case "lenet", "lenet_bn", "lenet5" -> Shape.of(1, 28, 28);
      case "resnet20", "resnet56" -> Shape.of(3, 32, 32);
      case "inception_resnet_v2", "inception_v3", "inception_v3_aux", "inception_v4" -> Shape.of(3, 299, 299);
      case "inception_resnet_v1" -> Shape.of(3, 160, 160);
      default -> Shape.of(3, 224, 224);
    };
  }

  /** The classes of the dataset {@link #designInput} belongs to: 10 (MNIST, CIFAR-10) or 1000 (ImageNet). */
  public static int designClasses(String name) {
    return designInput(name).dim(1) <= 32 ? 10 : 1000;
  }

  /** The architecture called {@code name} for inputs {@code (C, H, W)} and {@code classes} outputs. */
  public static Network build(String name, Shape input, int classes) {
    String n = name.toLowerCase(Locale.ROOT);
    return switch (n) {
      case "lenet" -> lenet(input, classes);
      case "lenet_bn" -> lenetBn(input, classes);
      case "lenet5" -> lenet5(input, classes);
      case "alexnet" -> alexnet(input, classes);
      case "vgg11", "vgg13", "vgg16", "vgg19" -> vgg(Integer.parseInt(n.substring(3)), false, input, classes);
      case "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn" ->
          vgg(Integer.parseInt(n.substring(3, 5)), true, input, classes);
      case "resnet18", "resnet34", "resnet50", "resnet101", "resnet152" ->
          resnet(Integer.parseInt(n.substring(6)), input, classes);
      case "resnet20", "resnet56" -> cifarResnet(Integer.parseInt(n.substring(6)), input, classes);
      case "googlenet" -> googlenet(input, classes, false);
      case "googlenet_aux" -> googlenet(input, classes, true);
      case "inception_v3" -> InceptionNets.inceptionV3(input, classes, false);
      case "inception_v3_aux" -> InceptionNets.inceptionV3(input, classes, true);
      case "inception_v4" -> InceptionNets.inceptionV4(input, classes);
      case "inception_resnet_v1" -> InceptionNets.inceptionResnetV1(input, classes);
      case "inception_resnet_v2" -> inceptionResnetV2(input, classes);
      default -> throw unknown(name);
    };
  }

  private static ActivationLayer relu(String name) {
    return new ActivationLayer(name, Activation.RELU);
  }

  static Dense dense(String name, int units) {
    return new Dense(name, units, Initializer.GLOROT_UNIFORM);
  }

  /**
   * LeNet as in Caffe's MNIST example: conv 5×5×20 → max-pool 2 → conv 5×5×50 → max-pool 2 → dense
   * 500 → ReLU → dense classes. 431,080 parameters for (1, 28, 28) and 10 classes. The convolutions
   * have no activation between them, so they start Glorot-uniform (Caffe's "xavier"), not He: He's
   * factor 2 assumes a ReLU halves the variance, and without one the activations grow layer by layer.
   */
  public static Network lenet(Shape input, int classes) {
    return Network.sequential(input, List.of(
        new Conv2d("conv1", 20, 5, 1, 0, Initializer.GLOROT_UNIFORM),
        new MaxPool2d("pool1", 2),
        new Conv2d("conv2", 50, 5, 1, 0, Initializer.GLOROT_UNIFORM),
        new MaxPool2d("pool2", 2),
        new Flatten("flatten"),
        new Dense("fc1", 500, Initializer.HE_NORMAL),
        new ActivationLayer("relu1", Activation.RELU),
        new Dense("fc2", classes, Initializer.GLOROT_UNIFORM)));
  }

  /**
   * Caffe's LeNet with the regularisation of the 2010s: each convolution followed by batch norm and a
   * ReLU, and dropout 0.5 before the classifier: conv 5×5×20 → BN → ReLU → max-pool 2 → conv 5×5×50 →
   * BN → ReLU → max-pool 2 → dense 500 → ReLU → dropout 0.5 → dense classes. The convolutions have no
   * bias (batch norm's beta replaces it) and start He-normal, since a ReLU follows each. 431,150
   * parameters (plus 140 batch-norm statistics) for (1, 28, 28) and 10 classes. On Fashion-MNIST
   * with 2 workers, 20 cosine epochs with horizontal flips gave 0.9252, 0.9258 and 0.9229 test
   * accuracy with three seeds, in about 5½ minutes each on 2 cores (README).
   */
  public static Network lenetBn(Shape input, int classes) {
    return Network.builder(input)
        .then(Convolution.conv2d("conv1", 20, 5, 1, 0, false)).then(BatchNorm.of("bn1")).then(relu("relu1"))
        .then(Pooling.max2d("pool1", 2, 2, 0))
        .then(Convolution.conv2d("conv2", 50, 5, 1, 0, false)).then(BatchNorm.of("bn2")).then(relu("relu2"))
        .then(Pooling.max2d("pool2", 2, 2, 0))
        .then(new Flatten("flatten"))
        .then(new Dense("fc1", 500, Initializer.HE_NORMAL)).then(relu("relu3"))
        .then(new Dropout("drop", 0.5, false))
        .then(dense("fc2", classes))
        .build();
  }

  /**
   * LeNet-5 (LeCun et al. 1998) with full C3 connectivity, tanh and average pooling, as most modern
   * re-implementations (e.g. d2l.ai): conv 5×5×6 → avg-pool 2 → conv 5×5×16 → avg-pool 2 → dense 120
   * → dense 84 → dense classes. For 28×28 inputs the first convolution pads by 2 (the paper's 32×32
   * input has the MNIST digit centred with that border). 61,706 parameters for 10 classes.
   */
  public static Network lenet5(Shape input, int classes) {
    int pad = input.rank() == 3 && input.dim(1) < 32 ? (32 - input.dim(1) + 1) / 2 : 0;
    Activation tanh = Activation.of(Activation.Kind.TANH);
    return Network.sequential(input, List.of(
        new Convolution("c1", 6, new int[] {5, 5}, new int[] {1, 1}, new int[] {pad, pad}, false, new int[] {1, 1},
            1, true, 0, Initializer.GLOROT_UNIFORM),
        new ActivationLayer("tanh1", tanh),
        Pooling.avg2d("s2", 2, 2, 0),
        new Convolution("c3", 16, new int[] {5, 5}, new int[] {1, 1}, new int[] {0, 0}, false, new int[] {1, 1}, 1,
            true, 0, Initializer.GLOROT_UNIFORM),
        new ActivationLayer("tanh3", tanh),
        Pooling.avg2d("s4", 2, 2, 0),
        new Flatten("flatten"),
        dense("f5", 120),
        new ActivationLayer("tanh5", tanh),
        dense("f6", 84),
        new ActivationLayer("tanh6", tanh),
        dense("output", classes)));
  }

  /**
   * AlexNet as torchvision's {@code alexnet} (the one-GPU variant of Krizhevsky's "one weird trick"
   * paper): 61,100,840 parameters at 224×224 and 1,000 classes.
   */
  public static Network alexnet(Shape input, int classes) {
    return Network.builder(input)
        .then(Convolution.conv2d("conv1", 64, 11, 4, 2, true)).then(relu("relu1"))
        .then(Pooling.max2d("pool1", 3, 2, 0))
        .then(Convolution.conv2d("conv2", 192, 5, 1, 2, true)).then(relu("relu2"))
        .then(Pooling.max2d("pool2", 3, 2, 0))
        .then(Convolution.conv2d("conv3", 384, 3, 1, 1, true)).then(relu("relu3"))
        .then(Convolution.conv2d("conv4", 256, 3, 1, 1, true)).then(relu("relu4"))
        .then(Convolution.conv2d("conv5", 256, 3, 1, 1, true)).then(relu("relu5"))
        .then(Pooling.max2d("pool5", 3, 2, 0))
        .then(new Flatten("flatten"))
        .then(new Dropout("drop6", 0.5, false)).then(dense("fc6", 4096)).then(relu("relu6"))
        .then(new Dropout("drop7", 0.5, false)).then(dense("fc7", 4096)).then(relu("relu7"))
        .then(dense("fc8", classes))
        .build();
  }

  private static int[] vggConfig(int depth) {
    return switch (depth) {
      case 11 -> new int[] {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
      case 13 -> new int[] {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
      case 16 -> new int[] {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
      case 19 -> new int[] {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512,
          0};
      default -> throw new IllegalArgumentException("VGG depth must be 11, 13, 16 or 19, got " + depth);
    };
  }

  /**
   * VGG-11/13/16/19 (configurations A, B, D, E of Simonyan and Zisserman), with or without batch
   * norm after each convolution, as torchvision's {@code vgg16} / {@code vgg16_bn}: 3×3 convolutions
   * with bias, 2×2 max pools, then dense 4096 → 4096 → classes with dropout 0.5. VGG-16 has
   * 138,357,544 parameters at 224×224 and 1,000 classes.
   */
  public static Network vgg(int depth, boolean batchNorm, Shape input, int classes) {
    Network.Builder b = Network.builder(input);
    int block = 1;
    int conv = 1;
    for (int c : vggConfig(depth)) {
      if (c == 0) {
        b.then(Pooling.max2d("pool" + block, 2, 2, 0));
        block++;
        conv = 1;
        continue;
      }
      String name = "conv" + block + "_" + conv;
      b.then(Convolution.conv2d(name, c, 3, 1, 1, true));
      if (batchNorm) {
        b.then(BatchNorm.of("bn" + block + "_" + conv));
      }
      b.then(relu("relu" + block + "_" + conv));
      conv++;
    }
    return b.then(new Flatten("flatten"))
        .then(dense("fc6", 4096)).then(relu("relu6")).then(new Dropout("drop6", 0.5, false))
        .then(dense("fc7", 4096)).then(relu("relu7")).then(new Dropout("drop7", 0.5, false))
        .then(dense("fc8", classes))
        .build();
  }

  /** conv (no bias) → batch norm → optional ReLU; returns the name of the last layer. */
  private static String convBn(Network.Builder b, String name, String from, int filters, int kernel, int stride,
      int pad, boolean relu) {
    b.add(Convolution.conv2d(name, filters, kernel, stride, pad, false), from);
    b.then(BatchNorm.of(name + "_bn"));
    if (relu) {
      b.then(relu(name + "_relu"));
    }
    return b.last();
  }

  /**
   * ResNet-18/34/50/101/152 as torchvision's {@code resnet50} (He et al. 2015, with the v1.5
   * bottleneck that strides in its 3×3 convolution; projection shortcuts where the shape changes).
   * ResNet-50 has 25,557,032 parameters at 224×224 and 1,000 classes.
   */
  public static Network resnet(int depth, Shape input, int classes) {
    int[] blocks = switch (depth) {
      case 18 -> new int[] {2, 2, 2, 2};
      case 34, 50 -> new int[] {3, 4, 6, 3};
      case 101 -> new int[] {3, 4, 23, 3};
      case 152 -> new int[] {3, 8, 36, 3};
      default -> throw new IllegalArgumentException("ResNet depth must be 18, 34, 50, 101 or 152, got " + depth);
    };
    boolean bottleneck = depth >= 50;
    Network.Builder b = Network.builder(input);
    String x = convBn(b, "conv1", Network.INPUT, 64, 7, 2, 3, true);
    b.add(Pooling.max2d("maxpool", 3, 2, 1), x);
    x = b.last();
    int channels = 64;
    for (int stage = 0; stage < 4; stage++) {
      int planes = 64 << stage;
      for (int i = 0; i < blocks[stage]; i++) {
        int stride = stage > 0 && i == 0 ? 2 : 1;
        String p = "layer" + (stage + 1) + "." + i;
        int out = bottleneck ? planes * 4 : planes;
        String y;
        if (bottleneck) {
          y = convBn(b, p + ".conv1", x, planes, 1, 1, 0, true);
          y = convBn(b, p + ".conv2", y, planes, 3, stride, 1, true);
          y = convBn(b, p + ".conv3", y, out, 1, 1, 0, false);
        } else {
          y = convBn(b, p + ".conv1", x, planes, 3, stride, 1, true);
          y = convBn(b, p + ".conv2", y, planes, 3, 1, 1, false);
        }
        String shortcut = x;
        if (stride != 1 || channels != out) {
          shortcut = convBn(b, p + ".downsample", x, out, 1, stride, 0, false);
        }
        b.add(Add.of(p + ".add"), y, shortcut).then(relu(p + ".relu"));
        x = b.last();
        channels = out;
      }
    }
    return b.then(new GlobalPooling("avgpool", PoolParams.Kind.AVG)).then(dense("fc", classes)).build();
  }

  /**
   * ResNet-20/56 for 32×32 inputs (He et al. 2015, section 4.2): a 3×3×16 convolution, three stages
   * of n basic blocks with 16, 32, 64 filters (n = (depth - 2) / 6), global average pooling, dense.
   * Where the shape changes the shortcut is a 1×1 projection with batch norm (the paper's option B);
   * the paper's CIFAR models use option A (parameter-free zero-padding), so these have 2,752 more
   * parameters than its 0.27M / 0.85M: 272,474 (ResNet-20) and 855,770 (ResNet-56) for 10 classes.
   */
  public static Network cifarResnet(int depth, Shape input, int classes) {
    if ((depth - 2) % 6 != 0) {
      throw new IllegalArgumentException("CIFAR ResNet depth must be 6n + 2, got " + depth);
    }
    int n = (depth - 2) / 6;
    Network.Builder b = Network.builder(input);
    String x = convBn(b, "conv1", Network.INPUT, 16, 3, 1, 1, true);
    int channels = 16;
    for (int stage = 0; stage < 3; stage++) {
      int planes = 16 << stage;
      for (int i = 0; i < n; i++) {
        int stride = stage > 0 && i == 0 ? 2 : 1;
        String p = "stage" + (stage + 1) + "." + i;
        String y = convBn(b, p + ".conv1", x, planes, 3, stride, 1, true);
        y = convBn(b, p + ".conv2", y, planes, 3, 1, 1, false);
        String shortcut = x;
        if (stride != 1 || channels != planes) {
          shortcut = convBn(b, p + ".shortcut", x, planes, 1, stride, 0, false);
        }
        b.add(Add.of(p + ".add"), y, shortcut).then(relu(p + ".relu"));
        x = b.last();
        channels = planes;
      }
    }
    return b.then(new GlobalPooling("avgpool", PoolParams.Kind.AVG)).then(dense("fc", classes)).build();
  }

  /** torchvision's BasicConv2d: conv without bias, batch norm (epsilon 0.001), ReLU. */
  private static String basicConv(Network.Builder b, String name, String from, int filters, int kernel, int stride,
      int pad) {
    return basicConv(b, name, from, filters, kernel, kernel, stride, pad, pad);
  }

  /** {@link #basicConv} with a (kh, kw) kernel and (ph, pw) padding (the factorised convolutions). */
  static String basicConv(Network.Builder b, String name, String from, int filters, int kh, int kw, int stride, int ph,
      int pw) {
    b.add(new Convolution(name, filters, new int[] {kh, kw}, new int[] {stride, stride}, new int[] {ph, pw}, false,
        new int[] {1, 1}, 1, false, 0, Initializer.HE_NORMAL), from);
    b.then(new BatchNorm(name + "_bn", 1e-3, 0.1, true, true)).then(relu(name + "_relu"));
    return b.last();
  }

  private static String inception(Network.Builder b, String p, String x, int c1, int c3r, int c3, int c5r, int c5,
      int pool) {
    String b1 = basicConv(b, p + ".branch1", x, c1, 1, 1, 0);
    String b2 = basicConv(b, p + ".branch2a", x, c3r, 1, 1, 0);
    b2 = basicConv(b, p + ".branch2b", b2, c3, 3, 1, 1);
    // torchvision's "5x5" branch uses a 3x3 kernel (a known quirk kept for its pretrained weights)
    String b3 = basicConv(b, p + ".branch3a", x, c5r, 1, 1, 0);
    b3 = basicConv(b, p + ".branch3b", b3, c5, 3, 1, 1);
    b.add(Pooling.max2d(p + ".branch4_pool", 3, 1, 1), x);
    String b4 = basicConv(b, p + ".branch4", b.last(), pool, 1, 1, 0);
    b.add(new Concat(p), b1, b2, b3, b4);
    return p;
  }

  static int down(int size, int kernel, int stride, int pad) {
    return (size + 2 * pad - kernel) / stride + 1;
  }

  private static void inceptionAux(Network.Builder b, String p, String x, int spatial, int classes) {
    // torchvision pools adaptively to 4x4 (the paper: 5x5, stride 3, from 14x14); below 14x14 a global pool
    if (spatial >= 14) {
      b.add(Pooling.avg2d(p + ".pool", 5, 3, 0), x);
    } else {
      b.add(Pooling.avg2d(p + ".pool", spatial, spatial, 0), x);
    }
    basicConv(b, p + ".conv", b.last(), 128, 1, 1, 0);
    b.then(new Flatten(p + ".flatten")).then(dense(p + ".fc1", 1024)).then(relu(p + ".relu"))
        .then(new Dropout(p + ".dropout", 0.7, false)).then(dense(p + ".fc2", classes));
  }

  /**
   * GoogLeNet (Inception v1, Szegedy et al. 2014) as torchvision's {@code googlenet}: convolutions
   * with batch norm, the "5×5" branches with 3×3 kernels, dropout 0.2 before the classifier. Without
   * the auxiliary classifiers it has 6,624,904 parameters at 224×224 and 1,000 classes; with them
   * ({@code googlenet_aux}, each loss weighted 0.3 in training and unused at evaluation)
   * 13,004,888.
   */
  public static Network googlenet(Shape input, int classes, boolean aux) {
    Network.Builder b = Network.builder(input);
    String x = basicConv(b, "conv1", Network.INPUT, 64, 7, 2, 3);
    b.add(Pooling.max2d("maxpool1", 3, 2, 1), x);
    x = basicConv(b, "conv2", b.last(), 64, 1, 1, 0);
    x = basicConv(b, "conv3", x, 192, 3, 1, 1);
    b.add(Pooling.max2d("maxpool2", 3, 2, 1), x);
    x = inception(b, "inception3a", b.last(), 64, 96, 128, 16, 32, 32);
    x = inception(b, "inception3b", x, 128, 128, 192, 32, 96, 64);
    b.add(Pooling.max2d("maxpool3", 3, 2, 1), x);
    x = inception(b, "inception4a", b.last(), 192, 96, 208, 16, 48, 64);
    int s = down(down(down(down(input.dim(1), 7, 2, 3), 3, 2, 1), 3, 2, 1), 3, 2, 1);
    if (aux) {
      inceptionAux(b, "aux1", x, s, classes);
    }
    x = inception(b, "inception4b", x, 160, 112, 224, 24, 64, 64);
    x = inception(b, "inception4c", x, 128, 128, 256, 24, 64, 64);
    x = inception(b, "inception4d", x, 112, 144, 288, 32, 64, 64);
    if (aux) {
      inceptionAux(b, "aux2", x, s, classes);
    }
    x = inception(b, "inception4e", x, 256, 160, 320, 32, 128, 128);
    b.add(Pooling.max2d("maxpool4", 2, 2, 0), x);
    x = inception(b, "inception5a", b.last(), 256, 160, 320, 32, 128, 128);
    x = inception(b, "inception5b", x, 384, 192, 384, 48, 128, 128);
    b.add(new GlobalPooling("avgpool", PoolParams.Kind.AVG), x)
        .then(new Dropout("dropout", 0.2, false)).then(dense("fc", classes)).output("fc");
    if (aux) {
      b.auxOutput("aux1.fc2", 0.3).auxOutput("aux2.fc2", 0.3);
    }
    return b.build();
  }

  /** Keras's conv2d_bn: conv without bias, batch norm without scale (epsilon 0.001), ReLU. */
  private static String kconv(Network.Builder b, String name, String from, int filters, int kh, int kw, int stride,
      boolean same) {
    b.add(Convolution.keras2d(name, filters, kh, kw, stride, same, false), from);
    b.then(new BatchNorm(name + "_bn", 1e-3, 0.01, false, true)).then(relu(name + "_ac"));
    return b.last();
  }

  private static String kconv(Network.Builder b, String name, String from, int filters, int k) {
    return kconv(b, name, from, filters, k, k, 1, true);
  }

  private static String residualBlock(Network.Builder b, String p, String x, int channels, double scale,
      boolean activation, String... branches) {
    b.add(new Concat(p + "_mixed"), branches);
    b.then(Convolution.keras2d(p + "_conv", channels, 1, 1, 1, true, true));
    b.add(new Add(p, new double[] {1, scale}), x, b.last());
    if (activation) {
      b.then(relu(p + "_ac"));
    }
    return b.last();
  }

  /**
   * Inception-ResNet-v2 (Szegedy et al. 2016) as Keras Applications' {@code InceptionResNetV2}:
   * convolutions without bias followed by batch norm without scale; the residual branches' 1×1
   * projections with bias and no batch norm, scaled by 0.17, 0.1 and 0.2. At 299×299 (or any size
   * ≥ 75) and 1,000 classes: 55,813,192 trainable parameters plus 60,544 batch-norm statistics,
   * Keras's 55,873,736 in total.
   */
  public static Network inceptionResnetV2(Shape input, int classes) {
    Network.Builder b = Network.builder(input);
    String x = kconv(b, "conv2d_1", Network.INPUT, 32, 3, 3, 2, false);
    x = kconv(b, "conv2d_2", x, 32, 3, 3, 1, false);
    x = kconv(b, "conv2d_3", x, 64, 3);
    b.add(Pooling.max2d("max_pooling2d_1", 3, 2, 0), x);
    x = kconv(b, "conv2d_4", b.last(), 80, 1, 1, 1, false);
    x = kconv(b, "conv2d_5", x, 192, 3, 3, 1, false);
    b.add(Pooling.max2d("max_pooling2d_2", 3, 2, 0), x);
    x = b.last();
    // mixed 5b
    String b0 = kconv(b, "mixed_5b_b0", x, 96, 1);
    String b1 = kconv(b, "mixed_5b_b1a", x, 48, 1);
    b1 = kconv(b, "mixed_5b_b1b", b1, 64, 5);
    String b2 = kconv(b, "mixed_5b_b2a", x, 64, 1);
    b2 = kconv(b, "mixed_5b_b2b", b2, 96, 3);
    b2 = kconv(b, "mixed_5b_b2c", b2, 96, 3);
    b.add(Pooling.same2d("mixed_5b_pool", PoolParams.Kind.AVG, 3, 1), x);
    String bp = kconv(b, "mixed_5b_b3", b.last(), 64, 1);
    b.add(new Concat("mixed_5b"), b0, b1, b2, bp);
    x = "mixed_5b";
    for (int i = 1; i <= 10; i++) {
      String p = "block35_" + i;
      b0 = kconv(b, p + "_b0", x, 32, 1);
      b1 = kconv(b, p + "_b1a", x, 32, 1);
      b1 = kconv(b, p + "_b1b", b1, 32, 3);
      b2 = kconv(b, p + "_b2a", x, 32, 1);
      b2 = kconv(b, p + "_b2b", b2, 48, 3);
      b2 = kconv(b, p + "_b2c", b2, 64, 3);
      x = residualBlock(b, p, x, 320, 0.17, true, b0, b1, b2);
    }
    // mixed 6a
    b0 = kconv(b, "mixed_6a_b0", x, 384, 3, 3, 2, false);
    b1 = kconv(b, "mixed_6a_b1a", x, 256, 1);
    b1 = kconv(b, "mixed_6a_b1b", b1, 256, 3);
    b1 = kconv(b, "mixed_6a_b1c", b1, 384, 3, 3, 2, false);
    b.add(Pooling.max2d("mixed_6a_pool", 3, 2, 0), x);
    b.add(new Concat("mixed_6a"), b0, b1, "mixed_6a_pool");
    x = "mixed_6a";
    for (int i = 1; i <= 20; i++) {
      String p = "block17_" + i;
      b0 = kconv(b, p + "_b0", x, 192, 1);
      b1 = kconv(b, p + "_b1a", x, 128, 1);
      b1 = kconv(b, p + "_b1b", b1, 160, 1, 7, 1, true);
      b1 = kconv(b, p + "_b1c", b1, 192, 7, 1, 1, true);
      x = residualBlock(b, p, x, 1088, 0.1, true, b0, b1);
    }
    // mixed 7a
    b0 = kconv(b, "mixed_7a_b0a", x, 256, 1);
    b0 = kconv(b, "mixed_7a_b0b", b0, 384, 3, 3, 2, false);
    b1 = kconv(b, "mixed_7a_b1a", x, 256, 1);
    b1 = kconv(b, "mixed_7a_b1b", b1, 288, 3, 3, 2, false);
    b2 = kconv(b, "mixed_7a_b2a", x, 256, 1);
    b2 = kconv(b, "mixed_7a_b2b", b2, 288, 3);
    b2 = kconv(b, "mixed_7a_b2c", b2, 320, 3, 3, 2, false);
    b.add(Pooling.max2d("mixed_7a_pool", 3, 2, 0), x);
    b.add(new Concat("mixed_7a"), b0, b1, b2, "mixed_7a_pool");
    x = "mixed_7a";
    for (int i = 1; i <= 10; i++) {
      String p = "block8_" + i;
      b0 = kconv(b, p + "_b0", x, 192, 1);
      b1 = kconv(b, p + "_b1a", x, 192, 1);
      b1 = kconv(b, p + "_b1b", b1, 224, 1, 3, 1, true);
      b1 = kconv(b, p + "_b1c", b1, 256, 3, 1, 1, true);
      x = residualBlock(b, p, x, 2080, i < 10 ? 0.2 : 1.0, i < 10, b0, b1);
    }
    kconv(b, "conv_7b", x, 1536, 1);
    return b.then(new GlobalPooling("avg_pool", PoolParams.Kind.AVG)).then(dense("predictions", classes)).build();
  }
}
