package dev.fovea.driver.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.driver.TrainConfig;
import java.util.Arrays;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The estimator's parameters, their mapping to {@link TrainConfig}, copies and schema checks, without Spark running. */
class FoveaClassifierTest {
  static final StructType BINARY_FILES = new StructType().add("path", DataTypes.StringType)
      .add("content", DataTypes.BinaryType).add("label", DataTypes.DoubleType);

  @Test
  void defaultsAreTrainConfigsAndEverySettingReachesIt() {
    TrainConfig defaults = TrainConfig.defaults();
    TrainConfig mapped = new FoveaClassifier().trainConfig("out/x");
    assertEquals(defaults.model(), mapped.model());
    assertEquals(defaults.epochs(), mapped.epochs());
    assertEquals(defaults.batch(), mapped.batch());
    assertEquals(defaults.workers(), mapped.workers());
    assertEquals(defaults.stepsPerRound(), mapped.stepsPerRound());
    assertEquals(defaults.learningRate(), mapped.learningRate());
    assertEquals(defaults.momentum(), mapped.momentum());
    assertEquals(defaults.seed(), mapped.seed());
    assertEquals(defaults.shuffleBuffer(), mapped.shuffleBuffer());
    assertEquals("out/x/shards", mapped.shardRoot());
    assertEquals(defaults.exchange(), mapped.exchange());
    assertEquals(dev.fovea.driver.Choices.Exchange.BF16, new FoveaClassifier().setExchange("bf16").trainConfig("d")
        .exchange());

    TrainConfig set = new FoveaClassifier().setNetwork("resnet18").setEpochs(4).setBatchSize(16).setWorkers(3)
        .setStepsPerRound(2).setLearningRate(0.2).setMomentum(0.5).setWeightDecay(1e-4).setLrSchedule("cosine")
        .setLrScaling("linear").setWarmupRounds(5).setAveraging("sharded").setOptimizerState("local")
        .setAugment("flip").setPad(2).setImageSize(64).setSeed(9).setBackend("reference").setThreadsPerWorker(2)
        .setCheckpointEvery(7).setShuffleBuffer(99).trainConfig("d");
    assertEquals(TrainConfig.builder().data(null).shards("d/shards").out("d").model("resnet18").epochs(4).batch(16)
        .workers(3).stepsPerRound(2).learningRate(0.2).momentum(0.5).weightDecay(1e-4).lrSchedule("cosine")
        .lrScaling("linear").warmupRounds(5).averaging("sharded").optimizerState("local").augment("flip").pad(2)
        .imageSize(64).seed(9).backend("reference").threadsPerWorker(2).checkpointEvery(7).shuffleBuffer(99).build(),
        set);
  }

  @Test
  void copyKeepsTheUidAndValuesAndAppliesExtras() {
    FoveaClassifier c = new FoveaClassifier().setFeaturesCol("content").setEpochs(5);
    FoveaClassifier copy = c.copy(new ParamMap().put(c.learningRate().w(0.3)));
    assertNotSame(c, copy);
    assertEquals(c.uid(), copy.uid());
    assertEquals("content", copy.getFeaturesCol());
    assertEquals(5, copy.getEpochs());
    assertEquals(0.3, copy.getLearningRate());
    assertEquals(0.01, c.getLearningRate());
    assertTrue(Arrays.stream(c.params()).anyMatch(p -> p.name().equals("stepsPerRound")), c.explainParams());
    assertEquals(c.params().length, copy.params().length);
  }

  @Test
  void schemaChecksNameTheColumnAndTheProblem() {
    FoveaClassifier c = new FoveaClassifier().setFeaturesCol("content");
    StructType out = c.transformSchema(BINARY_FILES);
    assertEquals(Arrays.asList("path", "content", "label", "rawPrediction", "probability", "prediction"),
        Arrays.asList(out.fieldNames()));
    assertEquals("FoveaClassifier: column 'image' is missing; the DataFrame has [path, content, label]",
        assertThrows(IllegalArgumentException.class, () -> c.copy(ParamMap.empty()).setFeaturesCol("image")
            .transformSchema(BINARY_FILES)).getMessage());
    assertEquals("FoveaClassifier: column 'path' is string; it must hold image file bytes (binary, as the binaryFile "
        + "source gives), Spark's image struct, array<float>, array<double> or an ML Vector",
        assertThrows(IllegalArgumentException.class, () -> c.copy(ParamMap.empty()).setFeaturesCol("path")
            .transformSchema(BINARY_FILES)).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> c.copy(ParamMap.empty()).setLabelCol("path")
        .transformSchema(BINARY_FILES)).getMessage().startsWith("FoveaClassifier: column 'path' is string; the label "
            + "must be a class index"));
    StructType vectors = new StructType().add("v", org.apache.spark.ml.linalg.SQLDataTypes.VectorType())
        .add("label", DataTypes.DoubleType);
    assertEquals("FoveaClassifier: column 'v' is vector: set featuresShape to its (C, H, W) with C 1 or 3 (now [])",
        assertThrows(IllegalArgumentException.class, () -> c.copy(ParamMap.empty()).setFeaturesCol("v")
            .transformSchema(vectors)).getMessage());
    c.copy(ParamMap.empty()).setFeaturesCol("v").setFeaturesShape(3, 8, 8).transformSchema(vectors);
  }

  @Test
  void aSessionRequiringKryoRegistrationWithoutFoveasRegistratorIsRefused() {
    SparkConf kryo = new SparkConf(false).set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .set("spark.kryo.registrationRequired", "true");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> FoveaClassifier.checkKryo(kryo)).getMessage()
        .contains("add dev.fovea.driver.FoveaKryoRegistrator to spark.kryo.registrator"));
    FoveaClassifier.checkKryo(kryo.clone().set("spark.kryo.registrator", "a.B,dev.fovea.driver.FoveaKryoRegistrator"));
    FoveaClassifier.checkKryo(new SparkConf(false));
    FoveaClassifier.checkKryo(new SparkConf(false).set("spark.serializer",
        "org.apache.spark.serializer.KryoSerializer"));
  }
}
