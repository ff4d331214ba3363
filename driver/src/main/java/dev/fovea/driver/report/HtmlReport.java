package dev.fovea.driver.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * The run's page: the live dashboard, and the same page with the final data inlined as {@code
 * report.html}. Self-contained: uPlot's script and style (the WebJar {@code org.webjars.npm:uplot},
 * read from the class path) and the page's own are inlined; nothing is fetched from the network.
 * The live page polls {@code data.json} next to it; the report reads the {@link RunRecord} document
 * from an inline {@code <script type="application/json">}.
 */
public final class HtmlReport {
  private static final String TEMPLATE = "dashboard.html";
  private static final String UPLOT = "META-INF/resources/webjars/uplot/";

  private HtmlReport() {}

  /** The live page, polling {@code data.json}. */
  public static String live() {
    return page("null");
  }

  /** The report: the page with {@code recordJson} ({@link RunRecord#json()}) inlined. */
  public static String report(String recordJson) {
    // inside <script>, "</" could close the element; "<\/" is the same JSON string
    return page(recordJson.replace("</", "<\\/"));
  }

  private static String page(String data) {
    String version = uplotVersion();
    return resource(HtmlReport.class, TEMPLATE)
        .replace("/*UPLOT_CSS*/", resource(null, UPLOT + version + "/dist/uPlot.min.css"))
        .replace("/*UPLOT_VERSION*/", version)
        .replace("/*UPLOT_JS*/", resource(null, UPLOT + version + "/dist/uPlot.iife.min.js").replace("</", "<\\/"))
        .replace("/*DATA*/null", data); // last: nothing is replaced inside the run's data
  }

  /** The version of the uPlot WebJar on the class path (pinned in the parent POM). */
  static String uplotVersion() {
    Properties p = new Properties();
    try (InputStream in = HtmlReport.class.getClassLoader()
        .getResourceAsStream("META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
      if (in == null) {
        throw new IllegalStateException("the uPlot WebJar (org.webjars.npm:uplot) is missing from the class path");
      }
      p.load(in);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return p.getProperty("version");
  }

  private static String resource(Class<?> near, String name) {
    try (InputStream in = near != null ? near.getResourceAsStream(name)
        : HtmlReport.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(name + ": " + e.getMessage(), e);
    }
  }
}
