package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.ListeningSockets;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** Fovea's network defaults: loopback in local mode, authentication and encryption on a cluster. */
class SparkSessionsIT {
  static SparkConf conf(String master) {
    return new SparkConf(false).setMaster(master);
  }

  @Test
  void localModeBindsToLoopbackAndAuthenticates() {
    SparkConf c = SparkSessions.secure(conf("local[2]"));
    assertEquals("127.0.0.1", c.get("spark.driver.bindAddress"));
    assertEquals("127.0.0.1", c.get("spark.driver.host"));
    assertEquals("true", c.get("spark.authenticate"));
    assertEquals("false", c.get("spark.ui.enabled"));
  }

  @Test
  void anExplicitBindAddressWins() {
    SparkConf c = SparkSessions.secure(conf("local[2]").set("spark.driver.bindAddress", "0.0.0.0"));
    assertEquals("0.0.0.0", c.get("spark.driver.bindAddress"));
  }

  @Test
  void aClusterMasterGetsAuthenticationEncryptionAndAcls() {
    SparkConf c = SparkSessions.secure(conf("spark://127.0.0.1:7077").set("spark.authenticate.secret", "s"));
    assertEquals("true", c.get("spark.authenticate"));
    assertEquals("true", c.get("spark.network.crypto.enabled"));
    assertEquals("true", c.get("spark.io.encryption.enabled"));
    assertEquals("true", c.get("spark.acls.enable"));
    assertEquals("false", c.get("spark.ui.killEnabled"));
    SparkConf yarn = SparkSessions.secure(conf("yarn")); // YARN generates the secret per application
    assertEquals("true", yarn.get("spark.io.encryption.enabled"));
  }

  @Test
  void aStandaloneMasterWithoutTheSecretIsOneLine() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SparkSessions.secure(conf("spark://127.0.0.1:7077")));
    assertTrue(e.getMessage().startsWith("--master spark://127.0.0.1:7077: no shared secret"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    // authentication turned off explicitly: accepted (and the cluster refuses the application)
    SparkConf off = SparkSessions.secure(conf("spark://127.0.0.1:7077").set("spark.authenticate", "false"));
    assertEquals("false", off.get("spark.authenticate"));
  }

  /** A real local session, as every Fovea command and test starts one: nothing listens beyond loopback. */
  @Test
  void aLocalSessionListensOnLoopbackOnly() throws Exception {
    SparkSession spark = SparkSessions.create("SparkSessionsIT", "local[2]", 2);
    try {
      assertEquals(2L, TrainingRun.workers(JavaSparkContext.fromSparkContext(spark.sparkContext()), 2)
          .map(w -> w + 1).count(), "a job ran");
      assertEquals("127.0.0.1", spark.sparkContext().env().rpcEnv().address().host());
      assertTrue(spark.sparkContext().env().securityManager().isAuthenticationEnabled());
      List<ListeningSockets.Socket> sockets = ListeningSockets.of(List.of(ProcessHandle.current().pid()));
      assertFalse(sockets.isEmpty(), "the driver's RPC endpoint listens");
      for (ListeningSockets.Socket s : sockets) {
        assertTrue(s.loopback(), s.toString());
      }
    } finally {
      spark.stop();
    }
  }
}
