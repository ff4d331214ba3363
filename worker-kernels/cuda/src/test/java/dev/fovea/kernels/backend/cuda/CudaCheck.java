package dev.fovea.kernels.backend.cuda;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.ClassSelector;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs test classes through the JUnit Platform without Maven, for deploy/bin/fovea-gpu-check on a
 * machine with a GPU and no JDK: prints each failure and each skipped test with its reason, then
 * one summary line per class. On a GPU a skipped test is a failure of the check (the suites skip
 * only when cuda cannot run), so the exit status is 0 only when every test ran and passed. A class
 * given as {@code ?NAME} is run when it exists and reported absent otherwise (a suite not written
 * yet).
 *
 * <pre>
 * CudaCheck CLASS... [?OPTIONAL_CLASS...]
 * </pre>
 */
public final class CudaCheck {
  private CudaCheck() {}

  public static void main(String[] args) {
    boolean ok = true;
    Launcher launcher = LauncherFactory.create();
    for (String arg : args) {
      boolean optional = arg.startsWith("?");
      String name = optional ? arg.substring(1) : arg;
      try {
        Class.forName(name, false, CudaCheck.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        System.out.println("check " + name + ": absent" + (optional ? " (not written yet; skipped)" : ""));
        ok &= optional;
        continue;
      }
      ClassSelector selector = selectClass(name);
      LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selector).build();
      SummaryGeneratingListener summary = new SummaryGeneratingListener();
      List<String> skipped = new ArrayList<>();
      TestExecutionListener skips = new TestExecutionListener() {
        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
          skipped.add(id.getDisplayName() + ": " + reason);
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
          if (id.isTest() && result.getStatus() == TestExecutionResult.Status.ABORTED) {
            skipped.add(id.getDisplayName() + ": " + result.getThrowable().map(Throwable::getMessage).orElse(""));
          }
        }
      };
      launcher.execute(request, summary, skips);
      TestExecutionSummary s = summary.getSummary();
      for (TestExecutionSummary.Failure f : s.getFailures()) {
        Throwable t = f.getException();
        System.out.println("FAILED " + f.getTestIdentifier().getDisplayName() + ": " + t.getClass().getSimpleName()
            + ": " + String.valueOf(t.getMessage()).lines().findFirst().orElse(""));
      }
      skipped.stream().limit(5).forEach(x -> System.out.println("SKIPPED " + x));
      if (skipped.size() > 5) {
        System.out.println("SKIPPED ... " + (skipped.size() - 5) + " more");
      }
      boolean passed = s.getTestsFoundCount() > 0 && s.getTotalFailureCount() == 0 && skipped.isEmpty();
      System.out.println("check " + name + ": " + s.getTestsSucceededCount() + " passed, " + s.getTotalFailureCount()
          + " failed, " + skipped.size() + " skipped of " + s.getTestsFoundCount() + (passed ? " — ok" : " — NOT OK"));
      ok &= passed;
    }
    System.exit(ok ? 0 : 1);
  }
}
