package dev.fovea.kernels.backend.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.BackendProvider;
import dev.fovea.kernels.Backends;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.DType;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.kernels.conformance.ConformanceCases;
import dev.fovea.kernels.conformance.OpCase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What the conformance suite does not show: availability, planning, fallback, threads, close. */
class OneDnnBackendTest {

  @AfterEach
  void clearProperty() {
    System.clearProperty(OneDnn.DISABLE_PROPERTY);
  }

  private static OneDnnBackend backend(int threads) {
    String reason = OneDnn.unavailableReason();
    assumeTrue(reason == null, () -> "onednn not available: " + reason);
    return new OneDnnBackend(threads);
  }

  private static Tensor random(Shape shape, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] d = new float[shape.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) rng.nextDouble(-1, 1);
    }
    return Tensor.wrap(d, shape);
  }

  @Test
  void disabledByPropertyIsUnavailableWithItsReason() {
    System.setProperty(OneDnn.DISABLE_PROPERTY, "true");
    BackendProvider p = new OneDnnBackendProvider();
    assertFalse(p.isAvailable());
    assertEquals("disabled by fovea.onednn.disable", p.unavailableReason());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.create(1));
    assertTrue(e.getMessage().contains("disabled by fovea.onednn.disable"), e.getMessage());
  }

  @Test
  void namedBackendGivesClearErrorWhenHidden() {
    System.setProperty(OneDnn.DISABLE_PROPERTY, "true");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Backends.resolve("onednn", w -> { }));
    assertEquals("backend onednn cannot run here: disabled by fovea.onednn.disable", e.getMessage());
  }

  @Test
  void autoWarnsAndFallsBackWhenHidden() {
    System.setProperty(OneDnn.DISABLE_PROPERTY, "true");
    List<String> warnings = new ArrayList<>();
    BackendProvider p = Backends.resolve("auto", warnings::add);
    assertEquals("reference", p.name());
    assertEquals(List.of("backend onednn is not available (disabled by fovea.onednn.disable); falling back"),
        warnings);
  }

  @Test
  void autoPrefersOneDnnWhenAvailable() {
    assumeTrue(OneDnn.unavailableReason() == null);
    List<String> warnings = new ArrayList<>();
    assertEquals("onednn", Backends.resolve("auto", warnings::add).name());
    assertEquals(List.of(), warnings);
  }

  @Test
  void runsOnOpenMpAndLimitsThreadsOfTheCallingThread() {
    try (OneDnnBackend b = backend(1)) {
      assertTrue(OneDnnBackend.nativeVersion().contains("OpenMP"), OneDnnBackend.nativeVersion());
      assumeTrue(b.threadLimitEnforced(), "JVM lacks --add-modules jdk.incubator.foreign");
      Tensor x = random(Shape.of(2, 8, 12, 12), 1);
      Tensor w = random(Shape.of(8, 8, 3, 3), 2);
      b.convolutionForward(ConvParams.conv2d(1, 1), x, w, null, Tensor.zeros(Shape.of(2, 8, 12, 12)));
      assertEquals(1, OneDnnThreads.maxThreads());
      // A backend with another limit on the same thread applies its own before it runs.
      try (OneDnnBackend two = new OneDnnBackend(2)) {
        two.convolutionForward(ConvParams.conv2d(1, 1), x, w, null, Tensor.zeros(Shape.of(2, 8, 12, 12)));
        assertEquals(2, OneDnnThreads.maxThreads());
      }
      b.convolutionForward(ConvParams.conv2d(1, 1), x, w, null, Tensor.zeros(Shape.of(2, 8, 12, 12)));
      assertEquals(1, OneDnnThreads.maxThreads());
      // Other threads keep OpenMP's default: the limit is per calling thread.
      int[] other = new int[1];
      Thread t = new Thread(() -> other[0] = OneDnnThreads.maxThreads());
      t.start();
      try {
        t.join();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      if (System.getenv("OMP_NUM_THREADS") == null) {
        assertEquals(Runtime.getRuntime().availableProcessors(), other[0]);
      }
    }
  }

  /** The conformance ops that run as oneDNN primitives (eltwise: the kinds OneDnnEltwise maps). */
  private static final java.util.Set<String> NATIVE_OPS = java.util.Set.of("convolution", "pooling",
      "inner product", "softmax cross-entropy", "batch normalization", "softmax", "log-softmax", "sum", "concat",
      "deconvolution");

  /** Every conformance case runs natively (no oneDNN "unimplemented" fallback) on one plan per key. */
  @Test
  void everyConformanceCaseRunsNatively() {
    for (OpCase c : ConformanceCases.all()) {
      try (OneDnnBackend b = backend(1)) {
        c.run(b);
        int plans = b.planCount();
        // The ops this backend implements natively; the others (and activation kinds without a
        // oneDNN mapping) fall back to the reference through ForwardingBackend, by design.
        boolean mapped = NATIVE_OPS.contains(c.op()) || c.op().equals("eltwise")
            && OneDnnEltwise.supports(Activation.of(Activation.Kind.valueOf(c.name().split(" ")[0])))
            || c.op().equals("lrn") && !c.name().contains("size 4")
            || c.op().equals("adaptive pooling") && c.name().contains("uniform")
            || c.op().equals("resampling") && !c.name().contains("alignCorners=true")
            && !c.name().startsWith("nearest odd");
        if (mapped) {
          assertTrue(plans > 0, c + " planned nothing");
        }
        assertEquals(0, b.unsupportedCount(), c + " fell back to the reference");
        c.run(b);
        assertEquals(plans, b.planCount(), c + ": running again must reuse the plans");
      }
    }
  }

  /**
   * The conformance suite sees only the layouts the backend picks by timing on this machine; here
   * every candidate is held to the reference on every convolution case.
   */
  @ParameterizedTest
  @EnumSource(OneDnnConvolution.Layouts.class)
  void everyLayoutCandidateMatchesTheReference(OneDnnConvolution.Layouts layouts) {
    assumeTrue(OneDnn.unavailableReason() == null);
    for (OpCase c : ConformanceCases.all()) {
      if (!c.op().equals("convolution")) {
        continue;
      }
      List<Tensor> expected = c.run(new ReferenceBackend());
      List<Tensor> actual;
      try (OneDnnBackend b = new OneDnnBackend(1, layouts)) {
        actual = c.run(b);
        assertEquals(0, b.unsupportedCount(), c + " fell back");
      }
      for (int t = 0; t < expected.size(); t++) {
        for (int i = 0; i < expected.get(t).size(); i++) {
          double e = expected.get(t).get(i);
          double err = Math.abs(actual.get(t).get(i) - e) / Math.max(1, Math.abs(e));
          int output = t;
          int element = i;
          assertTrue(err <= c.tolerance(), () -> layouts + " " + c + " output " + output + " element " + element);
        }
      }
    }
  }

  /**
   * The conformance suite runs each backend with one thread; with two, oneDNN splits reductions
   * (backward-weights, inner products) differently, which must stay within the same tolerances.
   */
  @Test
  void everyConformanceCaseMatchesWithTwoThreads() {
    assumeTrue(OneDnn.unavailableReason() == null);
    for (OpCase c : ConformanceCases.all()) {
      List<Tensor> expected = c.run(new ReferenceBackend());
      List<Tensor> actual;
      try (OneDnnBackend b = new OneDnnBackend(2)) {
        actual = c.run(b);
      }
      for (int t = 0; t < expected.size(); t++) {
        for (int i = 0; i < expected.get(t).size(); i++) {
          double e = expected.get(t).get(i);
          double err = Math.abs(actual.get(t).get(i) - e) / Math.max(1, Math.abs(e));
          int output = t;
          int element = i;
          assertTrue(err <= c.tolerance(), () -> c + " output " + output + " element " + element + " with 2 threads");
        }
      }
    }
  }

  /** Plans are keyed on shapes, not on arrays: new weights in the same arrays are always seen. */
  @Test
  void reusedPlanSeesNewParameterValues() {
    try (OneDnnBackend b = backend(1); Backend ref = new ReferenceBackend()) {
      ConvParams p = ConvParams.conv2d(1, 1);
      Tensor x = random(Shape.of(2, 16, 10, 10), 1);
      Tensor w = random(Shape.of(16, 16, 3, 3), 2);
      Tensor y = Tensor.zeros(Shape.of(2, 16, 10, 10));
      Tensor expected = Tensor.zeros(y.shape());
      for (int step = 0; step < 5; step++) {
        float[] wd = w.floatArray();
        if (step == 3) {
          wd[wd.length - 1] += 1f; // one element changes: the remembered copy must notice
        } else if (step < 3) {
          for (int i = 0; i < wd.length; i++) {
            wd[i] *= -0.5f; // a parameter update in place, as an optimizer does
          }
        } // step 4: unchanged weights, the cached reorder is reused
        b.convolutionForward(p, x, w, null, y);
        ref.convolutionForward(p, x, w, null, expected);
        float[] e = expected.toFloatArray();
        float[] a = y.toFloatArray();
        for (int i = 0; i < e.length; i++) {
          assertEquals(e[i], a[i], 1e-4, "step " + step + " element " + i);
        }
      }
      assertEquals(1, b.planCount());
    }
  }

  /** Weights held as views of one flat parameter vector, updated in place between passes. */
  @Test
  void weightViewsOfOneVectorAreNeverStale() {
    try (OneDnnBackend b = backend(1); Backend ref = new ReferenceBackend()) {
      ConvParams p = ConvParams.conv2d(1, 0);
      float[] params = random(Shape.of(2 * 8 * 4 * 3 * 3 + 5), 9).floatArray();
      Tensor w1 = Tensor.wrap(params, 5, Shape.of(8, 4, 3, 3));
      Tensor w2 = Tensor.wrap(params, 5 + w1.size(), Shape.of(8, 4, 3, 3));
      Tensor x = random(Shape.of(1, 4, 6, 6), 3);
      Tensor dy = random(Shape.of(1, 8, 4, 4), 4);
      for (int step = 0; step < 3; step++) {
        for (Tensor w : List.of(w1, w2, w1)) {
          Tensor y = Tensor.zeros(Shape.of(1, 8, 4, 4));
          Tensor e = Tensor.zeros(y.shape());
          b.convolutionForward(p, x, w, null, y);
          ref.convolutionForward(p, x, w, null, e);
          assertArrayEquals(e.toFloatArray(), y.toFloatArray(), 1e-4f);
          Tensor dx = Tensor.zeros(x.shape());
          Tensor edx = Tensor.zeros(x.shape());
          b.convolutionBackwardData(p, dy, w, dx);
          ref.convolutionBackwardData(p, dy, w, edx);
          assertArrayEquals(edx.toFloatArray(), dx.toFloatArray(), 1e-4f);
        }
        params[5 + step] -= 0.25f; // SGD touching the vector in place
      }
    }
  }

  @Test
  void viewsAtAnOffsetAreReadAndWrittenInPlace() {
    try (OneDnnBackend b = backend(1)) {
      float[] flat = new float[3 + 2 * 5 + 4];
      Tensor x = Tensor.wrap(flat, 3, Shape.of(2, 5));
      for (int i = 0; i < 10; i++) {
        x.set(i, i - 4.5);
      }
      float[] out = new float[1 + 10];
      out[0] = 42f;
      Tensor y = Tensor.wrap(out, 1, Shape.of(2, 5));
      b.eltwiseForward(Activation.RELU, x, y);
      assertEquals(42f, out[0]);
      assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0.5f, 1.5f, 2.5f, 3.5f, 4.5f}, y.toFloatArray());
    }
  }

  /** Values the JIT cannot fold: read from an array at run time. */
  private static final float[] TINY = {Float.MIN_NORMAL, 0.5f, Float.MIN_VALUE * 4, 0x1p30f};

  /**
   * Inside oneDNN denormals are flushed (FTZ: a product below the normal range is 0; DAZ: a
   * denormal input reads as 0) on the calling thread and on the OpenMP worker, over a tensor large
   * enough that both threads of the team take part; the Java thread keeps gradual underflow before
   * and after. The reference computes the same sums with IEEE denormals, so each assertion can fail.
   */
  @Test
  void denormalsAreFlushedInOneDnnButNotInJava() {
    assumeTrue(OneDnn.unavailableReason() == null);
    assumeTrue(OneDnnDenormals.enforced(), () -> "denormals not flushed here: " + OneDnnDenormals.unenforcedReason());
    assertTrue(TINY[0] * TINY[1] != 0f, "Java thread flushes denormals before the test");
    int n = 1 << 20;
    Tensor normal = Tensor.zeros(Shape.of(n));
    Tensor denormal = Tensor.zeros(Shape.of(n));
    java.util.Arrays.fill(normal.floatArray(), TINY[0]);
    java.util.Arrays.fill(denormal.floatArray(), TINY[2]);
    Tensor expectedFtz = Tensor.zeros(Shape.of(n));
    Tensor expectedDaz = Tensor.zeros(Shape.of(n));
    new ReferenceBackend().sumForward(new double[] {TINY[1]}, new Tensor[] {normal}, expectedFtz);
    new ReferenceBackend().sumForward(new double[] {TINY[3]}, new Tensor[] {denormal}, expectedDaz);
    assertTrue(expectedFtz.get(n - 1) != 0 && expectedDaz.get(n - 1) != 0, "IEEE results are not zero");
    try (OneDnnBackend b = backend(2)) {
      assertTrue(b.denormalsFlushed());
      Tensor ftz = Tensor.zeros(Shape.of(n));
      Tensor daz = Tensor.zeros(Shape.of(n));
      b.sumForward(new double[] {TINY[1]}, new Tensor[] {normal}, ftz);
      b.sumForward(new double[] {TINY[3]}, new Tensor[] {denormal}, daz);
      float[] f = ftz.floatArray();
      float[] d = daz.floatArray();
      for (int i = 0; i < n; i++) {
        if (f[i] != 0f || d[i] != 0f) {
          throw new AssertionError("element " + i + " of " + n + " not flushed: " + f[i] + ", " + d[i]);
        }
      }
    }
    assertTrue(TINY[0] * TINY[1] != 0f, "the Java thread's floating-point mode changed");
    assertEquals(TINY[0] / 2, TINY[0] * TINY[1]);
  }

  /** Null gamma and beta are 1 and 0, null parameter gradients are skipped, as in the reference. */
  @Test
  void batchNormalizationWithoutScaleAndShift() {
    for (boolean training : new boolean[] {true, false}) {
      List<List<Tensor>> results = new ArrayList<>();
      for (Backend b : List.<Backend>of(new ReferenceBackend(), backend(1))) {
        try (b) {
          Shape shape = Shape.of(3, 5, 4, 4);
          Tensor x = random(shape, 1);
          Tensor rm = random(Shape.of(5), 2);
          Tensor rv = Tensor.zeros(Shape.of(5));
          java.util.Arrays.fill(rv.floatArray(), 2f);
          Tensor mean = Tensor.zeros(Shape.of(5));
          Tensor inv = Tensor.zeros(Shape.of(5));
          Tensor y = Tensor.zeros(shape);
          b.batchNormalizationForward(BatchNormParams.DEFAULTS, training, x, null, null, rm, rv, mean, inv, y);
          Tensor dx = Tensor.zeros(shape);
          Tensor dBeta = Tensor.zeros(Shape.of(5));
          b.batchNormalizationBackward(BatchNormParams.DEFAULTS, training, x, null, mean, inv, random(shape, 3), dx,
              null, dBeta);
          results.add(List.of(y, rm, rv, mean, inv, dx, dBeta));
          if (b instanceof OneDnnBackend o) {
            assertEquals(2, o.planCount());
          }
        }
      }
      for (int t = 0; t < results.get(0).size(); t++) {
        assertArrayEquals(results.get(0).get(t).toFloatArray(), results.get(1).get(t).toFloatArray(), 1e-4f,
            "training " + training + " output " + t);
      }
    }
  }

  /**
   * Plans share one arena for their transient buffers: a larger plan moves it, and a plan bound
   * before must then rebind and still compute from the values written in its own call.
   */
  @Test
  void plansRebindWhenTheSharedArenaGrows() {
    try (OneDnnBackend b = backend(1); Backend ref = new ReferenceBackend()) {
      Tensor small = random(Shape.of(2, 3, 4, 4), 1);
      Tensor big = random(Shape.of(4, 16, 32, 32), 2);
      Tensor w = random(Shape.of(16, 16, 3, 3), 3);
      for (int round = 0; round < 2; round++) {
        Tensor y = Tensor.zeros(small.shape());
        b.eltwiseForward(Activation.of(Activation.Kind.TANH), small, y);
        Tensor e = Tensor.zeros(small.shape());
        ref.eltwiseForward(Activation.of(Activation.Kind.TANH), small, e);
        assertArrayEquals(e.toFloatArray(), y.toFloatArray(), 1e-6f, "round " + round);
        long before = b.nativeBytes();
        Tensor cy = Tensor.zeros(big.shape());
        Tensor ce = Tensor.zeros(big.shape());
        b.convolutionForward(ConvParams.conv2d(1, 1), big, w, null, cy);
        ref.convolutionForward(ConvParams.conv2d(1, 1), big, w, null, ce);
        assertArrayEquals(ce.toFloatArray(), cy.toFloatArray(), 1e-4f, "round " + round);
        if (round == 0) {
          assertTrue(b.nativeBytes() > before, "the arena grew");
        }
        small.floatArray()[0] += 0.5f; // new values for the next round, in the same arrays
      }
    }
  }

  /** The native-memory account: plans add to it, the peak stays, closing returns it to zero. */
  @Test
  void nativeMemoryIsCountedAndReleasedOnClose() {
    OneDnnBackend b = backend(1);
    assertEquals(0, b.nativeBytes());
    Tensor x = random(Shape.of(2, 8, 16, 16), 1);
    b.eltwiseForward(Activation.RELU, x, Tensor.zeros(x.shape()));
    long one = b.nativeBytes();
    assertTrue(one >= 2L * x.size() * Float.BYTES, "src and dst buffers: " + one);
    b.convolutionForward(ConvParams.conv2d(1, 1), x, random(Shape.of(8, 8, 3, 3), 2), null,
        Tensor.zeros(x.shape()));
    assertTrue(b.nativeBytes() > one);
    long peak = b.peakNativeBytes();
    assertTrue(peak >= b.nativeBytes());
    b.close();
    assertEquals(0, b.nativeBytes());
    assertEquals(peak, b.peakNativeBytes());
  }

  @Test
  void float64AndUnknownActivationsFallBackToTheReference() {
    try (OneDnnBackend b = backend(1)) {
      Tensor x = Tensor.zeros(Shape.of(1, 2, 5, 5), DType.FLOAT64);
      Tensor w = Tensor.zeros(Shape.of(3, 2, 3, 3), DType.FLOAT64);
      for (int i = 0; i < x.size(); i++) {
        x.set(i, Math.sin(i));
      }
      for (int i = 0; i < w.size(); i++) {
        w.set(i, Math.cos(i));
      }
      Tensor y = Tensor.zeros(Shape.of(1, 3, 3, 3), DType.FLOAT64);
      Tensor expected = Tensor.zeros(y.shape(), DType.FLOAT64);
      b.convolutionForward(ConvParams.conv2d(1, 0), x, w, null, y);
      new ReferenceBackend().convolutionForward(ConvParams.conv2d(1, 0), x, w, null, expected);
      assertArrayEquals(expected.toDoubleArray(), y.toDoubleArray(), 0.0);
      assertEquals(0, b.planCount());
      // Kinds without a oneDNN algorithm of the reference's formula run on the reference.
      Tensor f = random(Shape.of(3, 40), 5);
      for (Activation.Kind k : List.of(Activation.Kind.ATAN, Activation.Kind.SOFTPLUS, Activation.Kind.SELU)) {
        assertFalse(OneDnnEltwise.supports(Activation.of(k)), k + " is mapped");
        Tensor out = Tensor.zeros(f.shape());
        Tensor exp = Tensor.zeros(f.shape());
        b.eltwiseForward(Activation.of(k), f, out);
        new ReferenceBackend().eltwiseForward(Activation.of(k), f, exp);
        assertArrayEquals(exp.toFloatArray(), out.toFloatArray(), 0f, k.toString());
      }
    }
  }

  @Test
  void shapeErrorsNameTheArgument() {
    try (OneDnnBackend b = backend(1)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> b.convolutionForward(ConvParams.conv2d(1, 0), Tensor.zeros(Shape.of(1, 2, 5, 5)),
              Tensor.zeros(Shape.of(3, 2, 3, 3)), null, Tensor.zeros(Shape.of(1, 3, 4, 4))));
      assertTrue(e.getMessage().contains("dst"), e.getMessage());
    }
  }

  @Test
  void closeIsIdempotentAndFinal() {
    OneDnnBackend b = backend(1);
    b.eltwiseForward(Activation.RELU, Tensor.zeros(Shape.of(4)), Tensor.zeros(Shape.of(4)));
    b.close();
    b.close();
    assertThrows(IllegalStateException.class,
        () -> b.eltwiseForward(Activation.RELU, Tensor.zeros(Shape.of(4)), Tensor.zeros(Shape.of(4))));
  }
}
