package dev.fovea.driver.ml;

import dev.fovea.driver.Progress;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * A Fovea network as a Spark ML {@code Estimator}: {@link #fit} checks the DataFrame's features and
 * label columns, holds out {@code validationFraction} of the rows, shards both parts with Fovea's
 * image sharding job ({@link FitInput}), trains with {@link dev.fovea.driver.TrainingRun} (rounds of
 * parameter-averaged SGD on {@code workers} tasks) and returns a {@link FoveaClassificationModel}.
 * Every setting of {@code fovea train} that applies to a DataFrame is a {@code Param} ({@link
 * AbstractFoveaEstimator}), so the stage composes with {@code Pipeline}, {@code ParamGridBuilder} and
 * {@code CrossValidator}; it is saved and loaded as Spark's own stages are.
 *
 * <pre>{@code
 * Dataset<Row> images = spark.read().format("binaryFile").load("photos/");   // path, content, ...
 * Pipeline p = new Pipeline().setStages(new PipelineStage[] {
 *     new StringIndexer().setInputCol("class").setOutputCol("label"),
 *     new FoveaClassifier().setFeaturesCol("content").setChannels(1).setEpochs(3)});
 * PipelineModel m = p.fit(images);
 * }</pre>
 */
public final class FoveaClassifier extends AbstractFoveaEstimator<FoveaClassifier, FoveaClassificationModel> {
  private static final long serialVersionUID = 1L;

  private final IntParam numClasses;

  public FoveaClassifier(String uid) {
    super(uid);
    numClasses = new IntParam(this, "numClasses", "K; 0 takes it from the label column's ML metadata (as StringIndexer writes it), else the largest label + 1");
    putDefault(numClasses, 0);
  }

  public FoveaClassifier() {
    this(Identifiable.randomUID("FoveaClassifier"));
  }

  @Override
  FoveaClassifier newInstance(String uid) {
    return new FoveaClassifier(uid);
  }

  @Override
  FoveaClassificationModel newModel(String uid, byte[] file) {
    return new FoveaClassificationModel(uid, file);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    Features.of(getClass().getSimpleName(), schema, getFeaturesCol(), getFeaturesShape());
    FitInput.labelField(getClass().getSimpleName(), schema, getLabelCol());
    return schema.add(getRawPredictionCol(), org.apache.spark.ml.linalg.SQLDataTypes.VectorType())
        .add(getProbabilityCol(), org.apache.spark.ml.linalg.SQLDataTypes.VectorType())
        .add(getPredictionCol(), org.apache.spark.sql.types.DataTypes.DoubleType);
  }

  @Override
  FitInput prepare(SparkSession spark, Dataset<Row> df, String dir, Progress report) {
    return FitInput.prepare(getClass().getSimpleName(), spark, df, this, FitInput.Answer.labels(getLabelCol(),
        getNumClasses()), dir, report);
  }

  /** The reader of saved estimators: {@code FoveaClassifier.read().load(path)}. */
  public static MLReader<FoveaClassifier> read() {
    return reader(FoveaClassifier.class, FoveaClassifier::new);
  }

  /** {@code read().load(path)}. */
  public static FoveaClassifier load(String path) {
    return read().load(path);
  }

  /** K; 0 takes it from the label column's ML metadata (as StringIndexer writes it), else the largest label + 1. */
  public IntParam numClasses() {
    return numClasses;
  }

  public int getNumClasses() {
    return (Integer) getOrDefault(numClasses);
  }

  public FoveaClassifier setNumClasses(int v) {
    return put(numClasses, v);
  }
}
