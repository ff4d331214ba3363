package dev.fovea.kernels.bench;

import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.onednn.OneDnnBackend;
import dev.fovea.kernels.conformance.NetworkShapes;
import dev.fovea.kernels.conformance.NetworkShapes.ConvLayer;
import dev.fovea.nn.Convolution;
import dev.fovea.nn.Dense;
import dev.fovea.nn.GlobalPooling;
import dev.fovea.nn.Initializer;
import dev.fovea.nn.Network;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Convolution throughput of Fovea's {@link OneDnnBackend} as a training step runs it, next to the
 * same oneDNN primitive called directly through the raw C API on buffers already in the
 * primitive's preferred layouts, in the same process, on the same thread, with the same OpenMP
 * thread count. Shapes are layers of LeNet, VGG-16 and ResNet-50 at batch 1, 16 and 32.
 *
 * <p>Fovea: the layer runs inside resident training rounds as the driver runs them ({@link
 * dev.fovea.nn.Network#trainer}: {@value #ROUND} steps per round, parameters, gradients and SGD
 * velocity native between steps, weights in the primitive's layout) of a small network, input → 1×1
 * convolution (so that the layer has a producer that needs its source gradient) → the layer →
 * global average pooling → dense; the backend's per-action profile ({@link
 * OneDnnBackend#compiledStepProfile()}) gives the seconds of the layer's actions per pass: the
 * primitive plus the weight reorders the step does for it whatever its neighbours, i.e. any per-step
 * reorder of the resident weights or weight gradient (where a pass wants another layout than the
 * forward's) and the once-per-round reorders of weights and velocity in (counted with the forward
 * pass) and out (with backward-weights), divided by the {@value #ROUND} steps of the round. The
 * SGD update itself (element-wise, per step) is not in any pass, as the heap update was not before. Activations stay native, in the layouts the primitives chose, so there are no
 * heap copies; reorders of activations or gradients between the layer's layouts and its test
 * neighbours' (which depend on the neighbours: the 1×1 producer of a 3-channel layer is not what a
 * real network has) are not in the Fovea figure but in a column of their own.
 *
 * <p>Peak: the machine's FP32 FMA peak is taken as the best throughput of two ideal-shape oneDNN
 * primitives measured in the same run with the same threads: a 2048³ matmul (sgemm) and a raw 3×3
 * 256→256 convolution at 14×14, batch 16, in blocked layouts (oneDNN's AVX-512 kernels run close to
 * the FMA units' limit on both). It is a measured lower bound of the theoretical peak, so a figure
 * may come out slightly above 100%; every figure is also given as a percentage of it.
 *
 * <p>The in-situ reference is {@link RawTrainingStep}, the same network's step written against
 * oneDNN's C API and checked to compute Fovea's loss and gradients ({@link #agree}); the primitive
 * called back to back is the second reference. Each figure is the median over {@code --reps}
 * repetitions (default 5); a repetition runs as many Fovea rounds as fill about 100 ms, each
 * followed by as many raw training steps, then times the raw primitive over as many calls as fill
 * about 30 ms, so all see the same machine noise. See {@code worker-kernels/BENCHMARKS.md} for the
 * command and the definitions.
 */
public final class ConvolutionBenchmark {
  private ConvolutionBenchmark() {}

  /** The layers measured: the shape list the conformance suite also reads. */
  static final List<ConvLayer> LAYERS = NetworkShapes.CONVOLUTIONS;

  enum Pass {
    FWD,
    BWD_DATA,
    BWD_WEIGHTS
  }

  public static void main(String[] args) throws Exception {
    int reps = 5;
    int[] batches = {1, 16, 32};
    String only = null;
    int threads = 1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        case "--batches" -> batches = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--only" -> only = args[++i];
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException(
            "usage: [--reps N] [--batches 1,16,32] [--threads T] [--only NAME-SUBSTRING]");
      }
    }
    System.out.println("# Convolution benchmark");
    System.out.println("cpu: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, " + threads
        + " OpenMP threads; oneDNN " + OneDnnBackend.nativeVersion());
    try (OneDnnBackend probe = new OneDnnBackend(threads)) {
      System.out.println("thread limit enforced: " + probe.threadLimitEnforced() + "; isa: " + isaName());
    }
    Raw.init();
    double peakBefore = peak(reps);
    // warm-up, discarded: the JIT compiles Fovea's step, update and trainer code (and the raw
    // step's) before the first figure, so that the first layer measured is not disadvantaged
    measure(LAYERS.get(0), 1, threads, 2);
    measure(LAYERS.get(1), 16, threads, 2);
    List<String> rows = new ArrayList<>();
    List<Double> stepRatios = new ArrayList<>();
    List<Double> aloneRatios = new ArrayList<>();
    for (ConvLayer layer : LAYERS) {
      if (only != null && !(layer.toString()).contains(only)) {
        continue;
      }
      for (int n : batches) {
        Figures[] f = measure(layer, n, threads, reps);
        for (Pass pass : Pass.values()) {
          Figures p = f[pass.ordinal()];
          stepRatios.add(p.rawStep() / p.fovea());
          aloneRatios.add(p.rawAlone() / p.fovea());
          double flops = layer.flops(n);
          rows.add(String.format(Locale.ROOT, "%s|%s|%d|%s|%.6g|%.6g|%.6g|%.6g|%.6g|%s", layer.net(), layer.name(), n,
              pass.name().toLowerCase(Locale.ROOT), flops / p.fovea(), flops / p.rawStep(), flops / p.rawAlone(),
              p.round() / p.fovea(), p.activations() / p.fovea(),
              p.impl().equals(p.rawImpl()) ? p.impl() : p.impl() + " (raw step: " + p.rawImpl() + ")"));
        }
        System.err.println("done " + layer + " N=" + n);
      }
    }
    double peakAfter = peak(reps);
    double peak = Math.max(peakBefore, peakAfter);
    System.out.printf(Locale.ROOT, "peak: %.1f GFLOP/s (best of the peak measurement before, %.1f, and after, %.1f,"
        + " the shapes)%n%n", peak / 1e9, peakBefore / 1e9, peakAfter / 1e9);
    System.out.println("| net | layer | N | pass | Fovea GFLOP/s | raw step GFLOP/s | Fovea/raw step"
        + " | raw alone GFLOP/s | Fovea/raw alone | Fovea % peak | round reorders (k = " + ROUND + "), % of Fovea"
        + " | activation reorders in the test network, % of Fovea | implementation |");
    System.out.println("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (String row : rows) {
      String[] c = row.split("\\|");
      double gf = Double.parseDouble(c[4]);
      double gs = Double.parseDouble(c[5]);
      double ga = Double.parseDouble(c[6]);
      System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %.1f | %.1f | %.2f | %.1f | %.2f | %.0f%% | %.0f%% | %.0f%% | %s |%n",
          c[0], c[1], c[2], c[3], gf / 1e9, gs / 1e9, gf / gs, ga / 1e9, gf / ga, 100 * gf / peak,
          100 * Double.parseDouble(c[7]), 100 * Double.parseDouble(c[8]), c.length > 9 ? c[9] : "");
    }
    System.out.println();
    summary("Fovea/raw step", stepRatios);
    summary("Fovea/raw alone", aloneRatios);
    Raw.shutdown();
  }

  private static void summary(String what, List<Double> ratios) {
    double[] r = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double geo = Math.exp(Arrays.stream(r).map(Math::log).average().orElse(0));
    long reached = Arrays.stream(r).filter(v -> v >= 0.9).count();
    System.out.printf(Locale.ROOT, "%s: min %.2f, median %.2f, geometric mean %.2f over %d figures; %d reach 0.9%n",
        what, r[0], median(r), geo, r.length, reached);
  }

  /**
   * The network a layer is measured in: input → 1×1 convolution → the layer (with bias, as the raw
   * primitive) → global average pooling → dense 2.
   */
  static Network network(ConvLayer layer) {
    return Network.builder(Shape.of(layer.c(), layer.size(), layer.size()))
        .then(Convolution.conv2d("pre", layer.c(), 1, 1, 0, false))
        .then(new Convolution("conv", layer.oc(), new int[] {layer.k(), layer.k()},
            new int[] {layer.stride(), layer.stride()}, new int[] {layer.pad(), layer.pad()}, false,
            new int[] {1, 1}, 1, true, 0, Initializer.HE_NORMAL))
        .then(new GlobalPooling("pool", PoolParams.Kind.AVG))
        .then(new Dense("fc", 2, Initializer.GLOROT_UNIFORM))
        .build();
  }

  /** What of a layer's profiled actions a figure takes. */
  enum Part {
    /** The primitive and the per-step reorders of the weights or weight gradient it needs. */
    PASS,
    /** The once-per-round reorders of resident weights and velocity: in with fwd, out with bwd-weights. */
    ROUND,
    /** Reorders of activations and their gradients between the layer's layouts and its neighbours'. */
    ACTIVATIONS
  }

  /**
   * Seconds of the layer's actions for {@code pass} in a profile that {@code part} takes: {@link
   * Part#PASS} the primitive and the weights' per-step reorders (into the primitive's layout, and of
   * the weight gradient into the held layout), which the step does for this layer whatever its
   * neighbours; {@link Part#ROUND} the once-per-round reorders of the resident weights and velocity
   * ({@code conv/load} with the forward pass, {@code conv/store} with backward-weights); {@link
   * Part#ACTIVATIONS} the reorders of activations and their gradients between this layer's layouts
   * and its neighbours' in the test network ({@code .src}, {@code .diff_dst}, {@code bwd_data.out}).
   */
  static double seconds(java.util.Map<String, Double> profile, Pass pass, Part part) {
    String prefix = "conv/" + pass.name().toLowerCase(Locale.ROOT);
    String round = pass == Pass.FWD ? "conv/load" : pass == Pass.BWD_WEIGHTS ? "conv/store" : null;
    return profile.entrySet().stream().filter(e -> switch (part) {
      case ROUND -> e.getKey().equals(round);
      case PASS -> e.getKey().startsWith(prefix) && !activation(e.getKey());
      case ACTIVATIONS -> e.getKey().startsWith(prefix) && activation(e.getKey());
    }).mapToDouble(java.util.Map.Entry::getValue).sum();
  }

  private static boolean activation(String tag) {
    return tag.endsWith(".src") || tag.endsWith(".diff_dst") || tag.equals("conv/bwd_data.out");
  }

  /** Figures of one pass: median seconds per step or call. */
  record Figures(double fovea, double rawStep, double rawAlone, double round, double activations, String impl,
      String rawImpl) {}

  /**
   * Median seconds per pass for one layer and batch: Fovea from the profile of compiled resident
   * training rounds, the raw training step's own timing of the same passes, and the raw primitive
   * called back to back.
   */
  static Figures[] measure(ConvLayer layer, int n, int threads, int reps) {
    Network net = network(layer);
    float[] params = net.layout().initialize(1);
    float[] buffers = net.bufferLayout().initialize(0);
    float[] velocity = new float[params.length];
    dev.fovea.optim.Sgd sgd = new dev.fovea.optim.Sgd(1e-4, 0.9, 0);
    Tensor x = random(net.inputShape().prepend(n), 1);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 2;
    }
    int passes = Pass.values().length;
    Raw[] raws = new Raw[passes];
    try (OneDnnBackend fovea = new OneDnnBackend(threads); RawTrainingStep rawStep = new RawTrainingStep(layer, n)) {
      for (Pass pass : Pass.values()) {
        raws[pass.ordinal()] = new Raw(pass, layer, n);
      }
      agree(net, fovea, rawStep, params, buffers, x, labels);
      round(net, fovea, params, buffers, velocity, sgd, x, labels, ROUND); // compiles
      double roundTime = once(() -> round(net, fovea, params, buffers, velocity, sgd, x, labels, ROUND));
      int rounds = Math.max(1, (int) Math.ceil(0.1 / roundTime));
      rawStep.step();
      int[] iters = new int[passes];
      for (int k = 0; k < passes; k++) {
        raws[k].run();
        iters[k] = Math.max(1, (int) Math.ceil(0.03 / once(raws[k]::run)));
      }
      double[][][] t = new double[5][passes][reps]; // fovea, raw step, raw alone, round, activations
      for (int rep = 0; rep < reps; rep++) {
        fovea.profileCompiledSteps(true);
        // Fovea's rounds and as many raw steps, interleaved round by round, so that both sides
        // see the same moments of the machine's noise (the profile counts Fovea's actions only)
        rawStep.reset();
        for (int i = 0; i < rounds; i++) {
          round(net, fovea, params, buffers, velocity, sgd, x, labels, ROUND);
          for (int j = 0; j < ROUND; j++) {
            rawStep.step();
          }
        }
        java.util.Map<String, Double> profile = fovea.compiledStepProfile();
        fovea.profileCompiledSteps(false);
        int steps = rounds * ROUND;
        if (Boolean.getBoolean("fovea.bench.profile")) {
          profile.forEach((k, v) -> System.err.printf(Locale.ROOT, "  %s: %.1f us/step%n", k, 1e6 * v / steps));
        }
        for (Pass pass : Pass.values()) {
          int k = pass.ordinal();
          t[0][k][rep] = seconds(profile, pass, Part.PASS) / steps;
          t[1][k][rep] = rawStep.seconds(pass);
          t[2][k][rep] = timed(raws[k]::run, iters[k]);
          t[3][k][rep] = seconds(profile, pass, Part.ROUND) / steps;
          t[4][k][rep] = seconds(profile, pass, Part.ACTIVATIONS) / steps;
          if (Boolean.getBoolean("fovea.bench.profile")) {
            System.err.printf(Locale.ROOT, "  %s: Fovea %.1f, raw step %.1f, raw alone %.1f us%n", pass,
                1e6 * t[0][k][rep], 1e6 * t[1][k][rep], 1e6 * t[2][k][rep]);
          }
        }
      }
      java.util.Map<String, String> chosen = fovea.compiledStepImplementations();
      Figures[] out = new Figures[passes];
      for (Pass pass : Pass.values()) {
        int k = pass.ordinal();
        out[k] = new Figures(median(t[0][k]), median(t[1][k]), median(t[2][k]), median(t[3][k]), median(t[4][k]),
            chosen.getOrDefault("conv/" + pass.name().toLowerCase(Locale.ROOT), ""), rawStep.implementation(pass));
      }
      return out;
    } finally {
      for (Raw r : raws) {
        if (r != null) {
          r.close();
        }
      }
    }
  }

  /**
   * Checks that the raw training step computes what Fovea's does: from Fovea's parameters and the
   * same batch, the summed loss and the layer's weight gradient agree within float rounding (the
   * two sum in different orders). The raw step then trains from these parameters. Its labels are
   * {@code i % 2}, as {@code labels} must be.
   */
  static void agree(Network net, OneDnnBackend fovea, RawTrainingStep raw, float[] params, float[] buffers, Tensor x,
      int[] labels) {
    raw.setParameters(net.layout(), params, x);
    compare(net, fovea, raw, params, buffers, x, labels);
  }

  /** Fovea's step from {@code params} against the raw step from the parameters it holds; throws when they differ. */
  static void compare(Network net, OneDnnBackend fovea, RawTrainingStep raw, float[] params, float[] buffers,
      Tensor x, int[] labels) {
    float[] grads = new float[params.length];
    double loss = net.lossAndGradient(fovea, params, buffers.clone(), grads, x, labels, 1);
    double rawLoss = raw.gradient();
    if (!(Math.abs(loss - rawLoss) <= 1e-4 * Math.max(1, Math.abs(loss)))) {
      throw new IllegalStateException("the raw step's loss " + rawLoss + " differs from Fovea's " + loss);
    }
    for (String name : List.of("conv.weights", "conv.bias", "pre.weights", "fc.weights")) {
      dev.fovea.nn.ParamLayout.Slice s = net.layout().slice(name);
      float[] rawGrad = raw.gradient(name);
      double max = 0;
      double diff = 0;
      for (int i = 0; i < s.size(); i++) {
        max = Math.max(max, Math.abs(grads[s.offset() + i]));
        diff = Math.max(diff, Math.abs(grads[s.offset() + i] - rawGrad[i]));
      }
      // 2% of the largest element: the two sides round the logits' gradient differently (Fovea
      // through oneDNN's log-softmax in float, the raw step in double), and a bias gradient sums
      // terms that largely cancel; a wrong layout or a missing term is off by the element itself
      if (!(diff <= 2e-2 * max + 1e-9)) {
        throw new IllegalStateException("the raw step's " + name + " gradient differs from Fovea's by " + diff
            + " (largest element " + max + ")");
      }
    }
  }

  /** Training steps per round (k) over which the once-per-round reorders of resident weights are amortised. */
  static final int ROUND = 8;

  /** One round as a worker runs it: a resident training session of {@code steps} steps, state copied out. */
  static void round(Network net, OneDnnBackend b, float[] params, float[] buffers, float[] velocity,
      dev.fovea.optim.Sgd sgd, Tensor x, int[] labels, int steps) {
    try (dev.fovea.nn.Trainer t = net.trainer(b, params, buffers, velocity, sgd, new java.util.BitSet())) {
      for (int i = 0; i < steps; i++) {
        t.step(x, labels, i);
      }
      if (!t.resident()) {
        throw new IllegalStateException("the benchmark network did not train resident");
      }
      t.copyOut(params, buffers, velocity);
    }
  }

  private static double once(Runnable r) {
    long t0 = System.nanoTime();
    r.run();
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double timed(Runnable r, int iters) {
    long t0 = System.nanoTime();
    for (int i = 0; i < iters; i++) {
      r.run();
    }
    return (System.nanoTime() - t0) / 1e9 / iters;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  static Tensor random(Shape shape, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] d = new float[shape.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) rng.nextDouble(-1, 1);
    }
    return Tensor.wrap(d, shape);
  }

  /** The best of {@link #matmulPeak} and an ideal-shape raw convolution, FLOP/s. */
  static double peak(int reps) {
    double sgemm = matmulPeak(reps);
    ConvLayer ideal = new ConvLayer("peak", "3x3 256->256 @14", 256, 256, 14, 3, 1, 1);
    try (Raw raw = new Raw(Pass.FWD, ideal, 16)) {
      raw.run();
      double[] t = new double[reps];
      for (int i = 0; i < reps; i++) {
        t[i] = timed(raw::run, 5);
      }
      double conv = ideal.flops(16) / median(t);
      System.err.printf(Locale.ROOT, "peak candidates: sgemm %.1f, conv %.1f GFLOP/s%n", sgemm / 1e9, conv / 1e9);
      return Math.max(sgemm, conv);
    }
  }

  /** FLOP/s of a 2048³ f32 matmul, median of {@code reps}. */
  static double matmulPeak(int reps) {
    long m = 2048;
    try (Raw.Objects o = new Raw.Objects()) {
      dnnl_memory_desc a = o.md(new long[] {m, m}, dnnl_format_tag_any);
      dnnl_memory_desc b = o.md(new long[] {m, m}, dnnl_format_tag_any);
      dnnl_memory_desc c = o.md(new long[] {m, m}, dnnl_format_tag_any);
      dnnl_primitive_desc pd = new dnnl_primitive_desc();
      Raw.check(dnnl_matmul_primitive_desc_create(pd, Raw.engine, a, b, null, c, null), "matmul pd");
      o.pd(pd);
      dnnl_memory ma = o.filled(Raw.query(pd, DNNL_ARG_SRC));
      dnnl_memory mb = o.filled(Raw.query(pd, DNNL_ARG_WEIGHTS));
      dnnl_memory mc = o.filled(Raw.query(pd, DNNL_ARG_DST));
      Runnable run = o.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}, new dnnl_memory[] {ma, mb, mc});
      run.run();
      double[] t = new double[reps];
      for (int i = 0; i < reps; i++) {
        t[i] = timed(run, 2);
      }
      return 2.0 * m * m * m / median(t);
    }
  }

  /** The same convolution primitive through the raw C API, on buffers in its preferred layouts. */
  static final class Raw implements AutoCloseable {
    static dnnl_engine engine;
    static dnnl_stream stream;

    static void init() {
      engine = new dnnl_engine();
      check(dnnl_engine_create(engine, dnnl_cpu, 0), "engine");
      stream = new dnnl_stream();
      check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "stream");
    }

    static void shutdown() {
      dnnl_stream_destroy(stream);
      dnnl_engine_destroy(engine);
    }

    static void check(int status, String what) {
      if (status != dnnl_success) {
        throw new IllegalStateException(what + ": status " + status);
      }
    }

    /** The floats of {@code mem} (layout {@code md}, every byte of it, padding included). */
    static java.nio.FloatBuffer floats(dnnl_memory mem, dnnl_memory_desc md) {
      try (PointerPointer<Pointer> h = new PointerPointer<>(1)) {
        check(dnnl_memory_get_data_handle(mem, h), "handle");
        int count = (int) (dnnl_memory_desc_get_size(md) / Float.BYTES);
        return new FloatPointer(h.get(0)).capacity(count).limit(count).asBuffer();
      }
    }

    static dnnl_memory_desc query(dnnl_primitive_desc pd, int arg) {
      return dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
    }

    /** Native objects of one measurement, destroyed together. */
    static final class Objects implements AutoCloseable {
      private final List<Runnable> frees = new ArrayList<>();

      dnnl_memory_desc md(long[] dims, int tag) {
        dnnl_memory_desc md = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_with_tag(md, dims.length, dims, dnnl_f32, tag), "md");
        frees.add(() -> dnnl_memory_desc_destroy(md));
        return md;
      }

      dnnl_primitive_desc pd(dnnl_primitive_desc pd) {
        frees.add(() -> dnnl_primitive_desc_destroy(pd));
        return pd;
      }

      /** A library-allocated buffer of layout {@code md} holding small random values. */
      dnnl_memory filled(dnnl_memory_desc md) {
        dnnl_memory mem = new dnnl_memory();
        Pointer allocate = new Pointer() {
          {
            address = -1L;
          }
        };
        check(dnnl_memory_create(mem, md, engine, allocate), "memory");
        frees.add(() -> dnnl_memory_destroy(mem));
        java.nio.FloatBuffer f = floats(mem, md);
        SplittableRandom rng = new SplittableRandom(f.capacity());
        for (int i = 0; i < f.capacity(); i++) {
          f.put(i, (float) rng.nextDouble(-1, 1));
        }
        return mem;
      }

      Runnable exec(dnnl_primitive_desc pd, int[] args, dnnl_memory[] mems) {
        dnnl_primitive prim = new dnnl_primitive();
        check(dnnl_primitive_create(prim, pd), "primitive");
        frees.add(() -> dnnl_primitive_destroy(prim));
        dnnl_exec_arg_t a = new dnnl_exec_arg_t(args.length);
        frees.add(a::close);
        for (int i = 0; i < args.length; i++) {
          a.position(i).arg(args[i]).memory(mems[i]);
        }
        a.position(0);
        int count = args.length;
        return () -> {
          check(dnnl_primitive_execute(prim, stream, count, a), "execute");
          check(dnnl_stream_wait(stream), "wait");
        };
      }

      @Override
      public void close() {
        for (int i = frees.size() - 1; i >= 0; i--) {
          frees.get(i).run();
        }
        frees.clear();
      }
    }

    private final Objects o = new Objects();
    private final Runnable run;

    Raw(Pass pass, ConvLayer layer, int n) {
      ConvParams p = layer.params();
      Shape dstShape = p.outputShape(layer.src(n), layer.weights());
      long[] src = longs(layer.src(n).dims());
      long[] w = longs(layer.weights().dims());
      long[] b = {layer.oc()};
      long[] dst = longs(dstShape.dims());
      long[] strides = {layer.stride(), layer.stride()};
      long[] dil = {0, 0};
      long[] pad = {layer.pad(), layer.pad()};
      dnnl_primitive_desc fwd = new dnnl_primitive_desc();
      boolean fwdBias = pass != Pass.BWD_DATA;
      check(dnnl_convolution_forward_primitive_desc_create(fwd, engine, dnnl_forward_training,
          dnnl_convolution_direct, o.md(src, dnnl_format_tag_any), o.md(w, dnnl_format_tag_any),
          fwdBias ? o.md(b, dnnl_format_tag_any) : null, o.md(dst, dnnl_format_tag_any), strides, dil, pad, pad, null),
          "conv fwd pd");
      o.pd(fwd);
      switch (pass) {
        case FWD -> run = o.exec(fwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},
            new dnnl_memory[] {o.filled(query(fwd, DNNL_ARG_SRC)), o.filled(query(fwd, DNNL_ARG_WEIGHTS)),
                o.filled(query(fwd, DNNL_ARG_BIAS)), o.filled(query(fwd, DNNL_ARG_DST))});
        case BWD_DATA -> {
          dnnl_primitive_desc pd = new dnnl_primitive_desc();
          check(dnnl_convolution_backward_data_primitive_desc_create(pd, engine, dnnl_convolution_direct,
              o.md(src, dnnl_format_tag_any), o.md(w, dnnl_format_tag_any), o.md(dst, dnnl_format_tag_any), strides,
              dil, pad, pad, fwd, null), "conv bwd data pd");
          o.pd(pd);
          run = o.exec(pd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
              new dnnl_memory[] {o.filled(query(pd, DNNL_ARG_DIFF_DST)), o.filled(query(pd, DNNL_ARG_WEIGHTS)),
                  o.filled(query(pd, DNNL_ARG_DIFF_SRC))});
        }
        case BWD_WEIGHTS -> {
          dnnl_primitive_desc pd = new dnnl_primitive_desc();
          check(dnnl_convolution_backward_weights_primitive_desc_create(pd, engine, dnnl_convolution_direct,
              o.md(src, dnnl_format_tag_any), o.md(w, dnnl_format_tag_any), o.md(b, dnnl_format_tag_any),
              o.md(dst, dnnl_format_tag_any), strides, dil, pad, pad, fwd, null), "conv bwd weights pd");
          o.pd(pd);
          run = o.exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
              new dnnl_memory[] {o.filled(query(pd, DNNL_ARG_SRC)), o.filled(query(pd, DNNL_ARG_DIFF_DST)),
                  o.filled(query(pd, DNNL_ARG_DIFF_WEIGHTS)), o.filled(query(pd, DNNL_ARG_DIFF_BIAS))});
        }
        default -> throw new AssertionError(pass);
      }
    }

    void run() {
      run.run();
    }

    @Override
    public void close() {
      o.close();
    }
  }

  static long[] longs(int[] v) {
    return Arrays.stream(v).asLongStream().toArray();
  }

  static String isaName() {
    int isa = dnnl_get_effective_cpu_isa();
    return "dnnl_cpu_isa " + Integer.toHexString(isa);
  }

  static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
    } catch (Exception e) {
      return "unknown";
    }
  }
}
