package dev.fovea.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.idx.IdxDatasets;
import dev.fovea.driver.SparkSessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkException;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark ML stages on local Spark with real Fashion-MNIST images written as PNG files and read
 * with Spark's binaryFile source: a Pipeline (StringIndexer, FoveaClassifier, IndexToString) fitted,
 * saved and loaded in a fresh session (Java serialization, as a notebook's session may be) with
 * the same predictions; a CrossValidator over two learning rates; inference over bytes, image
 * structs, arrays and Vectors; nulls and corrupt images; the SQL function; bad input.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FoveaClassifierIT {
  @TempDir static Path tmp;
  static SparkSession spark;
  static Path train;
  static Path test;

  /** Held-out accuracy the pipeline must reach: LeNet, 3 epochs on 2,000 training images (measured 0.7 to 0.75). */
  static final double ACCURACY_BAR = 0.65;

  @BeforeAll
  static void start() throws Exception {
    train = FashionPngs.write(tmp.resolve("train"), IdxDatasets.Split.TRAIN, 0, 2000);
    test = FashionPngs.write(tmp.resolve("test"), IdxDatasets.Split.TEST, 0, 500);
    spark = SparkSessions.create("FoveaClassifierIT", "local[2]", 2);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  static String firstLine(Throwable e) {
    return String.valueOf(e.getMessage()).lines().findFirst().orElse("");
  }

  /** A file's name: the image source and binaryFile spell the same file's URI differently. */
  static String name(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  static FoveaClassifier classifier() {
    return new FoveaClassifier().setFeaturesCol("content").setChannels(1).setBatchSize(32).setStepsPerRound(4)
        .setWorkers(2).setSeed(7);
  }

  @Test
  @Order(1)
  void transformGivesTheSamePredictionsFromBytesImageStructsArraysAndVectors() throws Exception {
    FoveaClassificationModel model = new FoveaClassificationModel(FashionPngs.untrainedModel(3))
        .setFeaturesCol("content").setInferenceBatch(7);
    Dataset<Row> pngs = FashionPngs.read(spark, test).limit(40);
    Dataset<Row> out = model.transform(pngs);
    StructType schema = out.schema();
    assertEquals("vector", schema.apply("probability").dataType().typeName());
    assertEquals(DataTypes.DoubleType, schema.apply("prediction").dataType());
    Map<String, double[]> byPath = new HashMap<>();
    for (Row r : out.select("path", "probability", "prediction").collectAsList()) {
      double[] p = ((Vector) r.get(1)).toArray();
      assertEquals(1.0, java.util.Arrays.stream(p).sum(), 1e-9);
      assertEquals(Inference.argmax(p), r.getDouble(2));
      byPath.put(name(r.getString(0)), p);
    }
    assertEquals(40, byPath.size());
    assertEquals(0, model.errorCount().value());
    int cached = Inference.cachedModels();

    // the same images through Spark's image source (a struct of (H, W, C) bytes)
    Dataset<Row> images = spark.read().format("image").option("recursiveFileLookup", "true")
        .load(test.toString());
    FoveaClassificationModel structs = model.copy(new ParamMap()).setFeaturesCol("image");
    int compared = 0;
    for (Row r : structs.transform(images).select("image.origin", "probability").collectAsList()) {
      double[] want = byPath.get(name(r.getString(0)));
      if (want != null) {
        assertArrayEquals(want, ((Vector) r.get(1)).toArray(), 1e-9, r.getString(0));
        compared++;
      }
    }
    assertEquals(40, compared);
    assertEquals(cached, Inference.cachedModels(), "the model is parsed once per JVM and reused");

    // pixel values in [0, 1] as array<float> and as Vectors, in (C, H, W) order
    List<Row> rows = new ArrayList<>();
    for (Row r : pngs.select("path", "content").collectAsList()) {
      dev.fovea.data.image.Image img = dev.fovea.data.image.Codecs.best().decode((byte[]) r.get(1), 1);
      float[] f = new float[784];
      double[] d = new double[784];
      for (int y = 0; y < 28; y++) {
        for (int x = 0; x < 28; x++) {
          f[y * 28 + x] = img.get(0, y, x) / 255f;
          d[y * 28 + x] = img.get(0, y, x) / 255.0;
        }
      }
      List<Float> list = new ArrayList<>();
      for (float v : f) {
        list.add(v);
      }
      rows.add(RowFactory.create(r.getString(0), list, Vectors.dense(d)));
    }
    StructType arrays = new StructType().add("path", DataTypes.StringType)
        .add("pixels", DataTypes.createArrayType(DataTypes.FloatType))
        .add("vector", org.apache.spark.ml.linalg.SQLDataTypes.VectorType());
    Dataset<Row> values = spark.createDataFrame(rows, arrays);
    for (String col : List.of("pixels", "vector")) {
      FoveaClassificationModel m = model.copy(new ParamMap()).setFeaturesCol(col);
      for (Row r : m.transform(values).select("path", "probability").collectAsList()) {
        assertArrayEquals(byPath.get(name(r.getString(0))), ((Vector) r.get(1)).toArray(), 1e-6, col);
      }
    }
  }

  /**
   * A streaming DataFrame (files arriving in a folder, read by binaryFile) goes through {@code
   * Dataset.mapPartitions} rather than the internal rows a table's transform reads: the same
   * predictions and probabilities as the table's, row by row.
   */
  @Test
  @Order(2)
  void transformOfAStreamOfImageFilesGivesWhatTheTableGives() throws Exception {
    FoveaClassificationModel model = new FoveaClassificationModel(FashionPngs.untrainedModel(3))
        .setFeaturesCol("content").setInferenceBatch(7);
    Path dir = FashionPngs.write(tmp.resolve("stream"), IdxDatasets.Split.TEST, 500, 30);
    Map<String, Row> want = new HashMap<>();
    for (Row r : model.transform(FashionPngs.read(spark, dir)).select("path", "prediction", "probability")
        .collectAsList()) {
      want.put(name(r.getString(0)), r);
    }
    assertEquals(30, want.size());
    Dataset<Row> stream = spark.readStream().format("binaryFile")
        .schema(spark.read().format("binaryFile").load(dir.toString()).schema())
        .option("pathGlobFilter", "*.png").option("recursiveFileLookup", "true").load(dir.toString());
    assertTrue(stream.isStreaming());
    // a file sink, as a job that labels arriving images would write them (Parquet; a Vector is a struct there)
    Path sink = tmp.resolve("stream-predictions");
    org.apache.spark.sql.streaming.StreamingQuery q = model.transform(stream).select("path", "prediction", "probability")
        .writeStream().format("parquet").option("path", sink.toString())
        .option("checkpointLocation", tmp.resolve("stream-checkpoint").toString())
        .trigger(org.apache.spark.sql.streaming.Trigger.AvailableNow()).start();
    q.awaitTermination();
    List<Row> got = spark.read().parquet(sink.toString()).collectAsList();
    assertEquals(30, got.size());
    for (Row r : got) {
      Row w = want.get(name(r.getString(0)));
      assertNotNull(w, r.getString(0));
      assertEquals(w.getDouble(1), r.getDouble(1), r.getString(0));
      assertArrayEquals(((Vector) w.get(2)).toArray(), ((Vector) r.get(2)).toArray(), 1e-12, r.getString(0));
    }
    assertEquals(0, model.errorCount().value());
  }

  @Test
  @Order(3)
  void nullAndCorruptImagesGiveNullOutputsAndAreCountedOrFailInStrictMode() throws Exception {
    byte[] good = Files.readAllBytes(Files.list(Files.list(test).findFirst().orElseThrow()).findFirst().orElseThrow());
    byte[] truncated = java.util.Arrays.copyOf(good, good.length / 2);
    List<Row> rows = List.of(RowFactory.create("a.png", good), RowFactory.create("b.png", (Object) null),
        RowFactory.create("broken.png", truncated), RowFactory.create("d.png", good));
    StructType schema = new StructType().add("path", DataTypes.StringType).add("content", DataTypes.BinaryType);
    Dataset<Row> df = spark.createDataFrame(rows, schema).coalesce(1);
    FoveaClassificationModel model = new FoveaClassificationModel(FashionPngs.untrainedModel(3))
        .setFeaturesCol("content");
    // collected once and sorted here: a sort in Spark would compute the rows twice, and count twice
    List<Row> out = new ArrayList<>(model.transform(df).select("path", "prediction", "probability").collectAsList());
    out.sort(java.util.Comparator.comparing(r -> r.getString(0)));
    assertEquals(4, out.size());
    assertNotNull(out.get(0).get(1));
    assertNull(out.get(1).get(1));
    assertNull(out.get(1).get(2));
    assertNull(out.get(2).get(1));
    assertEquals(out.get(0).getDouble(1), out.get(3).getDouble(1));
    assertEquals(2, model.errorCount().value());

    model.setStrict(true);
    SparkException e = assertThrows(SparkException.class, () -> model.transform(df.filter("path != 'b.png'"))
        .collectAsList());
    String line = firstLine(e);
    assertTrue(line.contains("column 'content'") && line.contains("row 1 of partition 0 (broken.png)")
        && line.contains("cannot decode the image"), line);
  }

  @Test
  @Order(3)
  void transformBadInputIsOneLineNamingTheColumnTheRowAndTheProblem() throws Exception {
    FoveaClassificationModel model = new FoveaClassificationModel(FashionPngs.untrainedModel(3))
        .setFeaturesCol("pixels").setFeaturesShape(1, 28, 28).setInferenceBatch(4);
    Dataset<Row> pngs = FashionPngs.read(spark, test).limit(10).coalesce(1);

    IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
        () -> model.copy(new ParamMap()).setFeaturesCol("class").transform(pngs));
    assertEquals("FoveaClassificationModel: column 'class' is string; it must hold image file bytes (binary, as the "
        + "binaryFile source gives), Spark's image struct, array<float>, array<double> or an ML Vector", firstLine(type));
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> model.transform(pngs));
    assertTrue(firstLine(missing).startsWith("FoveaClassificationModel: column 'pixels' is missing; the DataFrame has "
        + "[path, "), firstLine(missing));

    // one row of 100 values and one with a null value among rows of the network's 784: null outputs and counted,
    // or in strict mode the job fails
    List<String> paths = pngs.select("path").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    String odd = paths.get(6);
    String nulls = paths.get(8);
    Dataset<Row> arrays = pngs.withColumn("pixels", functions.when(functions.col("path").equalTo(odd),
        functions.array_repeat(functions.lit(0.5f), 100)).when(functions.col("path").equalTo(nulls),
        functions.concat(functions.array_repeat(functions.lit(0.5f), 783), functions.array(functions.lit(null)
            .cast("float")))).otherwise(functions.array_repeat(functions.lit(0.5f), 784)));
    List<Row> out = model.transform(arrays).select("path", "prediction").collectAsList();
    assertEquals(10, out.size());
    for (Row r : out) {
      assertEquals(r.getString(0).equals(odd) || r.getString(0).equals(nulls), r.isNullAt(1), r.getString(0));
    }
    assertEquals(2, model.errorCount().value());
    SparkException nullValue = assertThrows(SparkException.class, () -> model.copy(new ParamMap()).setStrict(true)
        .transform(arrays.filter(functions.col("path").equalTo(nulls))).collectAsList());
    assertTrue(firstLine(nullValue).contains("FoveaClassificationModel: column 'pixels', row 0 of partition 0 (" + nulls
        + "): element 783 is null"), firstLine(nullValue));
    SparkException strict = assertThrows(SparkException.class,
        () -> model.copy(new ParamMap()).setStrict(true).transform(arrays).collectAsList());
    assertTrue(firstLine(strict).contains("FoveaClassificationModel: column 'pixels', row 6 of partition 0 (" + odd
        + "): 100 values where the shape (1, 28, 28) needs 784"), firstLine(strict));

    IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
        () -> model.copy(new ParamMap()).setFeaturesShape(1, 32, 32).transform(arrays));
    assertEquals("FoveaClassificationModel: column 'pixels': featuresShape [1, 32, 32] is not the model's input "
        + "(1, 28, 28)", firstLine(shape));
  }

  @Test
  @Order(4)
  void sqlFunctionPredictsAsTransformDoes() throws Exception {
    FoveaClassificationModel model = new FoveaClassificationModel(FashionPngs.untrainedModel(5))
        .setFeaturesCol("content");
    Dataset<Row> pngs = FashionPngs.read(spark, test).limit(20);
    Map<String, Double> want = new HashMap<>();
    for (Row r : model.transform(pngs).select("path", "prediction").collectAsList()) {
      want.put(r.getString(0), r.getDouble(1));
    }
    FoveaUdfs.register(spark, "fovea_predict", model);
    pngs.createOrReplaceTempView("pngs");
    List<Row> got = spark.sql("SELECT path, fovea_predict(content) AS p FROM pngs").collectAsList();
    assertEquals(20, got.size());
    for (Row r : got) {
      assertEquals(want.get(r.getString(0)), r.getDouble(1), r.getString(0));
    }
  }

  @Test
  @Order(5)
  void badInputIsOneLineNamingTheColumnTheRowAndTheProblem() throws Exception {
    Dataset<Row> pngs = FashionPngs.read(spark, test).limit(60).cache();
    List<String> paths = pngs.select("path").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    Dataset<Row> indexed = new StringIndexer().setInputCol("class").setOutputCol("label").fit(pngs).transform(pngs);

    IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
        () -> classifier().setFeaturesCol("class").fit(indexed));
    assertEquals("FoveaClassifier: column 'class' is string; it must hold image file bytes (binary, as the binaryFile"
        + " source gives), Spark's image struct, array<float>, array<double> or an ML Vector", firstLine(type));

    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> classifier().fit(pngs));
    assertTrue(firstLine(missing).startsWith("FoveaClassifier: column 'label' is missing; the DataFrame has [path, "),
        firstLine(missing));

    Dataset<Row> outOfRange = pngs.withColumn("label", functions.when(functions.col("path").equalTo(paths.get(7)),
        12.0).otherwise(1.0));
    IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
        () -> classifier().setNumClasses(10).fit(outOfRange));
    assertTrue(firstLine(range).matches("FoveaClassifier: column 'label', row \\d+ \\(file:.*/" + name(paths.get(7)).replace(".", "\\.") + "\\): label "
        + "12\\.0 outside the class indices 0\\.\\.9"), firstLine(range));

    Dataset<Row> arrays = indexed.withColumn("pixels", functions.when(functions.col("path").equalTo(paths.get(11)),
        functions.array_repeat(functions.lit(0.5f), 100)).otherwise(functions.array_repeat(functions.lit(0.5f), 784)));
    IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
        () -> classifier().setFeaturesCol("pixels").setFeaturesShape(1, 28, 28).fit(arrays));
    assertTrue(firstLine(shape).matches("FoveaClassifier: column 'pixels', row \\d+ \\(file:.*/" + name(paths.get(11)).replace(".", "\\.") + "\\): 100 "
        + "values, but featuresShape \\(1, 28, 28\\) needs 784"), firstLine(shape));
    IllegalArgumentException noShape = assertThrows(IllegalArgumentException.class,
        () -> classifier().setFeaturesCol("pixels").fit(arrays));
    assertTrue(firstLine(noShape).startsWith("FoveaClassifier: column 'pixels' is array<float>: set featuresShape"),
        firstLine(noShape));

    IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
        () -> classifier().setValidationFraction(0).fit(indexed.limit(20)));
    assertTrue(firstLine(small).matches("FoveaClassifier: .*20 samples cannot give each of 2 workers one batch of 32.*"),
        firstLine(small));

    Dataset<Row> corrupt = indexed.withColumn("content", functions.when(functions.col("path").equalTo(paths.get(13)),
        functions.substring(functions.col("content"), 1, 30)).otherwise(functions.col("content")));
    IllegalArgumentException strict = assertThrows(IllegalArgumentException.class,
        () -> classifier().setStrict(true).setValidationFraction(0).fit(corrupt));
    assertTrue(firstLine(strict).matches("FoveaClassifier: column 'content': .*1 of 60 images .* are corrupt.*first: "
        + "file:.*/" + name(paths.get(13)).replace(".", "\\.") + ": .*"), firstLine(strict));
  }

  @Test
  @Order(6)
  void crossValidatorChoosesBetweenTwoLearningRates() throws Exception {
    Dataset<Row> pngs = FashionPngs.read(spark, train).limit(600);
    // indexed over all rows: a fold's own StringIndexer would not know the classes only the other fold has
    Dataset<Row> indexed = new StringIndexer().setInputCol("class").setOutputCol("label").fit(pngs).transform(pngs);
    FoveaClassifier clf = classifier().setEpochs(1).setBatchSize(16).setStepsPerRound(2).setValidationFraction(0);
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {clf});
    // A fit shards rows keyed by their path, so every temporary folder gives another (deterministic)
    // order: 0.05 diverged for one of them (NaN in round 9); 0.02 gave 0.46-0.54 over five folders.
    ParamMap[] grid = new ParamGridBuilder().addGrid(clf.learningRate(), new double[] {0.001, 0.02}).build();
    CrossValidator cv = new CrossValidator().setEstimator(pipeline).setEstimatorParamMaps(grid).setNumFolds(2)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).setSeed(3);
    CrossValidatorModel m = cv.fit(indexed);
    double[] metrics = m.avgMetrics();
    System.out.printf("FoveaClassifierIT: cross-validated accuracy lr 0.001: %.4f, lr 0.02: %.4f%n", metrics[0],
        metrics[1]);
    assertEquals(2, metrics.length);
    for (double a : metrics) {
      assertTrue(a > 0.1 && a <= 1, "accuracy " + a);
    }
    PipelineModel best = (PipelineModel) m.bestModel();
    FoveaClassificationModel fitted = assertInstanceOf(FoveaClassificationModel.class, best.stages()[0]);
    double chosen = (Double) ((FoveaClassifier) fitted.parent()).getOrDefault(clf.learningRate());
    assertEquals(metrics[0] >= metrics[1] ? 0.001 : 0.02, chosen);
  }

  @Test
  @Order(7)
  void estimatorSavesAndLoadsItsParameters() throws Exception {
    FoveaClassifier c = classifier().setLearningRate(0.03).setFeaturesShape(1, 28, 28).setNetwork("lenet_bn");
    String path = tmp.resolve("estimator").toString();
    c.write().save(path);
    FoveaClassifier back = FoveaClassifier.load(path);
    assertEquals(c.uid(), back.uid());
    assertEquals(0.03, back.getLearningRate());
    assertEquals("lenet_bn", back.getNetwork());
    assertEquals("content", back.getFeaturesCol());
    assertArrayEquals(new int[] {1, 28, 28}, back.getFeaturesShape());
    for (org.apache.spark.ml.param.Param<?> p : c.params()) {
      @SuppressWarnings("unchecked")
      org.apache.spark.ml.param.Param<Object> q = (org.apache.spark.ml.param.Param<Object>) p;
      assertEquals(q.jsonEncode(c.getOrDefault(q)), q.jsonEncode(back.getOrDefault(back.getParam(q.name()))),
          q.name());
    }
    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
        () -> FoveaClassificationModel.load(path));
    assertTrue(firstLine(wrong).endsWith("holds a dev.fovea.driver.ml.FoveaClassifier, not a "
        + "dev.fovea.driver.ml.FoveaClassificationModel"), firstLine(wrong));
  }

  @Test
  @Order(8)
  void pipelineFitsSavesAndLoadsInAFreshSessionWithTheSamePredictions() throws Exception {
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        new StringIndexer().setInputCol("class").setOutputCol("label"),
        classifier().setEpochs(3).setLearningRate(0.02),
        new IndexToString().setInputCol("prediction").setOutputCol("predictedClass")});
    List<String> lines = new ArrayList<>();
    ((FoveaClassifier) pipeline.getStages()[1]).setProgress(dev.fovea.driver.Progress.lines(lines::add));
    PipelineModel fitted = pipeline.fit(FashionPngs.read(spark, train));
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("epoch 3/3 done")), String.join("\n", lines));
    FoveaClassificationModel model = (FoveaClassificationModel) fitted.stages()[1];
    assertEquals(3, model.trainingResult().epochs());
    assertEquals(10, model.classNames().size());

    Dataset<Row> held = fitted.transform(FashionPngs.read(spark, test)).select("path", "class", "predictedClass",
        "prediction", "probability").orderBy("path");
    List<Row> before = held.collectAsList();
    long right = before.stream().filter(r -> r.getString(1).equals(r.getString(2))).count();
    double accuracy = (double) right / before.size();
    System.out.printf("FoveaClassifierIT: held-out accuracy %.4f on %d Fashion-MNIST test images (validation during "
        + "fit %.4f)%n", accuracy, before.size(), model.trainingResult().testAccuracy());
    assertEquals(500, before.size());
    assertTrue(accuracy > ACCURACY_BAR, "held-out accuracy " + accuracy);

    String path = tmp.resolve("pipeline").toString();
    fitted.write().save(path);
    spark.stop();
    // a fresh session as a notebook may have made it: Java serialization, no Fovea settings
    spark = SparkSession.builder().master("local[2]").appName("fresh").config("spark.ui.enabled", "false")
        .getOrCreate();
    PipelineModel loaded = PipelineModel.load(path);
    List<Row> after = loaded.transform(FashionPngs.read(spark, test)).select("path", "class", "predictedClass",
        "prediction", "probability").orderBy("path").collectAsList();
    assertEquals(before.size(), after.size());
    for (int i = 0; i < before.size(); i++) {
      assertEquals(before.get(i).getString(0), after.get(i).getString(0));
      assertEquals(before.get(i).getString(2), after.get(i).getString(2));
      assertEquals(before.get(i).getDouble(3), after.get(i).getDouble(3));
      assertArrayEquals(((Vector) before.get(i).get(4)).toArray(), ((Vector) after.get(i).get(4)).toArray(), 1e-7);
    }
  }
}
