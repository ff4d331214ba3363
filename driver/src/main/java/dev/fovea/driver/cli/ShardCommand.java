package dev.fovea.driver.cli;

import dev.fovea.driver.DatasetPreparer;
import dev.fovea.driver.SparkSessions;
import dev.fovea.driver.TrainConfig;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fovea shard}: write shard sets. IDX and CIFAR sources give {@code <out>/train} and {@code
 * <out>/test}; a folder of class folders or one split of an ImageNet tree gives one set in {@code
 * <out>}.
 */
@Command(name = "shard", mixinStandardHelpOptions = true,
    description = {"Shard a dataset into Parquet files + manifest.json with a Spark job.",
        "idx, cifar: --data DIR -> <out>/train and <out>/test;",
        "folder (one folder per class), imagenet (--split, --labels): one set in <out>."})
final class ShardCommand implements Callable<Integer> {
  @Option(names = "--source", description = "idx, cifar, folder or imagenet (default: ${DEFAULT-VALUE})")
  String source = "idx";

  @Option(names = "--encoding", description = "for folder and imagenet: jpeg or raw (default: ${DEFAULT-VALUE})")
  String encoding = "jpeg";

  @Option(names = "--channels", description = "for folder and imagenet: 1 (grey) or 3 (RGB) (default: "
      + "${DEFAULT-VALUE})")
  int channels = 3;

  @Option(names = "--shorter-side", description = "jpeg: resize the shorter side to this; 0 keeps the size "
      + "(default: ${DEFAULT-VALUE})")
  int shorterSide;

  @Option(names = "--quality", description = "jpeg quality (default: ${DEFAULT-VALUE})")
  int quality = 90;

  @Option(names = "--size", paramLabel = "HxW", description = "raw: the size every image must have, e.g. 28x28")
  String size;

  @Option(names = "--split", description = "imagenet: the split folder (default: ${DEFAULT-VALUE})")
  String split = "train";

