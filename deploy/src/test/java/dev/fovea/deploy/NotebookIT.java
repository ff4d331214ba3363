package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.data.testing.FashionMnist;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The notebook script in docs/ runs in the JDK's jshell against the built jar and trains. */
class NotebookIT {

  @Test
  void jshellScriptTrainsASmallModel(@TempDir Path tmp) throws Exception {
    Path home = Path.of(System.getenv().getOrDefault("FOVEA_HOME", "."));
    Path data = FashionMnist.subset(tmp, 2000, 500);
    List<String> cp = new ArrayList<>();
    cp.add(home.resolve("target/fovea.jar").toString());
    try (Stream<Path> jars = Files.list(home.resolve("target/spark/jars"))) {
      jars.map(Path::toString).sorted().forEach(cp::add);
    }
    Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
    List<String> cmd = new ArrayList<>(List.of(jshell.toString(), "--class-path", String.join(File.pathSeparator, cp),
        "-R-Xmx3g", "-R-Dfovea.data=" + data, "-R-Dfovea.out=" + tmp.resolve("out"), "-R-Dspark.ui.enabled=false"));
    for (String p : new String[] {"java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net",
        "java.nio", "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch", "sun.nio.cs",
        "sun.security.action", "sun.util.calendar"}) {
      cmd.add("-R--add-opens=java.base/" + p + "=ALL-UNNAMED");
    }
    if (Runtime.version().feature() < 20) { // the oneDNN backend's thread limit (see the parent pom)
      cmd.add("-R--add-modules=jdk.incubator.foreign");
      cmd.add("-R--enable-native-access=ALL-UNNAMED");
    }
    cmd.add(home.resolve("../docs/notebook.jsh").toString());
    Path log = tmp.resolve("jshell.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "jshell finished");
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), out);
    Matcher m = Pattern.compile("notebook: test accuracy ([0-9.]+)").matcher(out);
    assertTrue(m.find(), out);
    assertTrue(Double.parseDouble(m.group(1)) > 0.5, "accuracy " + m.group(1));
    assertTrue(out.contains("total parameters: 431,080"), out);
  }
}
