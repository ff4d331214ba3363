package dev.fovea.driver.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML report of a run: inline SVG plots (no scripts, fonts or anything fetched
 * from the network) of the training loss per round, test accuracy per epoch, throughput, and each
 * round's time split into compute and synchronisation; then the settings and the final metrics.
 */
public final class HtmlReport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HtmlReport() {}

  /**
   * @param title heading of the page
   * @param history history.jsonl contents (one object per round)
   * @param epochs epochs.jsonl contents (one object per epoch)
   * @param summary summary.json contents
   */
  public static String render(String title, String history, String epochs, String summary) throws IOException {
    List<JsonNode> rounds = lines(history);
    List<JsonNode> eps = lines(epochs);
    double[] r = new double[rounds.size()];
    double[] loss = new double[rounds.size()];
    double[] ips = new double[rounds.size()];
    double[] compute = new double[rounds.size()];
    double[] sync = new double[rounds.size()];
    for (int i = 0; i < rounds.size(); i++) {
      JsonNode n = rounds.get(i);
      r[i] = n.path("round").asDouble();
      loss[i] = n.path("loss").asDouble();
      double sec = n.path("seconds").asDouble();
      ips[i] = sec > 0 ? n.path("images").asDouble() / sec : 0;
      compute[i] = n.path("compute_seconds").asDouble();
      sync[i] = Math.max(0, sec - compute[i]);
    }
    double[] e = new double[eps.size()];
    double[] acc = new double[eps.size()];
    double[] trainLoss = new double[eps.size()];
    for (int i = 0; i < eps.size(); i++) {
      e[i] = eps.get(i).path("epoch").asDouble();
      acc[i] = eps.get(i).path("test_accuracy").asDouble();
      trainLoss[i] = eps.get(i).path("train_loss").asDouble();
    }
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
        .append("</title><style>body{font-family:sans-serif;margin:2em;color:#222}"
            + "svg{background:#fafafa;border:1px solid #ddd;margin:0.5em 1em 1em 0}"
            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
            + ".grid{display:flex;flex-wrap:wrap}</style></head><body>");
    b.append("<h1>").append(esc(title)).append("</h1><div class=\"grid\">");
    b.append(plot("Training loss per round", "round", r, new double[][] {loss}, new String[] {"loss"}, false));
    b.append(plot("Per epoch", "epoch", e, new double[][] {acc, trainLoss},
        new String[] {"test accuracy", "train loss"}, false));
    b.append(plot("Throughput (images/s)", "round", r, new double[][] {ips}, new String[] {"images/s"}, false));
    b.append(plot("Round time (s): compute and synchronisation", "round", r, new double[][] {compute, sync},
        new String[] {"compute (slowest worker)", "synchronisation"}, true));
    b.append("</div><h2>Summary</h2><table>");
    JsonNode s = JSON.readTree(summary);
    s.properties().forEach(f -> {
      if (!f.getValue().isContainerNode()) {
        b.append("<tr><th>").append(esc(f.getKey())).append("</th><td>").append(esc(f.getValue().asText()))
            .append("</td></tr>");
      }
    });
    b.append("</table>");
    JsonNode perClass = s.path("per_class_accuracy");
    if (perClass.isObject()) {
      b.append("<h2>Per-class test accuracy</h2><table>");
      perClass.properties().forEach(f -> b.append("<tr><th>").append(esc(f.getKey())).append("</th><td>")
          .append(String.format(Locale.ROOT, "%.4f", f.getValue().asDouble())).append("</td></tr>"));
      b.append("</table>");
    }
    JsonNode confusion = s.path("confusion_matrix");
    if (confusion.isArray()) {
      b.append("<h2>Confusion matrix (rows: true class, columns: predicted)</h2><table>");
      for (JsonNode row : confusion) {
        b.append("<tr>");
        row.forEach(v -> b.append("<td>").append(v.asLong()).append("</td>"));
        b.append("</tr>");
      }
      b.append("</table>");
    }
    return b.append("</body></html>\n").toString();
  }

  private static List<JsonNode> lines(String text) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }

  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c"};

  /** A line plot (or stacked areas) of series over x, 420×240 px, with min/max labels. */
  static String plot(String title, String xLabel, double[] x, double[][] series, String[] names, boolean stacked) {
    int w = 420;
    int h = 240;
    int left = 50;
    int bottom = 30;
    int top = 30;
    StringBuilder b = new StringBuilder();
    b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(h)
        .append("\" role=\"img\"><title>").append(esc(title)).append("</title>");
    b.append("<text x=\"10\" y=\"18\" font-size=\"13\">").append(esc(title)).append("</text>");
    if (x.length == 0) {
      return b.append("<text x=\"60\" y=\"120\">no data</text></svg>").toString();
    }
    double[][] ys = series;
    if (stacked && series.length > 1) {
      ys = new double[series.length][];
      ys[0] = series[0].clone();
      for (int s = 1; s < series.length; s++) {
        ys[s] = new double[x.length];
        for (int i = 0; i < x.length; i++) {
          ys[s][i] = ys[s - 1][i] + series[s][i];
        }
      }
    }
    double xmin = x[0];
    double xmax = x[x.length - 1] == xmin ? xmin + 1 : x[x.length - 1];
    double ymin = stacked ? 0 : Double.POSITIVE_INFINITY;
    double ymax = Double.NEGATIVE_INFINITY;
    for (double[] s : ys) {
      for (double v : s) {
        if (Double.isFinite(v)) {
          ymin = Math.min(ymin, v);
          ymax = Math.max(ymax, v);
        }
      }
    }
    if (!(ymax > ymin)) {
      ymax = ymin + 1;
    }
    double sx = (w - left - 10) / (xmax - xmin);
    double sy = (h - top - bottom) / (ymax - ymin);
    b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", left,
        h - bottom, w - 10, h - bottom));
    b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", left, top,
        left, h - bottom));
    b.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\" font-size=\"10\">%.3g</text>", top + 4, ymax));
    b.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\" font-size=\"10\">%.3g</text>", h - bottom, ymin));
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s %.0f … %.0f</text>", left,
        h - 8, esc(xLabel), xmin, x[x.length - 1]));
    for (int s = ys.length - 1; s >= 0; s--) {
      StringBuilder pts = new StringBuilder();
      for (int i = 0; i < x.length; i++) {
        double v = Double.isFinite(ys[s][i]) ? ys[s][i] : ymin;
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", left + (x[i] - xmin) * sx, h - bottom - (v - ymin) * sy));
      }
      if (stacked) {
        pts.append(String.format(Locale.ROOT, "%.1f,%d %d,%d", left + (x[x.length - 1] - xmin) * sx, h - bottom, left,
            h - bottom));
        b.append("<polygon fill=\"").append(COLORS[s % 3]).append("\" fill-opacity=\"0.5\" points=\"")
            .append(pts).append("\"/>");
      } else {
        b.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(COLORS[s % 3])
            .append("\" points=\"").append(pts).append("\"/>");
      }
      b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"%s\">%s</text>",
          w - 170, top + 12 * s, COLORS[s % 3], esc(names[s])));
    }
    return b.append("</svg>").toString();
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
