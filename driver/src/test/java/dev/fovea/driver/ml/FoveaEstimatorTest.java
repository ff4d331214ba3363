package dev.fovea.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.data.shard.TargetSpec;
import dev.fovea.nn.Loss;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** {@link FoveaEstimator}'s parameters, schema checks, target encoding and output columns, without Spark running. */
class FoveaEstimatorTest {
  static final StructType SCHEMA = new StructType().add("content", DataTypes.BinaryType)
      .add("tags", DataTypes.createArrayType(DataTypes.IntegerType))
      .add("y", DataTypes.createArrayType(DataTypes.DoubleType))
      .add("v", SQLDataTypes.VectorType())
      .add("name", DataTypes.StringType);

  @Test
  void sharesTheClassifiersTrainingParametersAndAddsItsOwn() {
    FoveaEstimator e = new FoveaEstimator().setFeaturesCol("content").setEpochs(4).setLoss("l1").setTargetCol("y");
    assertEquals(new FoveaClassifier().setEpochs(4).trainConfig("d"), e.trainConfig("d"));
    FoveaEstimator copy = e.copy(new ParamMap().put(e.threshold().w(0.3)));
    assertEquals(e.uid(), copy.uid());
    assertEquals("l1", copy.getLoss());
    assertEquals("y", copy.getTargetCol());
    assertEquals(4, copy.getEpochs());
    assertEquals(0.3, copy.getThreshold());
    assertEquals(0.5, e.getThreshold());
    for (String p : List.of("loss", "targetCol", "targetSize", "threshold", "predictedLabelsCol", "epochs",
        "network", "featuresCol")) {
      assertEquals(1, Arrays.stream(e.params()).filter(x -> x.name().equals(p)).count(), p);
    }
    assertEquals(0, Arrays.stream(e.params()).filter(x -> x.name().equals("numClasses")).count());
  }

  @Test
  void schemaFitsTheLossAndBadColumnsAreOneLine() {
    FoveaEstimator e = new FoveaEstimator().setFeaturesCol("content");
    assertEquals(List.of("content", "tags", "y", "v", "name", "prediction"),
        Arrays.asList(e.copy(ParamMap.empty()).setTargetCol("y").transformSchema(SCHEMA).fieldNames()));
    StructType multi = e.copy(ParamMap.empty()).setLoss("sigmoid_bce").setTargetCol("tags").transformSchema(SCHEMA);
    assertEquals(List.of("content", "tags", "y", "v", "name", "prediction", "predictedLabels"),
        Arrays.asList(multi.fieldNames()));
    assertEquals(DataTypes.createArrayType(DataTypes.FloatType, false), multi.apply("prediction").dataType());
    assertEquals(DataTypes.createArrayType(DataTypes.IntegerType, false), multi.apply("predictedLabels").dataType());
    e.copy(ParamMap.empty()).setLoss("sigmoid_bce").setTargetCol("v").transformSchema(SCHEMA);
    assertEquals("FoveaEstimator: column 'target' is missing; the DataFrame has [content, tags, y, v, name]",
        assertThrows(IllegalArgumentException.class, () -> e.transformSchema(SCHEMA)).getMessage());
    assertEquals("FoveaEstimator: column 'name' is string; a sigmoid_bce target must be array<int> of label indices, "
        + "or array<float>, array<double> or an ML Vector of 0/1 values (multi-hot)", assertThrows(
            IllegalArgumentException.class, () -> e.copy(ParamMap.empty()).setLoss("sigmoid_bce").setTargetCol("name")
                .transformSchema(SCHEMA)).getMessage());
    assertEquals("FoveaEstimator: loss 'huber' is not one of sigmoid_bce, mse, l1, pixel_softmax_cross_entropy",
        assertThrows(
        IllegalArgumentException.class, () -> e.copy(ParamMap.empty()).setLoss("huber").setTargetCol("y")
            .transformSchema(SCHEMA)).getMessage());
  }

  @Test
  void vectorTargetsAreCheckedAndEncodedAsTheShardFormatSays() {
    TargetColumn reg = new TargetColumn("S", "v", TargetColumn.Kind.VECTOR,
        new TargetSpec(TargetSpec.FLOAT_VECTOR, List.of(2)));
    assertNull(reg.problem(Vectors.dense(0.25, -3)));
    float[] back = new float[2];
    reg.spec().decode(reg.encode(Vectors.dense(0.25, -3)), back, 0);
    assertArrayEquals(new float[] {0.25f, -3f}, back);
    assertEquals("3 values, but the target has 2 (values of the first row, or targetSize)",
        reg.problem(Vectors.dense(1, 2, 3)));
    assertEquals("element 1 is NaN, not a finite float", reg.problem(Vectors.dense(1, Double.NaN)));
    assertEquals("element 0 is 1.0E300, not a finite float", reg.problem(Vectors.dense(1e300, 0)));
    assertEquals("null target", reg.problem(null));

    TargetColumn hot = new TargetColumn("S", "v", TargetColumn.Kind.VECTOR,
        new TargetSpec(TargetSpec.MULTI_HOT, List.of(3)));
    assertArrayEquals(new byte[] {1, 0, 1}, hot.encode(Vectors.dense(1, 0, 1)));
    assertEquals("element 2 is 0.5, not 0 or 1 (a multi-hot target)", hot.problem(Vectors.dense(1, 0, 0.5)));
  }

  @Test
  void outputsFitTheLoss() {
    Object[] row = new Object[3];
    new FoveaModel.Outputs(false, 0.5, 0).put(new double[] {1.5, -2}, row, 1);
    assertEquals(FoveaModel.seq(new Object[] {1.5f, -2f}), row[1]);
    assertNull(row[2]);
    assertEquals(1, new FoveaModel.Outputs(false, 0.5, 0).count());
    assertEquals(2, new FoveaModel.Outputs(true, 0.5, 0).count());
    Object[] multi = new Object[2];
    new FoveaModel.Outputs(true, 0.5, 0).put(new double[] {0, 3, -3, 0.1}, multi, 0);
    scala.collection.Seq<?> p = (scala.collection.Seq<?>) multi[0];
    assertEquals(0.5f, p.apply(0));
    assertEquals((float) (1 / (1 + Math.exp(-3))), p.apply(1));
    assertEquals(FoveaModel.seq(new Object[] {1, 3}), multi[1]);
    Object[] strict = new Object[2];
    new FoveaModel.Outputs(true, 0.9, 0).put(new double[] {0, 3, -3, 0.1}, strict, 0);
    assertEquals(FoveaModel.seq(new Object[] {1}), strict[1]);
    // a segmenter's (K = 2, H·W = 3) outputs, channel by channel: each pixel's larger class
    Object[] pixels = new Object[1];
    new FoveaModel.Outputs(false, 0.5, 2).put(new double[] {0.5, -1, 2, 0.1, 0, 3}, pixels, 0);
    assertEquals(FoveaModel.seq(new Object[] {0, 1, 1}), pixels[0]);
    assertEquals(List.of(Loss.SIGMOID_BCE, Loss.MSE, Loss.L1, Loss.PIXEL_SOFTMAX_CROSS_ENTROPY), TargetColumn.LOSSES);
  }
}
