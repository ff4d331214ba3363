package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.ListeningSockets;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.SecurityManager;
import org.apache.spark.SparkConf;
import org.apache.spark.rpc.RpcAddress;
import org.apache.spark.rpc.RpcEndpointRef;
import org.apache.spark.rpc.RpcEnv;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The doors of the cluster that {@code bin/fovea-cluster} and {@code bin/fovea-hdfs} start, tried
 * from outside as an intruder on this machine would: the REST submission server, the master's RPC
 * endpoint without the secret, the UI's kill action, HDFS paths of another user, and every
 * listening socket of every daemon.
 */
class ClusterSecurityIT {
  @TempDir static Path tmp;
  static TestCluster tc;

  @BeforeAll
  static void start() throws Exception {
    tc = new TestCluster(tmp, 1);
    tc.start();
  }

  @AfterAll
  static void stop() throws Exception {
    tc.stop();
  }

  /** Spark's standalone REST server (CreateSubmissionRequest: a driver runs code as the cluster's user) is off. */
  @Test
  void restSubmissionIsRefused() throws Exception {
    String request = """
        {"action": "CreateSubmissionRequest", "clientSparkVersion": "4.2.0", "appResource": "file:/tmp/x.jar",
         "mainClass": "Intruder", "appArgs": [], "environmentVariables": {},
         "sparkProperties": {"spark.master": "spark://127.0.0.1:%d", "spark.app.name": "intruder"}}
        """.formatted(tc.masterPort);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    for (int port : new int[] {tc.restPort, tc.masterPort, tc.masterUiPort}) {
      HttpRequest post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/submissions/create"))
          .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
          .POST(HttpRequest.BodyPublishers.ofString(request)).build();
      if (port == tc.restPort) {
        assertThrows(ConnectException.class, () -> http.send(post, HttpResponse.BodyHandlers.ofString()),
            "nothing listens on the REST port " + port);
      } else {
        try {
          HttpResponse<String> r = http.send(post, HttpResponse.BodyHandlers.ofString());
          assertFalse(r.body().contains("CreateSubmissionResponse"), "port " + port + ": " + r.body());
          assertNotEquals(200, r.statusCode(), "port " + port + ": " + r.body());
        } catch (java.io.IOException e) {
          // the RPC port does not speak HTTP: refused is what we want
        }
      }
    }
    String log = Files.readString(tmp.resolve("cluster/master.log"));
    assertFalse(log.contains("REST"), "the master started no REST server:\n" + log);
  }

  /** The UI's kill action is not served (spark.ui.killEnabled=false). */
  @Test
  void uiKillIsNotServed() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tc.masterUiPort
        + "/app/kill/")).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("id=app-20260101000000-0000&terminate=true")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() == 404 || r.statusCode() == 405, "kill answered " + r.statusCode() + ": " + r.body());
    HttpResponse<String> ui = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tc.masterUiPort
        + "/")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(ui.statusCode() == 200 && ui.body().contains("Spark Master"), "the UI itself is up (the control)");
  }

  /**
   * An RPC client without the secret cannot even look up the master's endpoint; the same client
   * with the secret can (the control: the refusal is the authentication's, not a broken address).
   */
  @Test
  void rpcWithoutTheSecretIsRefused() throws Exception {
    String secret = Files.readString(tmp.resolve("cluster/secret")).trim();
    assertThrows(Exception.class, () -> lookUpMaster(new SparkConf(false)), "no authentication");
    assertThrows(Exception.class, () -> lookUpMaster(new SparkConf(false).set("spark.authenticate", "true")
        .set("spark.authenticate.secret", "not-the-secret")), "a wrong secret");
    lookUpMaster(new SparkConf(false).set("spark.authenticate", "true").set("spark.authenticate.secret", secret)
        .set("spark.network.crypto.enabled", "true"));
  }

  private static void lookUpMaster(SparkConf conf) {
    conf.set("spark.rpc.lookupTimeout", "15s").set("spark.rpc.askTimeout", "15s").set("spark.master", "spark://x:1");
    SecurityManager sm = new SecurityManager(conf, scala.Option.empty(),
        org.apache.spark.internal.config.package$.MODULE$.AUTH_SECRET_FILE());
    RpcEnv env = RpcEnv.create("intruder", "127.0.0.1", 0, conf, sm, true);
    try {
      RpcEndpointRef master = env.setupEndpointRef(new RpcAddress("127.0.0.1", tc.masterPort), "Master");
      assertTrue(master.address().port() == tc.masterPort);
    } finally {
      env.shutdown();
    }
  }

  /** HDFS permissions are on: another user cannot write into the cluster user's folders. */
  @Test
  void hdfsEnforcesPermissions() throws Exception {
    Path file = Files.writeString(tmp.resolve("note.txt"), "hello");
    tc.run(tc.hdfsCommand("put", file.toString(), tc.hdfs + "/owned/"), 2, 0, Map.of());
    String denied = tc.run(tc.hdfsCommand("put", file.toString(), tc.hdfs + "/owned/intruder/"), 2, 1,
        Map.of("HADOOP_USER_NAME", "intruder"));
    assertTrue(denied.contains("Permission denied"), denied);
  }

  /** Every socket that the master, the worker, the NameNode and the DataNode listen on is on 127.0.0.1. */
  @Test
  void nothingListensBeyondLoopback() throws Exception {
    List<Long> pids = new ArrayList<>(tc.pids("cluster").values());
    pids.addAll(tc.pids("hdfs").values());
    List<ListeningSockets.Socket> sockets = ListeningSockets.of(pids);
    assertTrue(sockets.stream().anyMatch(s -> s.port() == tc.masterPort), "the master's port is seen: " + sockets);
    assertTrue(sockets.size() >= 8, "master, worker, NameNode and DataNode each listen: " + sockets);
    for (ListeningSockets.Socket s : sockets) {
      assertTrue(s.loopback(), s.toString());
    }
  }
}
