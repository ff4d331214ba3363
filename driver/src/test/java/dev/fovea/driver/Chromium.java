package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium (Debian's {@code chromium} package) as a test's browser: the DOM of a page after
 * its scripts ran, and screenshots. Each call is a fresh browser process with its own profile; the
 * network is cut off ({@code --host-resolver-rules}, a dead proxy) except 127.0.0.1, so a page that
 * fetched anything from elsewhere would show it.
 */
final class Chromium {
  private final String binary;
  private final Path profile;

  /** What the browser printed besides its output: console messages, script errors. */
  record Page(String dom, String log) {}

  private Chromium(String binary, Path profile) {
    this.binary = binary;
    this.profile = profile;
  }

  /** The installed browser; fails the test (never skips) when there is none. */
  static Chromium require(Path work) throws IOException {
    for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return new Chromium(candidate, Files.createDirectories(work.resolve("chromium-profile")));
      }
    }
    return fail("Chromium is not installed (/usr/bin/chromium): this browser test needs it; "
        + "apt-get install -y chromium (.ci/run installs it)");
  }

  /** The DOM of {@code url} once its scripts have run for {@code virtualMillis} of virtual time. */
  Page dom(String url, int virtualMillis) throws IOException, InterruptedException {
    List<String> args = args(virtualMillis);
    args.add("--dump-dom");
    args.add(url);
    return run(args);
  }

  /** A PNG of {@code url}, {@code width} × {@code height} CSS pixels, after {@code virtualMillis}. */
  Page screenshot(String url, Path png, int width, int height, int virtualMillis)
      throws IOException, InterruptedException {
    Files.createDirectories(png.toAbsolutePath().getParent());
    List<String> args = args(virtualMillis);
    args.add("--screenshot=" + png.toAbsolutePath());
    args.add("--window-size=" + width + "," + height);
    args.add(url);
    Page p = run(args);
    if (!Files.isRegularFile(png) || Files.size(png) == 0) {
      fail("chromium wrote no screenshot " + png + ":\n" + p.log());
    }
    return p;
  }

  private List<String> args(int virtualMillis) {
    return new ArrayList<>(List.of(binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--no-default-browser-check", "--hide-scrollbars", "--mute-audio",
        "--user-data-dir=" + profile, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=127.0.0.1", "--enable-logging=stderr", "--v=0",
        "--run-all-compositor-stages-before-draw", "--virtual-time-budget=" + virtualMillis));
  }

  private static Page run(List<String> args) throws IOException, InterruptedException {
    Path out = Files.createTempFile("chromium", ".out");
    Path err = Files.createTempFile("chromium", ".err");
    try {
      Process p = new ProcessBuilder(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("chromium did not finish in 120 s: " + String.join(" ", args));
      }
      String log = Files.readString(err, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), "chromium failed: " + String.join(" ", args) + "\n" + log);
      return new Page(Files.readString(out, StandardCharsets.UTF_8), log);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
