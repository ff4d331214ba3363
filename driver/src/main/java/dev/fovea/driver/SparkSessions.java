package dev.fovea.driver;

import dev.fovea.driver.report.FoveaMetrics;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Creates the Spark session of a run with Fovea's settings: Kryo with registration required and
 * Fovea's registrator. Under spark-submit the master comes from spark-submit; otherwise Spark runs
 * embedded in local mode with one core per worker.
 *
 * <p>Network defaults ({@link #secure}; a setting given explicitly, e.g. by spark-submit's
 * {@code --conf}, wins): in local mode the driver binds to 127.0.0.1 and authenticates
 * connections with a secret Spark generates; on a cluster master every connection is
 * authenticated with the cluster's shared secret and encrypted (RPC and shuffle, spill and
 * broadcast files), UI ACLs are on and the UI's kill action is off.
 */
public final class SparkSessions {
  private SparkSessions() {}

  /** The contexts {@link #adopt} has already reported on (by application id), so it says so once. */
  private static final java.util.Set<String> ADOPTED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Checks that Fovea can train in {@code spark}, a session it may not have created (a notebook's,
   * an application's). Its serializer cannot change once the context runs, so: Kryo with Fovea's
   * registrator, or Kryo without registration required, or Java serialization all work (the last
   * two are slower; {@code log} is told once per application); Kryo with registration required but
   * without Fovea's registrator would fail in the first round, so it is refused here.
   *
   * @throws IllegalArgumentException naming the setting to add when the session cannot carry a round
   */
  public static void adopt(SparkSession spark, java.util.function.Consumer<String> log) {
    SparkConf conf = spark.sparkContext().getConf();
    String serializer = conf.get("spark.serializer", "org.apache.spark.serializer.JavaSerializer");
    boolean kryo = serializer.equals("org.apache.spark.serializer.KryoSerializer");
    boolean registered = java.util.Arrays.stream(conf.get("spark.kryo.registrator", "").split(","))
        .map(String::trim).anyMatch(FoveaKryoRegistrator.class.getName()::equals);
    if (kryo && !registered && conf.getBoolean("spark.kryo.registrationRequired", false)) {
      throw new IllegalArgumentException("this Spark session uses Kryo with spark.kryo.registrationRequired=true "
          + "but without Fovea's classes: add " + FoveaKryoRegistrator.class.getName()
          + " to spark.kryo.registrator when the session is created (the list is comma-separated)");
    }
    if (kryo && registered || !ADOPTED.add(spark.sparkContext().applicationId())) {
      return;
    }
    log.accept(kryo
        ? "note: this Spark session's Kryo does not register Fovea's classes; rounds work but write class names; "
            + "spark.kryo.registrator=" + FoveaKryoRegistrator.class.getName() + " makes them smaller"
        : "note: this Spark session uses " + serializer + ", not Kryo; rounds work, more slowly; "
            + "spark.serializer=org.apache.spark.serializer.KryoSerializer with spark.kryo.registrator="
            + FoveaKryoRegistrator.class.getName() + " is faster");
  }

  public static SparkSession create(String appName, String master, int workers) {
    SparkConf conf = new SparkConf(true)
        .setAppName(appName)
        .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .set("spark.kryo.registrator", FoveaKryoRegistrator.class.getName())
        .set("spark.kryo.registrationRequired", "true")
        .set("spark.kryoserializer.buffer.max", "1g")
        .set("spark.ui.showConsoleProgress", "false")
        // Rounds move float vectors: Kryo's unsafe streams copy a primitive array in bulk instead of
        // value by value (both ends use the same setting, so the byte format is consistent), and lz4
        // cannot shrink random floats, so compressing the broadcast state only costs time. Users may
        // set either differently.
        .setIfMissing("spark.kryo.unsafe", "true")
        .setIfMissing("spark.broadcast.compress", "false")
        // A worker's round result (LeNet: 3.4 MB) comes back inside the task's status message up to
        // this size (Spark caps it at spark.rpc.message.maxSize) instead of being stored in the
        // executor's block manager and fetched by the driver in a second transfer: LeNet's tree
        // round in local mode, 2 workers, 263 -> 111 ms inside its job (fovea benchmark rounds,
        // loaded machine).
        .setIfMissing("spark.task.maxDirectResultSize", "1g")
        // Up to 1 GiB (Spark's cap on the setting above is this message size): a ResNet-50 worker's
        // 204 MB result then comes back directly too. Through the block manager it was serialized,
        // stored, fetched over a connection and deserialized again: 3.3 s of result fetch per tree
        // round at 2 workers (fovea benchmark rounds, driver/BENCHMARKS.md).
        .setIfMissing("spark.rpc.message.maxSize", "1024")
        // The sharded strategy's shuffles carry random floats, which lz4 cannot shrink (0.83 of the
        // raw bytes at best, from the double sums it no longer sends): compressing them only costs
        // CPU. Spark reads this once per application, not per shuffle, so it applies to any
        // shuffle of the session (fovea shard's shuffle of image bytes writes more to local disk).
        .setIfMissing("spark.shuffle.compress", "false");
    // the run's figures in Spark's metrics system (FoveaMetrics), beside any plugin the user lists
    String plugins = conf.get("spark.plugins", "");
    if (!java.util.Arrays.asList(plugins.split(",")).contains(FoveaMetrics.class.getName())) {
      conf.set("spark.plugins", plugins.isBlank() ? FoveaMetrics.class.getName()
          : plugins + "," + FoveaMetrics.class.getName());
    }
    if (master != null) {
      conf.setMaster(master);
    } else if (!conf.contains("spark.master")) {
      // local[N, F]: N task slots, and a failed task is retried up to F times as on a cluster
      conf.setMaster("local[" + workers + ",4]");
    }
    secure(conf);
    return SparkSession.builder().config(conf).getOrCreate();
  }

  /**
   * Applies Fovea's network defaults to {@code conf} for its master.
   *
   * @throws IllegalArgumentException for a standalone master ({@code spark://}) with authentication
   *     on and no {@code spark.authenticate.secret} (the one place Spark takes a standalone
   *     driver's secret from; spark-submit's properties file or {@code --conf} sets it)
   */
  public static SparkConf secure(SparkConf conf) {
    String master = conf.get("spark.master", "");
    if (master.startsWith("local")) {
      conf.setIfMissing("spark.driver.host", "127.0.0.1");
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
      conf.setIfMissing("spark.ui.enabled", "false");
      conf.setIfMissing("spark.authenticate", "true"); // Spark generates the secret in local mode
      return conf;
    }
    conf.setIfMissing("spark.authenticate", "true");
    conf.setIfMissing("spark.network.crypto.enabled", "true");
    conf.setIfMissing("spark.io.encryption.enabled", "true");
    conf.setIfMissing("spark.acls.enable", "true");
    conf.setIfMissing("spark.ui.killEnabled", "false");
    if (master.startsWith("spark://") && conf.getBoolean("spark.authenticate", true)
        && !conf.contains("spark.authenticate.secret")) {
      throw new IllegalArgumentException("--master " + master + ": no shared secret for the cluster: set "
          + "spark.authenticate.secret (in a properties file given to spark-submit, as 'deploy/bin/fovea-cluster "
          + "submit' does); see docs/deploy.md");
    }
    return conf;
  }
}
