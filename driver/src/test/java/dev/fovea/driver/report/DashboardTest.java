package dev.fovea.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dashboard's server and record, without Spark; DashboardIT renders the page in a browser. */
class DashboardTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesThePageAndTheRecord() throws Exception {
    RunRecord record = new RunRecord();
    List<String> warnings = new ArrayList<>();
    try (Dashboard d = Dashboard.start(new Dashboard.Options(true, "127.0.0.1", 0), HtmlReport::live, record::json,
        warnings::add)) {
      assertNotNull(d);
      assertTrue(d.address().matches("http://127\\.0\\.0\\.1:\\d+/"), d.address());
      assertEquals("preparing", new ObjectMapper().readTree(get(d.address() + "data.json").body()).get("status")
          .asText());
      record.begin("a run", List.of("cat", "dog"), Map.of("epochs", 1), 4, 4);
      record.round(1, 1, 0.7, 64, 0.5, 0.4, 0.01);
      HttpResponse<String> data = get(d.address() + "data.json");
      assertEquals("application/json; charset=utf-8", data.headers().firstValue("Content-Type").orElse(""));
      JsonNode json = new ObjectMapper().readTree(data.body());
      assertEquals("running", json.get("status").asText());
      assertEquals(128.0, json.at("/rounds/images_per_second/0").asDouble(), 1e-9);
      assertEquals(0.1, json.at("/rounds/sync_seconds/0").asDouble(), 1e-9);
      assertEquals("dog", json.at("/classes/1").asText());
      HttpResponse<String> page = get(d.address());
      assertEquals(200, page.statusCode());
      assertTrue(page.body().contains("fetch(\"data.json\"") && page.body().contains("uPlot"), "the live page");
      assertEquals(404, get(d.address() + "elsewhere").statusCode());
    }
    assertEquals(List.of(), warnings);
  }

  @Test
  void aPortInUseMovesToAFreeOneWithAWarning() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      List<String> warnings = new ArrayList<>();
      try (Dashboard d = Dashboard.start(new Dashboard.Options(true, "127.0.0.1", taken.getLocalPort()),
          () -> "page", () -> "{}", warnings::add)) {
        assertNotNull(d);
        assertNotEquals(taken.getLocalPort(), URI.create(d.address()).getPort());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).startsWith("dashboard: port " + taken.getLocalPort() + " on 127.0.0.1 is in use"),
            warnings.get(0));
        assertEquals("page", get(d.address()).body());
      }
    }
  }

  @Test
  void anAddressItCannotUseIsAWarningAndNoDashboard() {
    List<String> warnings = new ArrayList<>();
    // 192.0.2.1 (TEST-NET-1, RFC 5737) is no address of this machine
    assertNull(Dashboard.start(new Dashboard.Options(true, "192.0.2.1", 0), () -> "", () -> "{}", warnings::add));
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).startsWith("dashboard: cannot listen on 192.0.2.1"), warnings.get(0));
  }

  @Test
  void theReportInlinesItsDataSafely() {
    RunRecord record = new RunRecord();
    record.begin("</script><script>alert(1)</script>", List.of("a"), Map.of(), 1, 1);
    String html = HtmlReport.report(record.json());
    assertFalse(html.contains("</script><script>alert(1)"), "the data cannot close its script element");
    assertTrue(html.contains("<\\/script><script>alert(1)<\\/script>"));
    assertFalse(html.contains("/*DATA*/") || html.contains("/*UPLOT_JS*/") || html.contains("/*UPLOT_CSS*/"));
    assertTrue(html.contains("<!-- uPlot " + HtmlReport.uplotVersion() + " "));
    for (String fetches : List.of("src=\"http", "href=\"http", "url(http", "<script src", "<link", "@import",
        "fetch(\"http")) {
      assertFalse(html.contains(fetches), "nothing fetched: " + fetches);
    }
  }

  @Test
  void portsOutOfRangeAreBadInput() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new Dashboard.Options(true, "127.0.0.1", -1));
    assertEquals("invalid value -1 for --dashboard-port: must be in [0, 65535]", e.getMessage());
  }
}
