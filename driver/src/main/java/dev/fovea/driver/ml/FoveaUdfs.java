package dev.fovea.driver.ml;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.util.LongAccumulator;

/**
 * A model's inference as a Spark SQL function: {@code SELECT fovea_predict(content) FROM images}
 * gives the predicted class index (a double, as the model's {@code prediction} column), or null
 * for a null or unusable value (counted in the accumulator {@link #register} returns). Its
 * argument is image file bytes, an image struct, an array of pixel values or an ML Vector (the
 * network's (C, H, W) in [0, 1]), recognised by the value. Rows are predicted one at a time; {@link
 * FoveaClassificationModel#transform} predicts in batches and is faster on large tables.
 */
public final class FoveaUdfs {
  private FoveaUdfs() {}

  /**
   * Registers {@code name} in {@code spark} for {@code model} (its {@code strict} setting
   * applies); returns the accumulator of values without a prediction.
   */
  public static LongAccumulator register(SparkSession spark, String name, FoveaClassificationModel model) {
    LongAccumulator errors = spark.sparkContext().longAccumulator("fovea: " + name + " values without a prediction");
    boolean strict = model.getStrict();
    Inference bytes = model.inference(spark, Features.Kind.BYTES, strict, errors);
    Inference image = model.inference(spark, Features.Kind.IMAGE, strict, errors);
    Inference array = model.inference(spark, Features.Kind.ARRAY, strict, errors);
    Inference vector = model.inference(spark, Features.Kind.VECTOR, strict, errors);
    UDF1<Object, Double> predict = value -> {
      Inference inf = value instanceof byte[] ? bytes : value instanceof Row ? image : value instanceof Vector
          ? vector : array;
      double[] logits = inf.predictOne(value);
      return logits == null ? null : (double) Inference.argmax(logits);
    };
    spark.udf().register(name, predict, DataTypes.DoubleType);
    return errors;
  }
}
