package dev.fovea.driver.ml;

import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.Param;

/**
 * The parameters {@link FoveaEstimator} and {@link FoveaModel} share besides {@link StageParams}:
 * how multi-label ({@code sigmoid_bce}) predictions become label indices.
 *
 * @param <S> the stage, returned by the setters
 */
public interface TargetParams<S extends TargetParams<S>> extends StageParams<S> {

  /** The stage's parameter objects of this interface. */
  Labels labels();

  /** sigmoid_bce: a label is predicted when its probability is above this, in (0, 1). */
  default DoubleParam threshold() {
    return labels().threshold;
  }

  /** sigmoid_bce: the output column of the predicted label indices (array&lt;int&gt;). */
  default Param<String> predictedLabelsCol() {
    return labels().predictedLabelsCol;
  }

  default double getThreshold() {
    return (Double) getOrDefault(threshold());
  }

  default String getPredictedLabelsCol() {
    return getOrDefault(predictedLabelsCol());
  }

  default S setThreshold(double v) {
    return put(threshold(), v);
  }

  default S setPredictedLabelsCol(String v) {
    return put(predictedLabelsCol(), v);
  }

  /** The parameter objects of one stage, with their defaults set on it. */
  final class Labels implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final DoubleParam threshold;
    final Param<String> predictedLabelsCol;

    Labels(TargetParams<?> stage) {
      threshold = new DoubleParam(stage, "threshold", "sigmoid_bce: a label is predicted when its probability is "
          + "above this, in (0, 1)");
      predictedLabelsCol = new Param<>(stage.uid(), "predictedLabelsCol", "sigmoid_bce output: the predicted label "
          + "indices (array<int>)");
      stage.putDefault(threshold, 0.5);
      stage.putDefault(predictedLabelsCol, "predictedLabels");
    }
  }
}
