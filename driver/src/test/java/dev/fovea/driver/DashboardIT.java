package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fovea.data.testing.FashionMnist;
import dev.fovea.driver.report.Dashboard;
import dev.fovea.driver.worker.Evaluation;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live dashboard during a real run on real Fashion-MNIST, and the final report.html, rendered
 * by headless Chromium: the DOM after the page's scripts ran must hold the charts' data points, the
 * heat map's class names and the misclassified images, and no script error. The run asks for a
 * port that is in use: a warning, the dashboard on a free port, the run goes on. Screenshots are
 * kept under {@code target/dashboard-it/}.
 */
class DashboardIT {
  private static final Path ARTEFACTS = Path.of("target", "dashboard-it");
  private static final int WIDTH = 1320;
  private static final int HEIGHT = 2800;

  @Test
  void liveDashboardOnAPortInUseAndReportRenderInChromium(@TempDir Path tmp) throws Exception {
    Chromium chromium = Chromium.require(tmp);
    Path data = FashionMnist.subset(tmp, 1200, 300);
    TrainConfig c = TrainConfig.builder().data(data.toString()).out(tmp.resolve("out").toString()).epochs(2)
        .workers(2).stepsPerRound(2).build();
    CountDownLatch paused = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    List<String> lines = new CopyOnWriteArrayList<>();
    int[] pausedAt = new int[2]; // rounds done, rounds per epoch
    Progress progress = new Progress() {
      @Override
      public void message(String line) {
        lines.add(line);
        System.out.println(java.time.LocalTime.now() + " fovea: " + line);
      }

      @Override
      public void round(int epoch, int epochs, int round, int rounds, double loss, double accuracy,
          double imagesPerSecond, double etaSeconds) {
        if (epoch == 2 && round == rounds / 2) { // mid-run: one epoch evaluated, the second half done
          pausedAt[0] = rounds + round;
          pausedAt[1] = rounds;
          paused.countDown();
          try {
            resume.await(5, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }

      @Override
      public void epoch(int epoch, int epochs, double trainLoss, double testAccuracy, double testLoss) {}
    };
    SparkSession spark = SparkSessions.create("DashboardIT", null, 2);
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      CompletableFuture<TrainingRun.Result> run = CompletableFuture.supplyAsync(() -> new TrainingRun(spark, c,
          progress, new Dashboard.Options(true, "127.0.0.1", port)).run());
      try {
        while (!paused.await(1, TimeUnit.SECONDS)) {
          if (run.isDone()) {
            run.join(); // throws what failed the run
            throw new AssertionError("the run ended before the middle of epoch 2: " + lines);
          }
        }
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("warning: dashboard: port " + port
            + " on 127.0.0.1 is in use")), "a warning for the port in use: " + lines);
        String address = lines.stream().filter(l -> l.startsWith("dashboard: http://127.0.0.1:")).findFirst()
            .orElseThrow(() -> new AssertionError("no dashboard address announced: " + lines)).substring(11);
        assertNotEquals(port, java.net.URI.create(address).getPort(), "a free port instead");

        Chromium.Page live = chromium.dom(address, 5000);
        String dom = live.dom();
        noScriptError(live);
        assertEquals("running", attribute(dom, "<body[^>]*>", "data-status"), dom);
        int rounds = pausedAt[0];
        for (String chart : List.of("loss", "throughput", "round-time", "lr", "workers", "memory")) {
          assertEquals(rounds, points(dom, chart), chart + ": one point per round so far");
        }
        assertEquals(1, points(dom, "accuracy"), "one epoch evaluated");
        assertEquals(1, points(dom, "epoch-loss"));
        assertEquals(2, Integer.parseInt(attribute(dom, "<div[^>]*data-chart=\"workers\"[^>]*>", "data-series")),
            "one straggler series per worker");
        assertTrue(count(dom, "<canvas") >= 8, "uPlot drew every chart on a canvas");
        heatMapAndGrid(dom);
        Files.createDirectories(ARTEFACTS);
        Files.writeString(ARTEFACTS.resolve("live.html"), dom);
        noScriptError(chromium.screenshot(address, ARTEFACTS.resolve("live.png"), WIDTH, HEIGHT, 5000));
      } finally {
        resume.countDown();
      }
      TrainingRun.Result result = run.get(5, TimeUnit.MINUTES);

      Path report = tmp.resolve("out/report.html");
      String html = Files.readString(report);
      assertFalse(html.contains("<script src") || html.contains("<link"), "report.html loads nothing");
      JsonNode summary = new ObjectMapper().readTree(tmp.resolve("out/summary.json").toFile());
      Chromium.Page page = chromium.dom(report.toUri().toString(), 3000);
      noScriptError(page);
      String dom = page.dom();
      assertEquals("finished", attribute(dom, "<body[^>]*>", "data-status"), dom);
      assertEquals(result.rounds(), points(dom, "loss"));
      assertEquals(summary.get("rounds").asInt(), points(dom, "round-time"));
      assertEquals(2, points(dom, "accuracy"));
      String accuracy = new java.math.BigDecimal(result.testAccuracy()).round(new java.math.MathContext(4))
          .stripTrailingZeros().toPlainString();
      assertTrue(dom.contains("<th>test accuracy</th><td>" + accuracy + "</td>"), "the summary table, rounded: "
          + accuracy);
      heatMapAndGrid(dom);
      Files.writeString(ARTEFACTS.resolve("report.html"), html);
      noScriptError(chromium.screenshot(report.toUri().toString(), ARTEFACTS.resolve("report.png"), WIDTH, HEIGHT,
          3000));
    } finally {
      spark.stop();
    }
  }

  /** The dashboard's flags: a port out of range is bad input, before Spark starts. */
  @Test
  void aPortOutOfRangeIsOneLineAndExitCode2(@TempDir Path tmp) {
    TrainCommandIT.Run bad = TrainCommandIT.fovea("train", "--dashboard-port", "70000", "--out", tmp.toString());
    assertEquals(2, bad.code());
    assertEquals("fovea: error: invalid value 70000 for --dashboard-port: must be in [0, 65535]", bad.err().strip());
  }

  private static void heatMapAndGrid(String dom) {
    for (String name : List.of("T-shirt/top", "Trouser", "Ankle boot")) {
      assertTrue(dom.contains("<th class=\"col\">" + name + "</th>") && dom.contains("<th class=\"row\">" + name
          + "</th>"), "the heat map labels " + name);
    }
    assertEquals(100, count(dom, "<td title="), "a 10 × 10 heat map");
    assertEquals(10, count(dom, "<div class=\"bar\""), "a bar per class");
    assertEquals(Evaluation.MISTAKES, count(dom, "<img src=\"data:image/png;base64,"),
        "the grid of misclassified images");
    assertEquals(Evaluation.MISTAKES, count(dom, "class=\"predicted\">predicted: "));
  }

  private static void noScriptError(Chromium.Page p) {
    assertFalse(p.dom().contains("<div class=\"script-error\""), "a script error in the page: " + p.dom());
    assertFalse(p.log().contains("Uncaught"), "a script error in the console: " + p.log());
  }

  private static int points(String dom, String chart) {
    return Integer.parseInt(attribute(dom, "<div[^>]*data-chart=\"" + chart + "\"[^>]*>", "data-points"));
  }

  private static String attribute(String dom, String element, String name) {
    Matcher e = Pattern.compile(element).matcher(dom);
    assertTrue(e.find(), "no " + element + " in the page");
    Matcher a = Pattern.compile(name + "=\"([^\"]*)\"").matcher(e.group());
    assertTrue(a.find(), "no " + name + " in " + e.group());
    return a.group(1);
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
