package dev.fovea.kernels.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BackendProvider;
import dev.fovea.kernels.Backends;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one conformance suite: every registered backend × every case of {@link ConformanceCases},
 * forward and backward, against the reference backend at the case's stated tolerance. A backend
 * that cannot load here is skipped with its reason, never faked. Each native backend's module
 * runs it with its own provider on the class path through a subclass that {@link #covers} it, or
 * runs single cases through {@link #assertMatchesReference}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public class BackendConformanceTest {

  /** Whether this run of the suite covers provider {@code p} (here: every registered one). */
  protected boolean covers(BackendProvider p) {
    return true;
  }

  Stream<Arguments> backendsAndCases() {
    List<Arguments> args = new ArrayList<>();
    for (BackendProvider p : Backends.providers()) {
      if (!covers(p)) {
        continue;
      }
      for (OpCase c : ConformanceCases.all()) {
        args.add(Arguments.of(p, c));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} | {1}")
  @MethodSource("backendsAndCases")
  public void matchesReference(BackendProvider provider, OpCase c) {
    assertMatchesReference(provider, c);
  }

  /**
   * Runs {@code c} on the reference backend and on {@code provider}'s backend and compares every
   * output element at the case's tolerance; skipped (assumption) when the provider cannot run here.
   */
  public static void assertMatchesReference(BackendProvider provider, OpCase c) {
    assumeTrue(provider.isAvailable(), () -> provider.name() + " not available: " + provider.unavailableReason());
    List<Tensor> expected = c.run(new ReferenceBackend());
    List<Tensor> actual;
    try (Backend b = provider.create(1)) {
      actual = c.run(b);
    }
    assertEquals(expected.size(), actual.size());
    for (int t = 0; t < expected.size(); t++) {
      Tensor e = expected.get(t);
      Tensor a = actual.get(t);
      assertEquals(e.shape(), a.shape(), "output " + t + " shape");
      for (int i = 0; i < e.size(); i++) {
        double err = Math.abs(a.get(i) - e.get(i)) / Math.max(1, Math.abs(e.get(i)));
        if (!(err <= c.tolerance())) {
          fail(provider.name() + " " + c + ": output " + t + " element " + i + " is " + a.get(i) + ", reference "
              + e.get(i) + " (error " + err + " > " + c.tolerance() + ")");
        }
      }
    }
  }

  @Test
  void referenceIsRegistered() {
    assertEquals("reference", Backends.resolve("reference", w -> { }).name());
  }
}
