package dev.fovea.driver;

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

  public static SparkSession create(String appName, String master, int workers) {
    SparkConf conf = new SparkConf(true)
        .setAppName(appName)
        .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .set("spark.kryo.registrator", FoveaKryoRegistrator.class.getName())
        .set("spark.kryo.registrationRequired", "true")
        .set("spark.kryoserializer.buffer.max", "1g")
        .set("spark.ui.showConsoleProgress", "false");
    if (master != null) {
      conf.setMaster(master);
    } else if (!conf.contains("spark.master")) {
      // local[N, F]: N task slots, and a failed task is retried up to F times as on a cluster
      conf.setMaster("local[" + workers + ",4]");
    }
    secure(conf, System.getenv("_SPARK_AUTH_SECRET") != null);
    return SparkSession.builder().config(conf).getOrCreate();
  }

  /**
   * Applies Fovea's network defaults to {@code conf} for its master; {@code secretInEnvironment}:
   * whether the shared secret comes in Spark's {@code _SPARK_AUTH_SECRET} environment variable.
   *
   * @throws IllegalArgumentException for a standalone master ({@code spark://}) with authentication
   *     on and no shared secret configured
   */
  public static SparkConf secure(SparkConf conf, boolean secretInEnvironment) {
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
    boolean secret = secretInEnvironment || conf.contains("spark.authenticate.secret")
        || conf.contains("spark.authenticate.secret.file") || conf.contains("spark.authenticate.secret.driver.file");
    if (master.startsWith("spark://") && conf.getBoolean("spark.authenticate", true) && !secret) {
      throw new IllegalArgumentException("--master " + master + ": no shared secret for the cluster: set "
          + "spark.authenticate.secret (e.g. in a properties file given to spark-submit, as "
          + "'deploy/bin/fovea-cluster submit' does) or spark.authenticate.secret.file; see docs/deploy.md");
    }
    return conf;
  }
}
