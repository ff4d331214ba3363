package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.any;
import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.longs;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static dev.fovea.kernels.backend.onednn.OneDnnPlan.query;
import static org.bytedeco.dnnl.global.dnnl.*;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.compile.CompiledStep;
import dev.fovea.kernels.compile.DeviceMemory;
import dev.fovea.kernels.compile.StepBuffer;
import dev.fovea.kernels.compile.StepLowering;
import dev.fovea.kernels.compile.UpdateKernel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * oneDNN's lowering of a compiled step ({@link CompiledStep}, which plans it): memory descriptors
 * as layouts ({@code format_tag any}, never timed, so planning is fast and deterministic), reorders
 * as conversions, a primitive per graph op forward and backward, a ReLU fused into the convolution
 * (a post-op) or batch norm ({@code fuse_norm_relu}) before it, and the update rule's own formula
 * over direct views of the native parameters as the update kernel. One instance per compiled step:
 * it owns that step's descriptors, primitives and memory objects (all primitives share one user
 * scratchpad) and frees them in {@link #close()}.
 */
final class OneDnnLowering implements StepLowering<OneDnnLowering.Mem, dnnl_memory_desc> {

  /** A dnnl memory object over native bytes at {@code address}, in layout {@code md}. */
  final class Mem extends StepBuffer<dnnl_memory_desc> {
    final dnnl_memory memory;

    Mem(dnnl_memory_desc md, long address) {
      super(md, address, dnnl_memory_desc_get_size(md));
      memory = new dnnl_memory();
      check(dnnl_memory_create(memory, md, engine, new OneDnnMemory.Address(address)), "memory_create");
      releases.add(() -> dnnl_memory_destroy(memory));
    }
  }

  private final OneDnnDenormals denormals;
  private final int threads;
  private final dnnl_engine engine;
  private final dnnl_stream stream;
  private final OneDnnMemory memory;
  private final List<Runnable> releases = new ArrayList<>();
  private final List<dnnl_memory> scratchMems = new ArrayList<>();
  private long scratchBytes;
  private dnnl_primitive_attr attr;
  /** The implementation oneDNN picked for each convolution pass, by tag. */
  private final Map<String, String> impls = new LinkedHashMap<>();
  /** The step being planned. */
  private CompiledStep<Mem, dnnl_memory_desc> st;

  OneDnnLowering(OneDnnContext ctx, OneDnnDenormals denormals, int threads) {
    this.denormals = denormals;
    this.threads = threads;
    this.engine = ctx.engine();
    this.stream = ctx.stream();
    this.memory = new OneDnnMemory(ctx.memory());
  }

  /** The implementation oneDNN picked per convolution pass, by tag ({@code node/fwd}, ...). */
  Map<String, String> implementations() {
    return impls;
  }

  @Override
  public DeviceMemory memory() {
    return memory;
  }

  // ---- the device stream ----

  @Override
  public void enter() {
    OneDnnThreads.limit(threads);
    denormals.enter();
  }

  @Override
  public void exit() {
    denormals.exit();
  }

  @Override
  public void sync() {
    check(dnnl_stream_wait(stream), "stream_wait");
  }

  // ---- layouts ----

  @Override
  public dnnl_memory_desc rowMajor(long[] dims) {
    return own(plain(dims));
  }

  @Override
  public long size(dnnl_memory_desc layout) {
    return dnnl_memory_desc_get_size(layout);
  }

  @Override
  public boolean same(dnnl_memory_desc a, dnnl_memory_desc b) {
    return dnnl_memory_desc_equal(a, b) != 0;
  }

  @Override
  public Mem at(dnnl_memory_desc layout, long address) {
    return new Mem(layout, address);
  }

  private dnnl_memory_desc own(dnnl_memory_desc md) {
    releases.add(() -> dnnl_memory_desc_destroy(md));
    return md;
  }

  private dnnl_primitive_desc own(dnnl_primitive_desc pd) {
    releases.add(() -> dnnl_primitive_desc_destroy(pd));
    return pd;
  }

  /** An attribute with a user scratchpad and, when {@code relu}, a ReLU post-op. */
  private dnnl_primitive_attr attr(boolean relu) {
    if (!relu && attr != null) {
      return attr;
    }
    dnnl_primitive_attr a = new dnnl_primitive_attr();
    check(dnnl_primitive_attr_create(a), "primitive_attr_create");
    releases.add(() -> dnnl_primitive_attr_destroy(a));
    check(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user), "set_scratchpad_mode");
    if (relu) {
      dnnl_post_ops ops = new dnnl_post_ops();
      check(dnnl_post_ops_create(ops), "post_ops_create");
      releases.add(() -> dnnl_post_ops_destroy(ops));
      check(dnnl_post_ops_append_eltwise(ops, dnnl_eltwise_relu, 0f, 0f), "post_ops_append_eltwise");
      check(dnnl_primitive_attr_set_post_ops(a, ops), "set_post_ops");
      return a;
    }
    attr = a;
    return a;
  }

  /** Adds a primitive of {@code pd} on {@code mems} to the step's program. */
  private void exec(dnnl_primitive_desc pd, int[] args, Mem[] mems) {
    dnnl_primitive p = new dnnl_primitive();
    check(dnnl_primitive_create(p, pd), "primitive_create");
    releases.add(() -> dnnl_primitive_destroy(p));
    dnnl_memory_desc smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    long ss = smd == null || smd.isNull() ? 0 : dnnl_memory_desc_get_size(smd);
    int n = args.length + (ss > 0 ? 1 : 0);
    dnnl_exec_arg_t a = new dnnl_exec_arg_t(n);
    releases.add(a::close);
    for (int i = 0; i < args.length; i++) {
      a.position(i).arg(args[i]).memory(mems[i].memory);
    }
    if (ss > 0) {
      dnnl_memory sm = new dnnl_memory();
      check(dnnl_memory_create(sm, smd, engine, new OneDnnMemory.Address(0)), "memory_create");
      releases.add(() -> dnnl_memory_destroy(sm));
      scratchMems.add(sm);
      scratchBytes = Math.max(scratchBytes, ss);
      a.position(args.length).arg(DNNL_ARG_SCRATCHPAD).memory(sm);
    }
    a.position(0);
    st.action(() -> check(dnnl_primitive_execute(p, stream, n, a), "primitive_execute"));
  }

  /** Gives every primitive the one scratchpad, as large as the largest wants. */
  @Override
  public void finish(CompiledStep<Mem, dnnl_memory_desc> step) {
    if (scratchBytes > 0) {
      long s = memory.allocate(scratchBytes);
      for (dnnl_memory m : scratchMems) {
        check(dnnl_memory_set_data_handle(m, new OneDnnMemory.Address(s)), "memory_set_data_handle");
      }
    }
  }

  @Override
  public void reorder(CompiledStep<Mem, dnnl_memory_desc> step, Mem from, Mem to) {
    st = step;
    reorder(from, to);
  }

  private void reorder(Mem from, Mem to) {
    // A 1×1 convolution's weights as the matrix they are: oneDNN has a blocked-reorder kernel for
    // (O, I) in 16×16 blocks back to row-major that it does not use for (O, I, 1, 1); measured on
    // 2048×512 weights, 0.17 ms instead of 0.34 (`jit:blk` instead of `jit:uni`).
    dnnl_memory_desc f = squeezed(from.layout);
    dnnl_memory_desc t = f == null ? null : squeezed(to.layout);
    if (f != null && t != null) {
      from = new Mem(f, from.address);
      to = new Mem(t, to.address);
    }
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_reorder_primitive_desc_create(pd, from.layout, engine, to.layout, engine, attr(false)),
        "reorder_primitive_desc_create");
    own(pd);
    exec(pd, new int[] {DNNL_ARG_FROM, DNNL_ARG_TO}, new Mem[] {from, to});
  }

  /**
   * {@code md} without its trailing dimensions of size 1 beyond the second, reshaped by oneDNN
   * (same bytes, same layout); null when it has none or oneDNN cannot reshape it.
   */
  private dnnl_memory_desc squeezed(dnnl_memory_desc md) {
    int nd;
    long[] dims;
    try (IntPointer v = new IntPointer(1); PointerPointer<Pointer> d = new PointerPointer<>(1)) {
      check(dnnl_memory_desc_query(md, dnnl_query_ndims_s32, v), "memory_desc_query");
      nd = v.get();
      check(dnnl_memory_desc_query(md, dnnl_query_dims, d), "memory_desc_query");
      dims = new long[nd];
      new LongPointer(d.get(0)).capacity(nd).get(dims);
    }
    int keep = nd;
    while (keep > 2 && dims[keep - 1] == 1) {
      keep--;
    }
    if (keep == nd) {
      return null;
    }
    dnnl_memory_desc out = new dnnl_memory_desc();
    if (dnnl_memory_desc_reshape(out, md, keep, Arrays.copyOf(dims, keep)) != dnnl_success) {
      return null;
    }
    return own(out);
  }

  @Override
  public void sum(CompiledStep<Mem, dnnl_memory_desc> step, List<Mem> srcs, float[] scales, Mem dst) {
    st = step;
    int n = srcs.size();
    try (PointerPointer<dnnl_memory_desc> mds = new PointerPointer<>(n);
        PointerPointer<dnnl_primitive_desc> out = new PointerPointer<>(1)) {
      for (int i = 0; i < n; i++) {
        mds.put(i, srcs.get(i).layout);
      }
      check(dnnl_sum_primitive_desc_create(out, engine, dst.layout, n, scales, mds, attr(false)),
          "sum primitive_desc_create");
      dnnl_primitive_desc pd = own(new dnnl_primitive_desc(out.get(0)));
      int[] args = new int[n + 1];
      Mem[] mems = new Mem[n + 1];
      for (int i = 0; i < n; i++) {
        args[i] = DNNL_ARG_MULTIPLE_SRC + i;
        mems[i] = srcs.get(i);
      }
      args[n] = DNNL_ARG_DST;
      mems[n] = dst;
      exec(pd, args, mems);
    }
  }

  @Override
  public void convertNow(dnnl_memory_desc fromMd, long from, dnnl_memory_desc toMd, long to) {
    dnnl_memory src = new dnnl_memory();
    dnnl_memory dst = new dnnl_memory();
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    dnnl_primitive p = new dnnl_primitive();
    try {
      check(dnnl_memory_create(src, fromMd, engine, new OneDnnMemory.Address(from)), "memory_create");
      check(dnnl_memory_create(dst, toMd, engine, new OneDnnMemory.Address(to)), "memory_create");
      check(dnnl_reorder_primitive_desc_create(pd, fromMd, engine, toMd, engine, null),
          "reorder_primitive_desc_create");
      check(dnnl_primitive_create(p, pd), "primitive_create");
      try (dnnl_exec_arg_t args = new dnnl_exec_arg_t(2)) {
        args.position(0).arg(DNNL_ARG_FROM).memory(src);
        args.position(1).arg(DNNL_ARG_TO).memory(dst);
        args.position(0);
        check(dnnl_primitive_execute(p, stream, 2, args), "primitive_execute");
      }
      check(dnnl_stream_wait(stream), "stream_wait");
    } finally {
      dnnl_primitive_destroy(p);
      dnnl_primitive_desc_destroy(pd);
      dnnl_memory_destroy(src);
      dnnl_memory_destroy(dst);
    }
  }

  // ---- ops ----

  @Override
  public boolean fusesRelu(NetworkGraph.Op producer) {
    return producer instanceof NetworkGraph.Convolution || producer instanceof NetworkGraph.BatchNormalization;
  }

  private int prop() {
    return st.training() ? dnnl_forward_training : dnnl_forward_inference;
  }

  @Override
  public boolean forward(CompiledStep<Mem, dnnl_memory_desc> step, int i) {
    st = step;
    NetworkGraph.Node node = st.graph().nodes().get(i);
    NetworkGraph.Op op = node.op();
    if (op instanceof NetworkGraph.Convolution c) {
      convolution(i, node, c);
    } else if (op instanceof NetworkGraph.BatchNormalization b) {
      batchNorm(i, node, b);
    } else if (op instanceof NetworkGraph.Eltwise e && OneDnnEltwise.supports(e.f())) {
      eltwise(i, node, e.f());
    } else if (op instanceof NetworkGraph.Pooling p && OneDnnPooling.supports(p.p())) {
      pooling(i, node, p.p(), false);
    } else if (op instanceof NetworkGraph.GlobalPooling p
        && OneDnnPooling.supports(PoolParams.global(p.kind(), st.srcShape(node, 0).prepend(st.batch())))) {
      pooling(i, node, PoolParams.global(p.kind(), st.srcShape(node, 0).prepend(st.batch())), true);
    } else if (op instanceof NetworkGraph.InnerProduct) {
      innerProduct(i, node);
    } else if (op instanceof NetworkGraph.Concat) {
      concat(i, node);
    } else {
      return false;
    }
    return true;
  }

  @Override
  public void backward(CompiledStep<Mem, dnnl_memory_desc> step, int i, Mem dy) {
    st = step;
    NetworkGraph.Node node = st.graph().nodes().get(i);
    NetworkGraph.Op op = node.op();
    if (st.plan().fusedInto(i) >= 0) {
      eltwiseBackward(i, node, dy);
    } else if (op instanceof NetworkGraph.Convolution c) {
      convolutionBackward(i, node, c, dy);
    } else if (op instanceof NetworkGraph.BatchNormalization b) {
      batchNormBackward(i, node, b, dy);
    } else if (st.saved(i) instanceof EltSaved) {
      eltwiseBackward(i, node, dy);
    } else if (st.saved(i) instanceof PoolSaved) {
      poolingBackward(i, node, dy);
    } else if (op instanceof NetworkGraph.InnerProduct) {
      innerProductBackward(i, node, dy);
    } else if (op instanceof NetworkGraph.Concat) {
      concatBackward(node, dy);
    } else {
      throw new IllegalStateException("no oneDNN backward for " + node.name());
    }
  }

  /**
   * oneDNN's log-softmax (the primitive {@link OneDnnBackend#softmaxCrossEntropyForward} runs) on
   * the logits as a row-major (batch, classes) matrix.
   */
  @Override
  public Mem logSoftmax(CompiledStep<Mem, dnnl_memory_desc> step, Mem x) {
    st = step;
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_softmax_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, dnnl_softmax_log, x.layout,
        x.layout, 1, attr(false)), "log-softmax primitive_desc_create");
    own(pd);
    Mem logp = st.acquire(x.layout);
    exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Mem[] {x, logp});
    return logp;
  }

  @Override
  public UpdateKernel updateKernel(List<UpdateKernel.Region> regions) {
    // the parameters are in host memory, so the rule's own formula (dev.fovea.optim, the
    // specification) runs over direct views of the native regions
    return UpdateKernel.onHost(memory, regions);
  }

  private void read(Mem m, Tensor t) {
    memory.get(m.address, t.floatArray(), t.offset(), t.size());
  }

  /** Frees every oneDNN object of the step, in reverse order of creation. */
  @Override
  public void close() {
    for (int i = releases.size() - 1; i >= 0; i--) {
      releases.get(i).run();
    }
    releases.clear();
  }

  private record ConvSaved(dnnl_primitive_desc fwd, OneDnnConvolution.Dims d, Mem src, Mem weights) {}

  private void convolution(int i, NetworkGraph.Node node, NetworkGraph.Convolution c) {
    Shape srcShape = st.srcShape(node, 0).prepend(st.batch());
    Shape wShape = node.params().get(0).shape();
    OneDnnConvolution.Dims d = OneDnnConvolution.dims(c.p(), srcShape, wShape);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_convolution_forward_primitive_desc_create(pd, engine, prop(), dnnl_convolution_direct,
        own(any(d.src())), own(any(d.weights())), c.bias() ? own(any(d.bias())) : null, own(any(d.dst())),
        d.strides(), d.dilates(), d.padL(), d.padR(), attr(st.plan().fusedRelu(i) >= 0)),
        "convolution forward primitive_desc_create");
    Mem producer = st.src(node, 0);
    if (!same(producer.layout, query(pd, DNNL_ARG_SRC))) {
      // the source as its producer wrote it, when oneDNN runs that with the same kernel
      dnnl_primitive_desc anyPd = pd;
      pd = sameKernel(pd, attempt(q -> dnnl_convolution_forward_primitive_desc_create(q, engine, prop(),
          dnnl_convolution_direct, producer.layout, query(anyPd, DNNL_ARG_WEIGHTS),
          c.bias() ? query(anyPd, DNNL_ARG_BIAS) : null, query(anyPd, DNNL_ARG_DST), d.strides(), d.dilates(),
          d.padL(), d.padR(), attr(st.plan().fusedRelu(i) >= 0))));
    }
    own(pd);
    st.tag(node, "fwd.src");
    Mem x = st.ensure(st.src(node, 0), query(pd, DNNL_ARG_SRC), true);
    Mem wPlain = st.param(node.params().get(0), d.weights(), false);
    st.tag(node, "fwd.weights");
    Mem w = st.weightsIn(node.params().get(0), wPlain, query(pd, DNNL_ARG_WEIGHTS));
    Mem y = st.acquire(query(pd, DNNL_ARG_DST));
    st.tag(node, "fwd");
    impls.put(node.name() + "/fwd", OneDnnPlan.implementation(pd));
    if (c.bias()) {
      Mem b = st.param(node.params().get(1), false);
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST}, new Mem[] {x, w, b, y});
    } else {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}, new Mem[] {x, w, y});
    }
    st.setAct(i, y);
    // backward-data reads the weights from what the step holds: row-major, or a st.resident() master
    st.save(i, new ConvSaved(pd, d, x, st.resident() ? w : wPlain));
  }

  /**
   * A parameter (or, when {@code grad}, gradient) slice viewed with oneDNN's dims, which for
   * grouped convolution weights have the extra groups axis; row-major either way.
   */
  private void convolutionBackward(int i, NetworkGraph.Node node, NetworkGraph.Convolution c, Mem dy) {
    ConvSaved s = (ConvSaved) st.saved(i);
    OneDnnConvolution.Dims d = s.d;
    // First with the activations in the layouts the step holds them in (no reorders around the
    // primitive), else oneDNN's own choice; then, if the same kernel also takes a row-major weight
    // gradient, that (no reorder out to the flat gradient vector).
    dnnl_memory_desc wAny = own(any(d.weights()));
    dnnl_memory_desc bAny = c.bias() ? own(any(d.bias())) : null;
    Mem gw = st.gradientOf(node.params().get(0), st.param(node.params().get(0), d.weights(), true));
    dnnl_primitive_desc pd = attempt(q -> dnnl_convolution_backward_weights_primitive_desc_create(q, engine,
        dnnl_convolution_direct, s.src.layout, wAny, bAny, dy.layout, d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd,
        attr(false)));
    if (pd == null) {
      pd = new dnnl_primitive_desc();
      check(dnnl_convolution_backward_weights_primitive_desc_create(pd, engine, dnnl_convolution_direct,
          own(any(d.src())), wAny, bAny, own(any(d.dst())), d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd,
          attr(false)), "convolution backward-weights primitive_desc_create");
    }
    dnnl_primitive_desc chosen = pd;
    pd = sameKernel(pd, attempt(q -> dnnl_convolution_backward_weights_primitive_desc_create(q, engine,
        dnnl_convolution_direct, query(chosen, DNNL_ARG_SRC), gw.layout, bAny, query(chosen, DNNL_ARG_DIFF_DST),
        d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd, attr(false))));
    own(pd);
    impls.put(node.name() + "/bwd_weights", OneDnnPlan.implementation(pd));
    List<Mem> temps = new ArrayList<>();
    st.tag(node, "bwd_weights.src");
    Mem x = st.ensure(s.src, query(pd, DNNL_ARG_SRC), false);
    if (x != s.src) {
      temps.add(x);
    }
    st.tag(node, "bwd_weights.diff_dst");
    Mem ddy = st.ensure(dy, query(pd, DNNL_ARG_DIFF_DST), false);
    if (ddy != dy) {
      temps.add(ddy);
    }
    st.tag(node, "bwd_weights");
    Mem dw = same(gw.layout, query(pd, DNNL_ARG_DIFF_WEIGHTS)) ? gw : st.acquire(query(pd, DNNL_ARG_DIFF_WEIGHTS));
    if (c.bias()) {
      Mem gb = st.param(node.params().get(1), true);
      Mem db = same(gb.layout, query(pd, DNNL_ARG_DIFF_BIAS)) ? gb : st.acquire(query(pd, DNNL_ARG_DIFF_BIAS));
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
          new Mem[] {x, ddy, dw, db});
      st.tag(node, "bwd_weights.out");
      if (db != gb) {
        reorder(db, gb);
        st.release(db);
      }
    } else {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS}, new Mem[] {x, ddy, dw});
    }
    st.tag(node, "bwd_weights.out");
    if (dw != gw) {
      reorder(dw, gw);
      st.release(dw);
    }
    int p = node.inputs()[0];
    if (st.needsDiff(p)) {
      // as above; then, if the same kernel also reads the weights in the forward pass's layout, that
      // (one weight reorder per step instead of two)
      dnnl_memory_desc from = st.act(p).layout;
      dnnl_primitive_desc bd = attempt(q -> dnnl_convolution_backward_data_primitive_desc_create(q, engine,
          dnnl_convolution_direct, from, wAny, dy.layout, d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd,
          attr(false)));
      if (bd == null) {
        bd = new dnnl_primitive_desc();
        check(dnnl_convolution_backward_data_primitive_desc_create(bd, engine, dnnl_convolution_direct,
            own(any(d.src())), wAny, own(any(d.dst())), d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd,
            attr(false)), "convolution backward-data primitive_desc_create");
      }
      dnnl_primitive_desc picked = bd;
      bd = sameKernel(bd, attempt(q -> dnnl_convolution_backward_data_primitive_desc_create(q, engine,
          dnnl_convolution_direct, query(picked, DNNL_ARG_DIFF_SRC), query(s.fwd, DNNL_ARG_WEIGHTS),
          query(picked, DNNL_ARG_DIFF_DST), d.strides(), d.dilates(), d.padL(), d.padR(), s.fwd, attr(false))));
      own(bd);
      impls.put(node.name() + "/bwd_data", OneDnnPlan.implementation(bd));
      st.tag(node, "bwd_data.weights");
      Mem w = st.ensure(s.weights, query(bd, DNNL_ARG_WEIGHTS), true);
      st.tag(node, "bwd_data.diff_dst");
      Mem bdy = st.ensure(dy, query(bd, DNNL_ARG_DIFF_DST), false);
      if (bdy != dy && bdy != ddy) {
        temps.add(bdy);
      }
      Mem dx = st.sink(p, query(bd, DNNL_ARG_DIFF_SRC));
      st.tag(node, "bwd_data");
      exec(bd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC}, new Mem[] {bdy, w, dx});
      st.tag(node, "bwd_data.out");
      st.sunk(p, dx);
    }
    temps.forEach(st::release);
  }

  /**
   * Whether a primitive descriptor created with fixed layouts is worth using: it exists and its
   * implementation is not one of oneDNN's reference kernels (orders of magnitude slower than the
   * JIT ones, which a reorder or two around the primitive never are). An unusable one is destroyed.
   */
  private interface PdCreate {
    int create(dnnl_primitive_desc pd);
  }

  /** A primitive descriptor from {@code create}, or null when it fails or gives a reference kernel. */
  private static dnnl_primitive_desc attempt(PdCreate create) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    return usable(create.create(pd), pd) ? pd : null;
  }

  /**
   * {@code alternative} (with fewer reorders around it) when oneDNN runs it with the same kernel as
   * {@code pd}, else {@code pd}; the one not returned is destroyed.
   */
  private static dnnl_primitive_desc sameKernel(dnnl_primitive_desc pd, dnnl_primitive_desc alternative) {
    if (alternative == null) {
      return pd;
    }
    if (OneDnnPlan.implementation(alternative).equals(OneDnnPlan.implementation(pd))) {
      dnnl_primitive_desc_destroy(pd);
      return alternative;
    }
    dnnl_primitive_desc_destroy(alternative);
    return pd;
  }

  private static boolean usable(int status, dnnl_primitive_desc pd) {
    if (status != dnnl_success) {
      return false;
    }
    if (OneDnnPlan.implementation(pd).contains("ref")) {
      dnnl_primitive_desc_destroy(pd);
      return false;
    }
    return true;
  }

  private record BnSaved(dnnl_primitive_desc fwd, int flags, float eps, Mem src, Mem mean, Mem var, Mem scale,
      Mem shift, Mem ws) {}

  private void batchNorm(int i, NetworkGraph.Node node, NetworkGraph.BatchNormalization b) {
    Mem x = st.src(node, 0);
    Shape shape = st.srcShape(node, 0).prepend(st.batch());
    int c = shape.dim(1);
    long count = shape.size() / c;
    boolean batchStats = st.training() && !b.inference();
    if (!OneDnnBatchNormalization.supports(shape) || batchStats && count < 2) {
      throw new OneDnn.Unimplemented("st.batch() normalization of " + shape);
    }
    boolean relu = st.plan().fusedRelu(i) >= 0;
    int flags = dnnl_use_scale | dnnl_use_shift | (batchStats ? 0 : dnnl_use_global_stats)
        | (relu ? dnnl_fuse_norm_relu : 0);
    float eps = (float) b.p().epsilon();
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_batch_normalization_forward_primitive_desc_create(pd, engine, prop(), x.layout, x.layout, eps, flags,
        attr(false)), "st.batch() normalization forward primitive_desc_create");
    own(pd);
    dnnl_memory_desc ch = own(plain(c));
    int k = 0;
    Mem scale = b.scale() ? st.param(node.params().get(k++), false) : st.constant(ch, 1f);
    Mem shift = b.center() ? st.param(node.params().get(k), false) : st.constant(ch, 0f);
    Mem mean;
    Mem var;
    if (batchStats) {
      mean = st.acquire(ch);
      var = st.acquire(ch);
    } else {
      mean = st.buffer(node.buffers().get(0));
      var = st.buffer(node.buffers().get(1));
    }
    Mem y = st.acquire(x.layout);
    Mem ws = null;
    if (relu && st.training()) {
      ws = st.acquire(query(pd, DNNL_ARG_WORKSPACE));
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE,
          DNNL_ARG_DST, DNNL_ARG_WORKSPACE}, new Mem[] {x, scale, shift, mean, var, y, ws});
    } else {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE,
          DNNL_ARG_DST}, new Mem[] {x, scale, shift, mean, var, y});
    }
    st.setAct(i, y);
    st.save(i, new BnSaved(pd, flags, eps, x, mean, var, scale, shift, ws));
    if (batchStats) {
      BatchNormParams p = b.p();
      NetworkGraph.Slice rm = node.buffers().get(0);
      NetworkGraph.Slice rv = node.buffers().get(1);
      Tensor m = Tensor.zeros(Shape.of(c));
      Tensor v = Tensor.zeros(Shape.of(c));
      st.host(() -> {
        read(mean, m);
        read(var, v);
        float[] buffers = st.runningBuffers();
        // the running statistics in double, rounded once, by the rule every backend shares
        p.updateRunning(Tensor.wrap(buffers, rm.offset(), rm.shape()), Tensor.wrap(buffers, rv.offset(), rv.shape()),
            m.toDoubleArray(), v.toDoubleArray(), count);
      });
    }
  }

  private void batchNormBackward(int i, NetworkGraph.Node node, NetworkGraph.BatchNormalization b, Mem dy) {
    BnSaved s = (BnSaved) st.saved(i);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_batch_normalization_backward_primitive_desc_create(pd, engine, dnnl_backward, s.src.layout, s.src.layout,
        s.src.layout, s.eps, s.flags, s.fwd, attr(false)), "st.batch() normalization backward primitive_desc_create");
    own(pd);
    dnnl_memory_desc ch = s.mean.layout;
    int k = 0;
    Mem dScale = b.scale() ? st.param(node.params().get(k++), true) : st.acquire(ch);
    Mem dShift = b.center() ? st.param(node.params().get(k), true) : st.acquire(ch);
    int p = node.inputs()[0];
    Mem ddy = st.ensure(dy, s.src.layout, false);
    Mem dx = st.sink(p, s.src.layout);
    if (s.ws != null) {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_DIFF_DST, DNNL_ARG_SCALE,
          DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT},
          new Mem[] {s.src, s.mean, s.var, ddy, s.scale, s.ws, dx, dScale, dShift});
    } else {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_DIFF_DST, DNNL_ARG_SCALE,
          DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT},
          new Mem[] {s.src, s.mean, s.var, ddy, s.scale, dx, dScale, dShift});
    }
    st.sunk(p, dx);
    if (ddy != dy) {
      st.release(ddy);
    }
    if (!b.scale()) {
      st.release(dScale);
    }
    if (!b.center()) {
      st.release(dShift);
    }
  }

  private record EltSaved(dnnl_primitive_desc fwd, int alg, float alpha, float beta) {}

  private void eltwise(int i, NetworkGraph.Node node, Activation f) {
    Mem x = st.src(node, 0);
    int alg = OneDnnEltwise.algorithm(f.kind());
    float[] ab = OneDnnEltwise.alphaBeta(f);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_eltwise_forward_primitive_desc_create(pd, engine, prop(), alg, x.layout, x.layout, ab[0], ab[1], attr(false)),
        "eltwise forward primitive_desc_create");
    own(pd);
    Mem y = st.plan().inPlace(i) ? x : st.acquire(x.layout);
    exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Mem[] {x, y});
    st.setAct(i, y);
    st.save(i, new EltSaved(pd, alg, ab[0], ab[1]));
  }

  private void eltwiseBackward(int i, NetworkGraph.Node node, Mem dy) {
    int p = node.inputs()[0];
    if (!st.needsDiff(p)) {
      return;
    }
    if (st.plan().fusedInto(i) >= 0 && st.graph().nodes().get(p).op() instanceof NetworkGraph.BatchNormalization) {
      // fuse_norm_relu: st.batch() norm's backward applies the ReLU's derivative from its workspace
      st.passGradient(i, p, dy);
      return;
    }
    Mem x = st.act(p);
    boolean useDst = st.plan().fusedInto(i) >= 0 || st.plan().inPlace(i);
    int alg;
    float alpha;
    float beta;
    dnnl_primitive_desc hint;
    if (useDst) {
      // a ReLU fused into the convolution before it, or run in place: its derivative from the
      // output (max(x, 0) > 0 exactly where x > 0, and both give 0 at 0)
      alg = dnnl_eltwise_relu_use_dst_for_bwd;
      alpha = 0f;
      beta = 0f;
      hint = new dnnl_primitive_desc();
      check(dnnl_eltwise_forward_primitive_desc_create(hint, engine, dnnl_forward_training, alg, x.layout, x.layout, 0f, 0f,
          attr(false)), "eltwise forward primitive_desc_create");
      own(hint);
    } else {
      EltSaved s = (EltSaved) st.saved(i);
      alg = s.alg;
      alpha = s.alpha;
      beta = s.beta;
      hint = s.fwd;
    }
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_eltwise_backward_primitive_desc_create(pd, engine, alg, x.layout, x.layout, x.layout, alpha, beta, hint,
        attr(false)), "eltwise backward primitive_desc_create");
    own(pd);
    Mem ddy = st.ensure(dy, x.layout, false);
    Mem dx = st.sink(p, x.layout);
    exec(pd, new int[] {useDst ? DNNL_ARG_DST : DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC},
        new Mem[] {x, ddy, dx});
    st.sunk(p, dx);
    if (ddy != dy) {
      st.release(ddy);
    }
  }

  private record PoolSaved(dnnl_primitive_desc fwd, int alg, PoolParams p, long[] src, long[] dst, Mem ws,
      boolean global) {}

  private void pooling(int i, NetworkGraph.Node node, PoolParams p, boolean global) {
    Mem x = st.src(node, 0);
    Shape srcShape = st.srcShape(node, 0).prepend(st.batch());
    long[] dst = longs(p.outputShape(srcShape).dims());
    int alg = p.kind() == PoolParams.Kind.MAX ? dnnl_pooling_max
        : p.countPadding() ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding;
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_pooling_forward_primitive_desc_create(pd, engine, prop(), alg, x.layout, own(any(dst)), longs(p.stride()),
        longs(p.kernel()), new long[p.spatialRank()], longs(p.padBegin()), longs(p.padEnd()), attr(false)),
        "pooling forward primitive_desc_create");
    own(pd);
    Mem y = st.acquire(query(pd, DNNL_ARG_DST));
    Mem ws = null;
    if (st.training() && p.kind() == PoolParams.Kind.MAX) {
      ws = st.acquire(query(pd, DNNL_ARG_WORKSPACE));
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_WORKSPACE}, new Mem[] {x, y, ws});
    } else {
      exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new Mem[] {x, y});
    }
    if (global) {
      Mem flat = st.ensure(y, own(plain(dst)), true);
      st.setAct(i, st.view(flat, st.rowMajorOf(node.outputShape())));
    } else {
      st.setAct(i, y);
    }
    st.save(i, new PoolSaved(pd, alg, p, longs(srcShape.dims()), dst, ws, global));
  }

  private void poolingBackward(int i, NetworkGraph.Node node, Mem dy) {
    int p = node.inputs()[0];
    if (!st.needsDiff(p)) {
      return;
    }
    PoolSaved s = (PoolSaved) st.saved(i);
    PoolParams pp = s.p;
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_pooling_backward_primitive_desc_create(pd, engine, s.alg, own(any(s.src)), own(any(s.dst)),
        longs(pp.stride()), longs(pp.kernel()), new long[pp.spatialRank()], longs(pp.padBegin()),
        longs(pp.padEnd()), s.fwd, attr(false)), "pooling backward primitive_desc_create");
    own(pd);
    Mem d = s.global ? st.view(dy, own(plain(s.dst))) : dy;
    Mem ddy = st.ensure(d, query(pd, DNNL_ARG_DIFF_DST), false);
    Mem dx = st.sink(p, query(pd, DNNL_ARG_DIFF_SRC));
    if (s.ws != null) {
      exec(pd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC}, new Mem[] {ddy, s.ws, dx});
    } else {
      exec(pd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC}, new Mem[] {ddy, dx});
    }
    st.sunk(p, dx);
    if (ddy != d) {
      st.release(ddy);
    }
  }

  private record IpSaved(dnnl_primitive_desc fwd, long[] src, long[] weights, long[] dst, Mem x, Mem wPlain,
      Mem w) {}

  private void innerProduct(int i, NetworkGraph.Node node) {
    long[] src = st.dims(st.srcShape(node, 0));
    long[] weights = longs(node.params().get(0).shape().dims());
    long[] dst = st.dims(node.outputShape());
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_inner_product_forward_primitive_desc_create(pd, engine, prop(), own(any(src)), own(any(weights)),
        own(any(weights[0])), own(any(dst)), attr(false)), "inner product forward primitive_desc_create");
    own(pd);
    Mem x = st.ensure(st.src(node, 0), query(pd, DNNL_ARG_SRC), true);
    Mem wPlain = st.param(node.params().get(0), false);
    Mem w = st.weightsIn(node.params().get(0), wPlain, query(pd, DNNL_ARG_WEIGHTS));
    Mem b = st.ensure(st.param(node.params().get(1), false), query(pd, DNNL_ARG_BIAS), true);
    Mem y = st.acquire(query(pd, DNNL_ARG_DST));
    exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST}, new Mem[] {x, w, b, y});
    st.setAct(i, y);
    st.save(i, new IpSaved(pd, src, weights, dst, x, st.resident() ? w : wPlain, w));
  }

  private void innerProductBackward(int i, NetworkGraph.Node node, Mem dy) {
    IpSaved s = (IpSaved) st.saved(i);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_inner_product_backward_weights_primitive_desc_create(pd, engine, own(any(s.src)),
        own(any(s.weights)), own(any(s.weights[0])), own(any(s.dst)), s.fwd, attr(false)),
        "inner product backward-weights primitive_desc_create");
    own(pd);
    List<Mem> temps = new ArrayList<>();
    Mem x = st.ensure(s.x, query(pd, DNNL_ARG_SRC), false);
    if (x != s.x) {
      temps.add(x);
    }
    Mem ddy = st.ensure(dy, query(pd, DNNL_ARG_DIFF_DST), false);
    if (ddy != dy) {
      temps.add(ddy);
    }
    Mem gw = st.gradientOf(node.params().get(0), st.param(node.params().get(0), true));
    Mem gb = st.param(node.params().get(1), true);
    Mem dw = same(gw.layout, query(pd, DNNL_ARG_DIFF_WEIGHTS)) ? gw : st.acquire(query(pd, DNNL_ARG_DIFF_WEIGHTS));
    Mem db = same(gb.layout, query(pd, DNNL_ARG_DIFF_BIAS)) ? gb : st.acquire(query(pd, DNNL_ARG_DIFF_BIAS));
    exec(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
        new Mem[] {x, ddy, dw, db});
    if (dw != gw) {
      reorder(dw, gw);
      st.release(dw);
    }
    if (db != gb) {
      reorder(db, gb);
      st.release(db);
    }
    int p = node.inputs()[0];
    if (st.needsDiff(p)) {
      dnnl_primitive_desc bd = new dnnl_primitive_desc();
      check(dnnl_inner_product_backward_data_primitive_desc_create(bd, engine, own(any(s.src)),
          own(any(s.weights)), own(any(s.dst)), s.fwd, attr(false)), "inner product backward-data primitive_desc_create");
      own(bd);
      Mem w = st.ensure(s.wPlain, query(bd, DNNL_ARG_WEIGHTS), true);
      Mem bdy = st.ensure(dy, query(bd, DNNL_ARG_DIFF_DST), false);
      if (bdy != dy && bdy != ddy) {
        temps.add(bdy);
      }
      Mem dx = st.sink(p, query(bd, DNNL_ARG_DIFF_SRC));
      exec(bd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC}, new Mem[] {bdy, w, dx});
      st.sunk(p, dx);
    }
    temps.forEach(st::release);
  }

  private void concat(int i, NetworkGraph.Node node) {
    int n = node.inputs().length;
    try (PointerPointer<dnnl_memory_desc> mds = new PointerPointer<>(n);
        PointerPointer<dnnl_primitive_desc> out = new PointerPointer<>(1)) {
      int[] args = new int[n + 1];
      Mem[] mems = new Mem[n + 1];
      for (int j = 0; j < n; j++) {
        mems[j] = st.src(node, j);
        mds.put(j, mems[j].layout);
        args[j] = DNNL_ARG_MULTIPLE_SRC + j;
      }
      check(dnnl_concat_primitive_desc_create(out, engine, own(any(st.dims(node.outputShape()))), n, 1, mds,
          attr(false)), "concat primitive_desc_create");
      dnnl_primitive_desc pd = own(new dnnl_primitive_desc(out.get(0)));
      Mem y = st.acquire(query(pd, DNNL_ARG_DST));
      args[n] = DNNL_ARG_DST;
      mems[n] = y;
      exec(pd, args, mems);
      st.setAct(i, y);
    }
  }

  private void concatBackward(NetworkGraph.Node node, Mem dy) {
    dnnl_memory_desc whole = st.rowMajorOf(node.outputShape());
    Mem flat = st.ensure(dy, whole, false);
    long[] offsets = new long[node.outputShape().rank() + 1];
    for (int j = 0; j < node.inputs().length; j++) {
      int p = node.inputs()[j];
      Shape s = st.srcShape(node, j);
      if (st.needsDiff(p)) {
        dnnl_memory_desc sub = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_submemory(sub, whole, st.dims(s), offsets), "memory_desc_create_submemory");
        own(sub);
        st.deliver(p, st.view(flat, sub), 1);
      }
      offsets[1] += s.dim(0);
    }
    if (flat != dy) {
      st.release(flat);
    }
  }

}
