package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.FashionMnist;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training in a Spark session Fovea did not create, as a notebook's: with Spark's default Java
 * serializer, and with Kryo without Fovea's registrator, a run trains to bitwise the parameters of
 * the same run in Fovea's own session (serialisation carries the same floats) and says once how to
 * make it faster; Kryo with registration required but without Fovea's classes is refused before
 * any job, with a line naming the setting to add.
 */
class NotebookSessionIT {
  @TempDir static Path tmp;
  static TrainConfig config;
  static float[] own;

  @BeforeAll
  static void trainInFoveasSession() throws Exception {
    Path data = FashionMnist.subset(tmp, 320, 64);
    config = TrainConfig.builder().data(data.toString()).workers(2).batch(16).stepsPerRound(2).epochs(1)
        .backend("reference").seed(11).averaging("sharded").build();
    SparkSession spark = SparkSessions.create("NotebookSessionIT", null, 2);
    try {
      own = run(spark, "own", new ArrayList<>()).params();
    } finally {
      spark.stop();
    }
  }

  private static TrainingRun.Result run(SparkSession spark, String name, List<String> lines) {
    return new TrainingRun(spark, config.toBuilder().shards(tmp.resolve("shards").toString())
        .out(tmp.resolve(name).toString()).build(), lines::add).run();
  }

  /** A session as a notebook makes it: plain local mode, only the settings given here. */
  private static SparkSession notebook(String... settings) {
    SparkConf conf = new SparkConf(false).setMaster("local[2,4]").setAppName("notebook")
        .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1");
    for (int i = 0; i < settings.length; i += 2) {
      conf.set(settings[i], settings[i + 1]);
    }
    return SparkSession.builder().config(conf).getOrCreate();
  }

  @Test
  void javaSerializationTrainsTheSameParametersAndSaysSoOnce() {
    SparkSession spark = notebook();
    try {
      List<String> lines = new ArrayList<>();
      float[] params = run(spark, "java", lines).params();
      assertArrayEquals(own, params, "Java serialization carries the same floats as Kryo");
      assertEquals(1, lines.stream().filter(l -> l.contains("JavaSerializer")).count(), String.join("\n", lines));
      List<String> again = new ArrayList<>();
      run(spark, "java-again", again);
      assertTrue(again.stream().noneMatch(l -> l.contains("JavaSerializer")), "said once per application");
    } finally {
      spark.stop();
    }
  }

  @Test
  void kryoWithoutFoveasRegistratorTrainsTheSameParameters() {
    SparkSession spark = notebook("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    try {
      List<String> lines = new ArrayList<>();
      assertArrayEquals(own, run(spark, "kryo", lines).params());
      assertTrue(lines.stream().anyMatch(l -> l.contains("does not register Fovea's classes")), String.join("\n",
          lines));
    } finally {
      spark.stop();
    }
  }

  @Test
  void kryoRequiringRegistrationWithoutFoveasClassesIsOneLineBeforeAnyJob() throws Exception {
    SparkSession spark = notebook("spark.serializer", "org.apache.spark.serializer.KryoSerializer",
        "spark.kryo.registrationRequired", "true");
    java.util.concurrent.atomic.AtomicInteger jobs = new java.util.concurrent.atomic.AtomicInteger();
    spark.sparkContext().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
      @Override
      public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart start) {
        jobs.incrementAndGet();
      }
    });
    try {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(spark, "required",
          new ArrayList<>()));
      assertTrue(e.getMessage().contains("spark.kryo.registrator") && e.getMessage().contains(
          FoveaKryoRegistrator.class.getName()) && !e.getMessage().contains("\n"), e.getMessage());
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertEquals(0, jobs.get(), "no job ran");
    } finally {
      spark.stop();
    }
  }
}
