package dev.fovea.driver.report;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The live dashboard's HTTP server, the JDK's own ({@code com.sun.net.httpserver}): {@code /} is the
 * page ({@link HtmlReport#live}), {@code /data.json} the run's {@link RunRecord}, which the page
 * polls. It never fails a run: a port in use moves it to a free port, any other failure leaves the
 * run without a dashboard, each with a warning.
 */
public final class Dashboard implements AutoCloseable {

  /**
   * Whether and where to serve the dashboard.
   *
   * @param host the address to bind; {@code 127.0.0.1} (this machine only) unless asked otherwise
   * @param port the port; 0 for any free one
   */
  public record Options(boolean enabled, String host, int port) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 4050;
    /** No dashboard (the report is still written). */
    public static final Options OFF = new Options(false, DEFAULT_HOST, DEFAULT_PORT);

    public Options {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("invalid value " + port + " for --dashboard-port: must be in [0, 65535]");
      }
    }
  }

  private final HttpServer server;
  private final ExecutorService threads;
  private final String address;

  private Dashboard(HttpServer server, ExecutorService threads, String host) {
    this.server = server;
    this.threads = threads;
    String h = host.contains(":") ? "[" + host + "]" : host;
    this.address = "http://" + h + ":" + server.getAddress().getPort() + "/";
  }

  /** The page's address, e.g. {@code http://127.0.0.1:4050/}. */
  public String address() {
    return address;
  }

  /**
   * Serves {@code page} and {@code data} as {@code options} say; null, after a warning, when it
   * cannot.
   */
  public static Dashboard start(Options options, Supplier<String> page, Supplier<String> data, Consumer<String> warn) {
    InetAddress host;
    try {
      host = InetAddress.getByName(options.host());
    } catch (IOException e) {
      warn.accept("dashboard: cannot resolve --dashboard-host " + options.host() + " (" + e.getMessage()
          + "); training without the dashboard");
      return null;
    }
    HttpServer server;
    try {
      server = bind(host, options.port());
    } catch (BindException e) {
      try {
        server = bind(host, 0);
        warn.accept("dashboard: port " + options.port() + " on " + options.host() + " is in use (" + e.getMessage()
            + "); serving on port " + server.getAddress().getPort() + " instead");
      } catch (IOException again) {
        warn.accept("dashboard: cannot listen on " + options.host() + " (" + again.getMessage()
            + "); training without the dashboard");
        return null;
      }
    } catch (IOException e) {
      warn.accept("dashboard: cannot listen on " + options.host() + ":" + options.port() + " (" + e.getMessage()
          + "); training without the dashboard");
      return null;
    }
    ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "fovea-dashboard");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      if (path.equals("/") || path.equals("/index.html")) {
        send(exchange, 200, "text/html; charset=utf-8", page.get());
      } else if (path.equals("/data.json")) {
        send(exchange, 200, "application/json; charset=utf-8", data.get());
      } else {
        send(exchange, 404, "text/plain; charset=utf-8", "not found: " + path + "\n");
      }
    });
    server.start();
    return new Dashboard(server, threads, options.host());
  }

  private static HttpServer bind(InetAddress host, int port) throws IOException {
    return HttpServer.create(new InetSocketAddress(host, port), 0);
  }

  private static void send(HttpExchange exchange, int code, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    if ("HEAD".equals(exchange.getRequestMethod())) {
      exchange.sendResponseHeaders(code, -1);
      exchange.close();
      return;
    }
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream o = exchange.getResponseBody()) {
      o.write(bytes);
    }
  }

  /** Stops serving at once. */
  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