  @Option(names = "--labels", paramLabel = "FILE", description = "imagenet: labels file of a flat split")
  String labels;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", paramLabel = "DIR", description = "the source folder (default: ${DEFAULT-VALUE})")
  String data = TrainConfig.DEFAULT_DATA;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "shard sets folder")
  String out;

  @Option(names = "--shard-count", description = "shard files for the training set; 0 = automatic (default: 0)")
  int shardCount;

  @Option(names = "--seed", description = "seed of the global shuffle (default: ${DEFAULT-VALUE})")
  long seed = TrainConfig.defaults().seed();

  @Option(names = "--master", description = "Spark master URL (default: from spark-submit, else local[2])")
  String master;

  @Option(names = "--target", description = "idx, cifar, folder (DIR/train and DIR/test): class (the label), self "
      + "(the image itself, with the input area-resized to --input-size: super-resolution, autoencoders), or from "
      + "--targets: multi_hot (a CSV of label lists), float_vector (a CSV of values), mask (PNG masks paired by "
      + "name) (default: ${DEFAULT-VALUE})")
  String target = "class";

  @Option(names = "--targets", paramLabel = "DIR", description = "--target multi_hot or float_vector: DIR/train.csv "
      + "and DIR/test.csv, rows index,labels (separated by ;) or index,v1,...,vD; mask: DIR/train/<index>.png and "
      + "DIR/test/<index>.png, a class per pixel; folder: rows keyed by the image's path <class>/<file>, masks "
      + "DIR/train/<class>/<file base name>.png")
  String targets;

  /** The kinds --target takes: the label, the image itself, and the kinds read from --targets. */
  private static final java.util.List<String> TARGETS = java.util.List.of("class", "self", "multi_hot",
      "float_vector", "mask");

  @Option(names = "--input-size", paramLabel = "PX", description = "--target self: the inputs' height and width, "
      + "e.g. 14 for 28x28 images")
  int inputSize;

  @Option(names = "--limit", paramLabel = "N", description = "idx, cifar: shard only the first N samples of each "
      + "split (0 = all; for quick runs) (default: 0)")
  int limit;

  @Override
  public Integer call() {
    if (!TARGETS.contains(target)) {
      throw new IllegalArgumentException("invalid value " + target + " for --target: must be one of "
          + String.join(", ", TARGETS));
    }
    boolean fromFiles = !target.equals("class") && !target.equals("self");
    if (fromFiles != (targets != null)) {
      throw new IllegalArgumentException(fromFiles ? "--target " + target + " needs --targets DIR"
          : "--targets needs --target multi_hot, float_vector or mask");
    }
    if (target.equals("self") != (inputSize > 0)) {
      throw new IllegalArgumentException(target.equals("self") ? "--target self needs --input-size PX (e.g. 14)"
          : "--input-size " + inputSize + " needs --target self");
    }
    if (limit < 0) {
      throw new IllegalArgumentException("invalid value " + limit + " for --limit: must be 0 (all) or more");
    }
    if ((!target.equals("class") || limit > 0) && (source.equals("idx") || source.equals("cifar")
        || source.equals("folder") && !target.equals("class"))) {
      return inMemory();
    }
    if (!target.equals("class") || limit > 0) {
      throw new IllegalArgumentException("--target " + target + " and --limit work with --source idx, cifar and "
          + "folder (--target: DIR/train and DIR/test)");
    }
    if (!java.util.Set.of("idx", "cifar", "folder", "imagenet").contains(source)) {
      throw new IllegalArgumentException("invalid value " + source + " for --source: must be idx, cifar, folder or "
          + "imagenet");
    }
    if (!source.equals("idx")) {
      return images();
    }
    TrainConfig c = TrainConfig.builder().data(data).shards(out).out(out).shardCount(shardCount).seed(seed).build();
    SparkSession spark = SparkSessions.create("fovea shard", master, 2);
    try {
      DatasetPreparer.Prepared p = DatasetPreparer.prepare(spark, c, l -> spec.commandLine().getOut()
          .println("fovea: " + l));
      spec.commandLine().getOut().printf("fovea: %s: %d samples in %d shards; %s: %d samples in %d shards%n",
          p.trainDir(), p.train().count(), p.train().shards().size(), p.testDir(), p.test().count(),
          p.test().shards().size());
      return 0;
    } finally {
      spark.stop();
    }
  }

  /**
   * IDX, CIFAR or folder (DIR/train, DIR/test) splits read whole, with the targets {@code --target}
   * asks for, cut to {@code --limit}: every sample and target read and checked before anything is
   * written.
   */
  private int inMemory() {
    var out = spec.commandLine().getOut();
    SparkSession spark = SparkSessions.create("fovea shard", master, 2);
    try {
      org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
      dev.fovea.data.ImageDataset[] splits = new dev.fovea.data.ImageDataset[2];
      dev.fovea.data.shard.ShardWriter.Targets[] read = new dev.fovea.data.shard.ShardWriter.Targets[2];
      java.util.List<String> classes = null;
      for (int i = 0; i < 2; i++) {
        boolean train = i == 0;
        String split = train ? "train" : "test";
        java.util.List<String> paths = null;
        dev.fovea.data.ImageDataset d;
        if (source.equals("folder")) {
          // images pair with their targets by path, <class>/<file>
          dev.fovea.data.source.ImageFolders.Loaded l = dev.fovea.data.source.ImageFolders.load(data + "/" + split,
              new org.apache.hadoop.fs.Path(data).getName() + "/" + split, classes, channels, conf);
          d = l.data();
          paths = l.paths();
          classes = d.classNames();
        } else {
          d = source.equals("idx") ? dev.fovea.data.idx.IdxDatasets.load(data, train
              ? dev.fovea.data.idx.IdxDatasets.Split.TRAIN : dev.fovea.data.idx.IdxDatasets.Split.TEST, conf)
              : dev.fovea.data.source.CifarDatasets.load(data, train, conf);
        }
        read[i] = switch (target) {
          case "multi_hot" -> dev.fovea.data.shard.TargetFiles.multiHot(targets + "/" + split + ".csv", d, paths,
              conf);
          case "float_vector" -> dev.fovea.data.shard.TargetFiles.floatVector(targets + "/" + split + ".csv", d,
              paths, conf);
          case "mask" -> dev.fovea.data.shard.TargetFiles.masks(targets + "/" + split, d, paths, conf);
          default -> null;
        };
        if (limit > 0 && limit < d.count()) {
          if (read[i] != null) {
            read[i] = new dev.fovea.data.shard.ShardWriter.Targets(read[i].spec(), java.util.Arrays.copyOf(
                read[i].values(), limit * read[i].spec().bytesPerSample()));
          }
          d = d.subset(0, limit);
        }
        splits[i] = d;
      }
      for (int i = 0; i < 2; i++) {
        dev.fovea.data.ImageDataset d = splits[i];
        dev.fovea.data.shard.ShardWriter.Targets targets = read[i];
        if (target.equals("self")) {
          dev.fovea.data.shard.SelfTargets.Made made = dev.fovea.data.shard.SelfTargets.resized(d, inputSize,
              inputSize);
          d = made.inputs();
          targets = made.targets();
        }
        long bytes = d.pixels().length + (targets == null ? 0 : targets.values().length);
        int n = shardCount > 0 ? (i == 0 ? shardCount : Math.max(1, shardCount / 4))
            : Math.max(i == 0 ? 8 : 2, (int) (bytes / (64L << 20)) + 1);
        String dir = out(i == 0 ? "train" : "test");
        dev.fovea.data.shard.Manifest m = dev.fovea.data.shard.ShardWriter.write(spark, d, targets, dir,
            new dev.fovea.data.shard.ShardWriter.Options(n, seed, 4 << 20));
        out.printf("fovea: %s: %d samples of %s in %d shards; targets: %s%n", dir, m.count(), m.shape(),
            m.shards().size(), m.targetSpec().describe());
      }
      return 0;
    } finally {
      spark.stop();
    }
  }

  /** CIFAR, folder and ImageNet sources. */
  private int images() {
    var out = spec.commandLine().getOut();
    SparkSession spark = SparkSessions.create("fovea shard", master, 2);
    try {
      if (source.equals("cifar")) {
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        for (boolean train : new boolean[] {true, false}) {
          dev.fovea.data.ImageDataset d = dev.fovea.data.source.CifarDatasets.load(data, train, conf);
          int n = shardCount > 0 ? shardCount : Math.max(1, (int) (d.pixels().length / (64L << 20)) + 1);
          dev.fovea.data.shard.Manifest m = dev.fovea.data.shard.ShardWriter.write(spark, d,
              out(train ? "train" : "test"), new dev.fovea.data.shard.ShardWriter.Options(n, seed, 4 << 20));
          out.printf("fovea: %s: %d samples in %d shards%n", out(train ? "train" : "test"), m.count(),
              m.shards().size());
        }
        return 0;
      }
      dev.fovea.data.shard.ImageShardWriter.Options o;
      if (encoding.equals("raw")) {
        if (size == null || !size.matches("\\d+x\\d+")) {
          throw new IllegalArgumentException("invalid value " + size + " for --size: raw shards need HxW, e.g. 28x28");
        }
        String[] hw = size.split("x");
        o = dev.fovea.data.shard.ImageShardWriter.Options.raw(channels, Integer.parseInt(hw[0]),
            Integer.parseInt(hw[1]), seed);
      } else if (encoding.equals("jpeg")) {
        o = dev.fovea.data.shard.ImageShardWriter.Options.jpeg(channels, shorterSide, seed).withQuality(quality);
      } else {
        throw new IllegalArgumentException("invalid value " + encoding + " for --encoding: must be jpeg or raw");
      }
      dev.fovea.data.shard.ImageShardWriter.Source src = source.equals("folder")
          ? dev.fovea.data.source.ImageSources.folder(spark, data, new org.apache.hadoop.fs.Path(data).getName(), null)
          : dev.fovea.data.source.ImageSources.imageNet(spark, data, split, labels, null);
      dev.fovea.data.shard.Manifest m = dev.fovea.data.shard.ImageShardWriter.write(spark, src, this.out, o);
      out.printf("fovea: %s: %d samples of %d classes in %d shards (%s)%n", this.out, m.count(), m.classes().size(),
          m.shards().size(), m.encoding());
      return 0;
    } finally {
      spark.stop();
    }
  }

  private String out(String split) {
    return this.out + "/" + split;
  }
}
