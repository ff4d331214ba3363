package dev.fovea.driver.ml;

import dev.fovea.driver.InputTransforms;
import dev.fovea.driver.Progress;
import dev.fovea.driver.TrainConfig;
import dev.fovea.nn.Loss;
import dev.fovea.nn.Network;
import dev.fovea.nn.NetworkJson;
import dev.fovea.nn.Zoo;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A Fovea network trained towards a typed target column, for the losses beyond softmax
 * classification the trainer supports: {@code sigmoid_bce} (multi-label: the target is {@code
 * array<int>} of label indices, or an {@code array<float>}/{@code array<double>}/ML {@code Vector}
 * of 0/1), {@code mse} and {@code l1} (regression: the target is an {@code array<float>}/{@code
 * array<double>}/ML {@code Vector} of D numbers), {@code pixel_softmax_cross_entropy} (segmentation:
 * the target is a mask, image file bytes whose first channel is each pixel's class). {@link #fit}
 * checks the columns, shards the DataFrame with each row's target stored as the shard format's
 * {@code multi_hot}, {@code float_vector} or {@code mask} target ({@link FitInput}, {@link
 * TargetColumn}), trains with the same rounds as
 * {@link FoveaClassifier} and {@code fovea train}, and returns a {@link FoveaModel}.
 *
 * <p>The network: a zoo name is built for the images and the target's size (its last layer gives
 * K or D outputs) and trained with {@code loss}; a network file or JSON description must already
 * give the target's shape, and is trained with {@code loss} instead of its own ({@code fovea train
 * --loss}). Segmentation needs the latter: a network whose output is (K, H, W).
 *
 * <pre>{@code
 * FoveaModel m = new FoveaEstimator().setFeaturesCol("content").setChannels(1)
 *     .setLoss("sigmoid_bce").setTargetCol("tags")     // array<int> of label indices per image
 *     .fit(images);
 * m.transform(images).select("path", "prediction", "predictedLabels").show();
 * }</pre>
 */
public final class FoveaEstimator extends AbstractFoveaEstimator<FoveaEstimator, FoveaModel>
    implements TargetParams<FoveaEstimator> {
  private static final long serialVersionUID = 1L;

  private final Labels labels;
  private final Param<String> loss;
  private final Param<String> targetCol;
  private final IntParam targetSize;

  public FoveaEstimator(String uid) {
    super(uid);
    labels = new Labels(this);
    loss = new Param<>(uid, "loss", "what to train towards: mse or l1 (regression of a vector of numbers), "
        + "sigmoid_bce (multi-label), pixel_softmax_cross_entropy (segmentation masks)");
    putDefault(loss, "mse");
    targetCol = new Param<>(uid, "targetCol", "the target of each row: array<float>, array<double> or an ML Vector "
        + "(mse, l1; sigmoid_bce: 0/1 values), array<int> of label indices (sigmoid_bce), or a mask's image file "
        + "bytes (pixel_softmax_cross_entropy)");
    putDefault(targetCol, "target");
    targetSize = new IntParam(this, "targetSize", "values per target (D, or K labels); 0 takes it from the first "
        + "row's length, or the largest label index + 1 (masks take their size from the first)");
    putDefault(targetSize, 0);
  }

  public FoveaEstimator() {
    this(Identifiable.randomUID("FoveaEstimator"));
  }

  @Override
  public Labels labels() {
    return labels;
  }

  @Override
  FoveaEstimator newInstance(String uid) {
    return new FoveaEstimator(uid);
  }

  @Override
  FoveaModel newModel(String uid, byte[] file) {
    return new FoveaModel(uid, file);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    String stage = getClass().getSimpleName();
    Features.of(stage, schema, getFeaturesCol(), getFeaturesShape());
    Loss l = TargetColumn.loss(stage, getLoss());
    TargetColumn.kind(stage, schema, getTargetCol(), l);
    StructType out = schema.add(getPredictionCol(), DataTypes.createArrayType(l == Loss.PIXEL_SOFTMAX_CROSS_ENTROPY
        ? DataTypes.IntegerType : DataTypes.FloatType, false));
    return l == Loss.SIGMOID_BCE ? out.add(getPredictedLabelsCol(), DataTypes.createArrayType(DataTypes.IntegerType,
        false)) : out;
  }

  @Override
  FitInput prepare(SparkSession spark, Dataset<Row> df, String dir, Progress report) {
    String stage = getClass().getSimpleName();
    Loss l = TargetColumn.loss(stage, getLoss());
    if (l == Loss.PIXEL_SOFTMAX_CROSS_ENTROPY && zoo()) {
      throw new IllegalArgumentException(stage + ": " + l.id() + " needs a network whose output is (classes, H, W) "
          + "(a network file or JSON description); '" + getNetwork() + "' is a zoo network, whose output is a vector");
    }
    TargetColumn target = TargetColumn.of(stage, df, getTargetCol(), l, getTargetSize());
    report.message("target: column '" + target.column() + "', " + target.spec().describe() + " for " + getLoss());
    return FitInput.prepare(stage, spark, df, this, FitInput.Answer.target(target), dir, report);
  }

  /**
   * The run's settings: a zoo network built for the shards' input and the target's size and given
   * {@code loss} (as its JSON description); any other network trained with {@code loss} instead of
   * its own.
   */
  @Override
  TrainConfig forShards(TrainConfig config, FitInput input, SparkSession spark) {
    Loss l = TargetColumn.loss(getClass().getSimpleName(), getLoss());
    TrainConfig.Builder b = config.toBuilder().loss(getLoss());
    if (zoo()) {
      var manifest = input.trainManifest(spark.sparkContext().hadoopConfiguration());
      Network net = Zoo.build(getNetwork().strip(), InputTransforms.inputShape(config, manifest),
          manifest.targetSpec().size()).withLoss(l);
      b.model(NetworkJson.toJsonString(net));
    }
    return b.build();
  }

  private boolean zoo() {
    return Zoo.names().contains(getNetwork().strip());
  }

  /** The reader of saved estimators: {@code FoveaEstimator.read().load(path)}. */
  public static MLReader<FoveaEstimator> read() {
    return reader(FoveaEstimator.class, FoveaEstimator::new);
  }

  /** {@code read().load(path)}. */
  public static FoveaEstimator load(String path) {
    return read().load(path);
  }

  /**
   * What to train towards: mse or l1 (regression), sigmoid_bce (multi-label),
   * pixel_softmax_cross_entropy (segmentation).
   */
  public Param<String> loss() {
    return loss;
  }

  public String getLoss() {
    return getOrDefault(loss);
  }

  public FoveaEstimator setLoss(String v) {
    return put(loss, v);
  }

  /**
   * The target column: array&lt;float&gt;, array&lt;double&gt;, ML Vector, array&lt;int&gt; of label
   * indices (sigmoid_bce), or a mask's image file bytes (pixel_softmax_cross_entropy).
   */
  public Param<String> targetCol() {
    return targetCol;
  }

  public String getTargetCol() {
    return getOrDefault(targetCol);
  }

  public FoveaEstimator setTargetCol(String v) {
    return put(targetCol, v);
  }

  /** Values per target; 0 takes it from the first row's length, or the largest label index + 1. */
  public IntParam targetSize() {
    return targetSize;
  }

  public int getTargetSize() {
    return (Integer) getOrDefault(targetSize);
  }

  public FoveaEstimator setTargetSize(int v) {
    return put(targetSize, v);
  }
}
