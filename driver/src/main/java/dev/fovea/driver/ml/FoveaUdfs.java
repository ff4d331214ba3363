package dev.fovea.driver.ml;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.util.LongAccumulator;

/**
 * A model's inference as a Spark SQL function: {@code SELECT fovea_predict(content) FROM images}
 * gives what the model's {@code prediction} column holds (a classifier's class index, a double; a
 * {@link FoveaModel}'s {@code array<float>} outputs, or a segmenter's {@code array<int>} classes),
 * or null for a null or unusable value (counted in the accumulator {@code register} returns). Its
 * argument is image file bytes, an image struct, an array of pixel values or an ML Vector (the
 * network's (C, H, W) in [0, 1]), recognised by the value. Rows are predicted one at a time;
 * {@code transform} predicts in batches and is faster on large tables.
 *
 * <p>In strict mode (the model's {@code strict}) an unusable value fails the query with one line
 * naming the function, the value's place among those its task gave the function ("value 3 of
 * partition 0") and the problem.
 */
public final class FoveaUdfs {
  private FoveaUdfs() {}

  /**
   * Registers {@code name} in {@code spark} for {@code model} (its {@code strict} setting
   * applies): the predicted class index; returns the accumulator of values without a prediction.
   */
  public static LongAccumulator register(SparkSession spark, String name, FoveaClassificationModel model) {
    return register(spark, name, (AbstractFoveaModel<?>) model);
  }

  /**
   * Registers {@code name} in {@code spark} for {@code model} (its {@code strict} setting
   * applies): the model's {@code prediction} ({@code array<float>}; a segmenter's {@code
   * array<int>}); returns the accumulator of values without a prediction.
   */
  public static LongAccumulator register(SparkSession spark, String name, FoveaModel model) {
    return register(spark, name, (AbstractFoveaModel<?>) model);
  }

  /** Registers {@code name} giving the {@code prediction} column of {@code model}. */
  private static LongAccumulator register(SparkSession spark, String name, AbstractFoveaModel<?> model) {
    java.util.List<StructField> fields = model.outputFields();
    int at = 0;
    while (!fields.get(at).name().equals(model.getPredictionCol())) {
      at++;
    }
    int prediction = at;
    LongAccumulator errors = spark.sparkContext().longAccumulator("fovea: " + name + " values without a prediction");
    boolean strict = model.getStrict();
    Inference bytes = model.inference(spark, name, Features.Kind.BYTES, strict, errors);
    Inference image = model.inference(spark, name, Features.Kind.IMAGE, strict, errors);
    Inference array = model.inference(spark, name, Features.Kind.ARRAY, strict, errors);
    Inference vector = model.inference(spark, name, Features.Kind.VECTOR, strict, errors);
    UDF1<Object, Object> predict = value -> {
      Inference inf = value instanceof byte[] ? bytes : value instanceof Row ? image : value instanceof Vector
          ? vector : array;
      return inf.outputs(inf.predictOne(value))[prediction];
    };
    spark.udf().register(name, predict, fields.get(prediction).dataType());
    return errors;
  }
}
