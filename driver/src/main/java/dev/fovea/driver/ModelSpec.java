package dev.fovea.driver;

import dev.fovea.data.shard.TargetSpec;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.Network;
import dev.fovea.nn.NetworkJson;
import dev.fovea.nn.Zoo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What {@code --model} names: a zoo architecture, a network file (the graph API's JSON or YAML,
 * see {@link NetworkJson}) or, from the Java API, a network's JSON description itself ({@link
 * TrainConfig.Builder#network}). Executors receive {@link #description()}: the zoo name, or the
 * network as JSON text, never a Java-serialized network.
 *
 * @param label how runs, logs and model files name it: the zoo name, the file's name, or
 *     "network"
 * @param zoo the zoo name, or null for a described network
 * @param json the network's description (canonical JSON, as {@link NetworkJson#toJsonString}
 *     writes it), or null for a zoo name
 */
public record ModelSpec(String label, String zoo, String json) {
  /** Network files are read whole; a description is small, and no file may make the driver allocate more. */
  static final long MAX_FILE_BYTES = 16L << 20;

  /**
   * Interprets {@code model}: JSON text (it starts with a brace), a zoo name, or a path (local or any
   * Hadoop file system) of a {@code .json}, {@code .yaml} or {@code .yml} network file, which is read
   * and parsed here, on the driver, so a bad file fails before any task starts.
   *
   * @throws IllegalArgumentException one line naming the model and what is wrong
   */
  public static ModelSpec resolve(String model, Configuration hadoop) {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("--model: missing; a zoo name (" + String.join(", ", Zoo.names())
          + ") or a network file (.json, .yaml)");
    }
    String t = model.strip();
    if (t.startsWith("{")) {
      Network net = NetworkJson.parse(t, "the network description");
      return new ModelSpec("network", null, NetworkJson.toJsonString(net));
    }
    if (Zoo.names().contains(t)) {
      return new ModelSpec(t, t, null);
    }
    String lower = t.toLowerCase(Locale.ROOT);
    boolean yaml = lower.endsWith(".yaml") || lower.endsWith(".yml");
    if (!yaml && !lower.endsWith(".json")) {
      throw new IllegalArgumentException("unknown model '" + t + "'; known: " + String.join(", ", Zoo.names())
          + ", or a network file (.json, .yaml, .yml)");
    }
    String text = read(t, hadoop);
    Network net = yaml ? NetworkJson.parseYaml(text, t) : NetworkJson.parse(text, t);
    return new ModelSpec(new Path(t).getName(), null, NetworkJson.toJsonString(net));
  }

  /**
   * A short name for {@code model} without reading anything: the zoo name or file path as given,
   * or "network" for a JSON description.
   */
  public static String labelOf(String model) {
    return model != null && model.strip().startsWith("{") ? "network" : model;
  }

  /**
   * This network trained with {@code loss} instead of its own ({@code --loss}); null keeps it.
   *
   * @throws IllegalArgumentException one line naming the network and the loss where the network's
   *     output does not fit the loss, or the network is a zoo network (class logits) and the loss is
   *     not softmax cross-entropy
   */
  public ModelSpec withLoss(Choices.LossName loss) {
    if (loss == null) {
      return this;
    }
    if (zoo != null) {
      if (loss == Choices.LossName.SOFTMAX_CROSS_ENTROPY) {
        return this;
      }
      throw new IllegalArgumentException("--loss " + loss.label() + ": " + label + " is a zoo network, which gives "
          + "class logits for softmax_cross_entropy; give a network file whose output fits " + loss.label());
    }
    Network net = NetworkJson.parse(json, label);
    try {
      return new ModelSpec(label, null, NetworkJson.toJsonString(net.withLoss(loss.loss())));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--loss " + loss.label() + ": " + label + ": " + e.getMessage(), e);
    }
  }

  /** What executors rebuild the network from: the zoo name, or the network's JSON description. */
  public String description() {
    return zoo != null ? zoo : json;
  }

  /**
   * The network for data of {@code input} samples and {@code classes} classes. A zoo architecture
   * is built for them; a described network must already take that input and give that many
   * outputs.
   *
   * @throws IllegalArgumentException one line naming both sides where a described network does not
   *     fit the data
   */
  public Network build(Shape input, int classes) {
    return build(input, classes, false);
  }

  /**
   * As {@link #build(Shape, int)}; with {@code asDescribed} a described network is returned as it
   * is, whatever its input and outputs ({@code input} and {@code classes} then only serve a zoo
   * name).
   */
  public Network build(Shape input, int classes, boolean asDescribed) {
    if (zoo != null) {
      return Zoo.build(zoo, input, classes);
    }
    Network net = NetworkJson.parse(json, label);
    if (!asDescribed && (!net.inputShape().equals(input) || net.numClasses() != classes)) {
      throw new IllegalArgumentException(label + ": the network takes input " + net.inputShape() + " and gives "
          + net.numClasses() + " outputs; the data has samples of " + input + " and " + classes + " classes");
    }
    return net;
  }

  /**
   * The network for training on a shard set of {@code input} samples, {@code classes} classes and
   * targets {@code target}, augmented by {@code augment}: {@link #build(Shape, int)} for class
   * targets; for any other, a described network whose loss reads that kind of target and whose
   * output has the target's shape, and no augmentation (it would move the input and not the
   * target).
   *
   * @throws IllegalArgumentException one line naming both sides where the network and the data do
   *     not fit
   */
  public Network build(Shape input, int classes, TargetSpec target, Choices.Augment augment) {
    if (target.isClass()) {
      Network described = zoo != null ? null : NetworkJson.parse(json, label);
      if (described != null && !described.loss().readsLabels()) {
        throw new IllegalArgumentException(label + ": the network's loss " + described.loss().id() + " needs "
            + String.join(" or ", described.loss().targetKinds()) + " targets; the shard set has class targets ("
            + classes + " classes)");
      }
      return build(input, classes);
    }
    if (zoo != null) {
      throw new IllegalArgumentException(label + ": a zoo network gives class logits (softmax_cross_entropy); the "
          + "shard set has " + target.describe() + " targets; give a network file whose output fits them");
    }
    Network net = NetworkJson.parse(json, label);
    if (!net.loss().targetKinds().contains(target.kind())) {
      throw new IllegalArgumentException(label + ": the network's loss " + net.loss().id() + " needs "
          + String.join(" or ", net.loss().targetKinds()) + " targets; the shard set has " + target.describe()
          + " targets");
    }
    if (!net.inputShape().equals(input)
        || !net.loss().targetShape(net.outputShape()).equals(target.tensorShape())) {
      throw new IllegalArgumentException(label + ": the network takes input " + net.inputShape() + " and gives "
          + net.outputShape() + "; the data has samples of " + input + " and " + target.describe() + " targets");
    }
    if (augment != null && augment != Choices.Augment.NONE) {
      throw new IllegalArgumentException("--augment " + augment.label() + ": the shard set has " + target.describe()
          + " targets, which augmentation would not move with the input; use --augment none");
    }
    return net;
  }

  /**
   * Checks, before Spark starts, that this network fits the training shard set {@code c} names when
   * that set exists already (its manifest is read; nothing else): as {@link #build(Shape, int,
   * TargetSpec, String)} does when the run starts. A set still to be sharded is checked then.
   *
   * @throws IllegalArgumentException one line naming both sides
   */
  public void checkExistingShards(TrainConfig c, Configuration hadoop) {
    String dir = c.shardRoot() + "/train";
    if (c.data() != null || !dev.fovea.data.shard.ShardReader.hasManifest(hadoop, dir)) {
      return;
    }
    dev.fovea.data.shard.Manifest m = dev.fovea.data.shard.ShardReader.readManifest(hadoop, dir);
    build(InputTransforms.inputShape(c, m), m.classes().size(), m.targetSpec(), c.augment());
  }

  private static String read(String file, Configuration hadoop) {
    Path p = new Path(file);
    try {
      FileSystem fs = p.getFileSystem(hadoop);
      org.apache.hadoop.fs.FileStatus status;
      try {
        status = fs.getFileStatus(p);
      } catch (java.io.FileNotFoundException e) {
        throw new IllegalArgumentException(file + ": no such network file", e);
      }
      if (!status.isFile()) {
        throw new IllegalArgumentException(file + ": not a file");
      }
      long length = status.getLen();
      if (length > MAX_FILE_BYTES) {
        throw new IllegalArgumentException(file + ": " + length + " bytes; a network file may have at most "
            + MAX_FILE_BYTES);
      }
      try (InputStream in = fs.open(p)) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) length);
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
          bytes.write(buf, 0, n);
          if (bytes.size() > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(file + ": more than " + MAX_FILE_BYTES + " bytes");
          }
        }
        return bytes.toString(StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read the network file: " + e.getMessage(), e);
    }
  }
}
