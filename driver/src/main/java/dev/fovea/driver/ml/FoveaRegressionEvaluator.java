package dev.fovea.driver.ml;

import org.apache.spark.ml.evaluation.Evaluator;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The error of a {@link FoveaModel}'s {@code array<float>} predictions against a regression target
 * column ({@code array<float>}, {@code array<double>} or an ML {@code Vector}, as {@link
 * FoveaEstimator} trains on), for {@code CrossValidator} and {@code TrainValidationSplit}: Spark's
 * {@code RegressionEvaluator} takes one number per row, a Fovea regression gives D. {@code
 * metricName} {@code mse} (default) is the mean over rows and values of the squared difference,
 * {@code mae} of the absolute one; smaller is better. A row whose prediction or target is null, or
 * whose lengths differ, is refused in one line naming the column and the row.
 */
public final class FoveaRegressionEvaluator extends Evaluator {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> predictionCol;
  private final Param<String> targetCol;
  private final Param<String> metricName;

  public FoveaRegressionEvaluator() {
    this(Identifiable.randomUID("FoveaRegressionEvaluator"));
  }

  public FoveaRegressionEvaluator(String uid) {
    this.uid = uid;
    predictionCol = new Param<>(uid, "predictionCol", "the model's predictions (array<float>)");
    targetCol = new Param<>(uid, "targetCol", "the targets (array<float>, array<double> or an ML Vector)");
    metricName = new Param<>(uid, "metricName", "mse (mean squared error) or mae (mean absolute error)");
    setDefault(predictionCol, "prediction");
    setDefault(targetCol, "target");
    setDefault(metricName, "mse");
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> predictionCol() {
    return predictionCol;
  }

  public Param<String> targetCol() {
    return targetCol;
  }

  public Param<String> metricName() {
    return metricName;
  }

  public String getPredictionCol() {
    return getOrDefault(predictionCol);
  }

  public String getTargetCol() {
    return getOrDefault(targetCol);
  }

  public String getMetricName() {
    return getOrDefault(metricName);
  }

  public FoveaRegressionEvaluator setPredictionCol(String v) {
    set(predictionCol, v);
    return this;
  }

  public FoveaRegressionEvaluator setTargetCol(String v) {
    set(targetCol, v);
    return this;
  }

  /** {@code mse} or {@code mae}. */
  public FoveaRegressionEvaluator setMetricName(String v) {
    if (!v.equals("mse") && !v.equals("mae")) {
      throw new IllegalArgumentException("FoveaRegressionEvaluator: metricName '" + v + "' is not mse or mae");
    }
    set(metricName, v);
    return this;
  }

  @Override
  public boolean isLargerBetter() {
    return false;
  }

  @Override
  public double evaluate(Dataset<?> dataset) {
    String p = getPredictionCol();
    String t = getTargetCol();
    Features.field("FoveaRegressionEvaluator", dataset.schema(), p);
    Features.field("FoveaRegressionEvaluator", dataset.schema(), t);
    boolean squared = getMetricName().equals("mse");
    double[] sum = dataset.toDF().select(p, t).javaRDD().zipWithIndex().map(x -> {
      Row r = x._1();
      String where = "FoveaRegressionEvaluator: row " + x._2() + ": ";
      double[] y = values(r.get(0), where + "column '" + p + "'");
      double[] z = values(r.get(1), where + "column '" + t + "'");
      if (y.length != z.length) {
        throw new IllegalArgumentException(where + y.length + " predicted values for " + z.length + " target values");
      }
      double s = 0;
      for (int i = 0; i < y.length; i++) {
        double d = Math.abs(y[i] - z[i]);
        s += squared ? d * d : d;
      }
      return new double[] {s, y.length};
    }).fold(new double[2], (a, b) -> new double[] {a[0] + b[0], a[1] + b[1]});
    if (sum[1] == 0) {
      throw new IllegalArgumentException("FoveaRegressionEvaluator: no rows to evaluate");
    }
    return sum[0] / sum[1];
  }

  /** An array or Vector value as numbers. */
  private static double[] values(Object v, String where) {
    if (v == null) {
      throw new IllegalArgumentException(where + ": null");
    }
    if (v instanceof Vector vec) {
      return vec.toArray();
    }
    scala.collection.Seq<?> seq = (scala.collection.Seq<?>) v;
    double[] out = new double[seq.length()];
    for (int i = 0; i < out.length; i++) {
      Object o = seq.apply(i);
      if (o == null) {
        throw new IllegalArgumentException(where + ": element " + i + " is null");
      }
      out[i] = ((Number) o).doubleValue();
    }
    return out;
  }

  @Override
  public FoveaRegressionEvaluator copy(ParamMap extra) {
    return (FoveaRegressionEvaluator) defaultCopy(extra);
  }
}
