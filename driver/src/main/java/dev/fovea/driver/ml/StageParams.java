package dev.fovea.driver.ml;

import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The parameters every Fovea stage has ({@link FoveaClassifier}, {@link FoveaClassificationModel},
 * {@link FoveaEstimator}, {@link FoveaModel}): the columns and how inference runs ({@code
 * labelCol}, {@code probabilityCol} and {@code rawPredictionCol} serve the classifier's stages
 * only; the others' target and outputs are {@link TargetParams} and their own). Each stage keeps its
 * own {@link Shared} (a {@code Param} belongs to one stage's uid); Spark finds the parameters
 * through these public methods.
 *
 * @param <S> the stage, returned by the setters
 */
public interface StageParams<S extends StageParams<S>> extends Params {

  /** The stage's parameter objects. */
  Shared shared();

  /** The column of images: binary (image file bytes), Spark's image struct, array of float/double or ML Vector. */
  default Param<String> featuresCol() {
    return shared().featuresCol;
  }

  /** The label column: class indices 0..K-1 as doubles (as StringIndexer gives). */
  default Param<String> labelCol() {
    return shared().labelCol;
  }

  /**
   * The output column of the prediction: the class index (a double) of a classifier, an array of a
   * {@link FoveaModel}.
   */
  default Param<String> predictionCol() {
    return shared().predictionCol;
  }

  /** The output column of the class probabilities (softmax of the network's outputs, an ML Vector). */
  default Param<String> probabilityCol() {
    return shared().probabilityCol;
  }

  /** The output column of the network's raw outputs (logits, an ML Vector). */
  default Param<String> rawPredictionCol() {
    return shared().rawPredictionCol;
  }

  /** (C, H, W) of an array or Vector features column, values in [0, 1] in that order; empty for images. */
  default IntArrayParam featuresShape() {
    return shared().featuresShape;
  }

  /** Rows per forward pass on an executor when predicting. */
  default IntParam inferenceBatch() {
    return shared().inferenceBatch;
  }

  /**
   * Strict mode: a null or undecodable image fails the job naming the row and column; otherwise its
   * outputs are null and it is counted ({@link FoveaClassificationModel#errorCount()}).
   */
  default BooleanParam strict() {
    return shared().strict;
  }

  /** The kernel backend of the executors: auto, reference or onednn. */
  default Param<String> backend() {
    return shared().backend;
  }

  default String getFeaturesCol() {
    return getOrDefault(featuresCol());
  }

  default String getLabelCol() {
    return getOrDefault(labelCol());
  }

  default String getPredictionCol() {
    return getOrDefault(predictionCol());
  }

  default String getProbabilityCol() {
    return getOrDefault(probabilityCol());
  }

  default String getRawPredictionCol() {
    return getOrDefault(rawPredictionCol());
  }

  default int[] getFeaturesShape() {
    return getOrDefault(featuresShape());
  }

  default int getInferenceBatch() {
    return (Integer) getOrDefault(inferenceBatch());
  }

  default boolean getStrict() {
    return (Boolean) getOrDefault(strict());
  }

  default String getBackend() {
    return getOrDefault(backend());
  }

  default S setFeaturesCol(String v) {
    return put(featuresCol(), v);
  }

  default S setLabelCol(String v) {
    return put(labelCol(), v);
  }

  default S setPredictionCol(String v) {
    return put(predictionCol(), v);
  }

  default S setProbabilityCol(String v) {
    return put(probabilityCol(), v);
  }

  default S setRawPredictionCol(String v) {
    return put(rawPredictionCol(), v);
  }

  default S setFeaturesShape(int... v) {
    return put(featuresShape(), v);
  }

  default S setInferenceBatch(int v) {
    return put(inferenceBatch(), v);
  }

  default S setStrict(boolean v) {
    return put(strict(), v);
  }

  default S setBackend(String v) {
    return put(backend(), v);
  }

  /** Sets {@code param} to {@code value} and returns this stage. */
  @SuppressWarnings("unchecked")
  default <T> S put(Param<T> param, Object value) {
    set((Param<Object>) (Param<?>) param, value);
    return (S) this;
  }

  /** Sets the default of {@code param} to {@code value}. */
  @SuppressWarnings("unchecked")
  default <T> void putDefault(Param<T> param, Object value) {
    setDefault((Param<Object>) (Param<?>) param, value);
  }

  /** The shared parameter objects of one stage, with their defaults set on it. */
  final class Shared implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Param<String> featuresCol;
    final Param<String> labelCol;
    final Param<String> predictionCol;
    final Param<String> probabilityCol;
    final Param<String> rawPredictionCol;
    final IntArrayParam featuresShape;
    final IntParam inferenceBatch;
    final BooleanParam strict;
    final Param<String> backend;

    Shared(StageParams<?> stage) {
      String uid = stage.uid();
      featuresCol = new Param<>(uid, "featuresCol", "the images: binary file bytes, Spark's image struct, "
          + "array<float>/array<double> or an ML Vector (with featuresShape)");
      labelCol = new Param<>(uid, "labelCol", "class indices 0..K-1 as doubles (e.g. from StringIndexer)");
      predictionCol = new Param<>(uid, "predictionCol", "output: the prediction (a classifier's class index, a "
          + "FoveaModel's array<float>)");
      probabilityCol = new Param<>(uid, "probabilityCol", "output: class probabilities");
      rawPredictionCol = new Param<>(uid, "rawPredictionCol", "output: the network's raw outputs (logits)");
      featuresShape = new IntArrayParam(stage, "featuresShape", "(C, H, W) of array or Vector features, values in "
          + "[0, 1]; empty for images");
      inferenceBatch = new IntParam(stage, "inferenceBatch", "rows per forward pass when predicting (>= 1)");
      strict = new BooleanParam(stage, "strict", "a null or undecodable image fails the job instead of giving null "
          + "outputs");
      backend = new Param<>(uid, "backend", "kernel backend: auto, reference or onednn");
      stage.putDefault(featuresCol, "features");
      stage.putDefault(labelCol, "label");
      stage.putDefault(predictionCol, "prediction");
      stage.putDefault(probabilityCol, "probability");
      stage.putDefault(rawPredictionCol, "rawPrediction");
      stage.putDefault(featuresShape, new int[0]);
      stage.putDefault(inferenceBatch, 256);
      stage.putDefault(strict, false);
      stage.putDefault(backend, "auto");
    }
  }
}
