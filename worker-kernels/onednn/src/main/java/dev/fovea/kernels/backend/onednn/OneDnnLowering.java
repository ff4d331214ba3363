package dev.fovea.kernels.backend.onednn;

import static dev.fovea.kernels.backend.onednn.OneDnn.any;
import static dev.fovea.kernels.backend.onednn.OneDnn.check;
import static dev.fovea.kernels.backend.onednn.OneDnn.plain;
import static dev.fovea.kernels.backend.onednn.OneDnnPlan.query;
import static org.bytedeco.dnnl.global.dnnl.*;

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
 * scratchpad) and frees them in {@link #close()}. The op families are lowered by one object each
 * over this one's state ({@link OneDnnConvolutionLowering}, {@link OneDnnBatchNormLowering},
 * {@link OneDnnEltwiseLowering}, {@link OneDnnPoolingLowering}, {@link OneDnnInnerProductLowering});
 * concatenation, a copy of slices, stays here.
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

  final OneDnnDenormals denormals;
  final int threads;
  final dnnl_engine engine;
  final dnnl_stream stream;
  final OneDnnMemory memory;
  private final List<Runnable> releases = new ArrayList<>();
  private final List<dnnl_memory> scratchMems = new ArrayList<>();
  private long scratchBytes;
  private dnnl_primitive_attr attr;
  /** The implementation oneDNN picked for each convolution pass, by tag. */
  final Map<String, String> impls = new LinkedHashMap<>();
  /** The op families' lowerings, one object each over this lowering's state. */
  private final OneDnnConvolutionLowering convolutions = new OneDnnConvolutionLowering(this);
  private final OneDnnBatchNormLowering batchNorms = new OneDnnBatchNormLowering(this);
  private final OneDnnEltwiseLowering eltwises = new OneDnnEltwiseLowering(this);
  private final OneDnnPoolingLowering poolings = new OneDnnPoolingLowering(this);
  private final OneDnnInnerProductLowering innerProducts = new OneDnnInnerProductLowering(this);
  /** The step being planned. */
  CompiledStep<Mem, dnnl_memory_desc> st;

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

  dnnl_memory_desc own(dnnl_memory_desc md) {
    releases.add(() -> dnnl_memory_desc_destroy(md));
    return md;
  }

  dnnl_primitive_desc own(dnnl_primitive_desc pd) {
    releases.add(() -> dnnl_primitive_desc_destroy(pd));
    return pd;
  }

  /** An attribute with a user scratchpad and, when {@code relu}, a ReLU post-op. */
  dnnl_primitive_attr attr(boolean relu) {
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
  void exec(dnnl_primitive_desc pd, int[] args, Mem[] mems) {
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

  void reorder(Mem from, Mem to) {
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
  dnnl_memory_desc squeezed(dnnl_memory_desc md) {
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

  int prop() {
    return st.training() ? dnnl_forward_training : dnnl_forward_inference;
  }

  @Override
  public boolean forward(CompiledStep<Mem, dnnl_memory_desc> step, int i) {
    st = step;
    NetworkGraph.Node node = st.graph().nodes().get(i);
    NetworkGraph.Op op = node.op();
    if (op instanceof NetworkGraph.Convolution c) {
      convolutions.forward(i, node, c);
    } else if (op instanceof NetworkGraph.BatchNormalization b) {
      batchNorms.forward(i, node, b);
    } else if (op instanceof NetworkGraph.Eltwise e && OneDnnEltwise.supports(e.f())) {
      eltwises.forward(i, node, e.f());
    } else if (op instanceof NetworkGraph.Pooling p && OneDnnPooling.supports(p.p())) {
      poolings.forward(i, node, p.p(), false);
    } else if (op instanceof NetworkGraph.GlobalPooling p
        && OneDnnPooling.supports(PoolParams.global(p.kind(), st.srcShape(node, 0).prepend(st.batch())))) {
      poolings.forward(i, node, PoolParams.global(p.kind(), st.srcShape(node, 0).prepend(st.batch())), true);
    } else if (op instanceof NetworkGraph.InnerProduct) {
      innerProducts.forward(i, node);
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
      eltwises.backward(i, node, dy);
    } else if (op instanceof NetworkGraph.Convolution c) {
      convolutions.backward(i, node, c, dy);
    } else if (op instanceof NetworkGraph.BatchNormalization b) {
      batchNorms.backward(i, node, b, dy);
    } else if (st.saved(i) instanceof OneDnnEltwiseLowering.EltSaved) {
      eltwises.backward(i, node, dy);
    } else if (st.saved(i) instanceof OneDnnPoolingLowering.PoolSaved) {
      poolings.backward(i, node, dy);
    } else if (op instanceof NetworkGraph.InnerProduct) {
      innerProducts.backward(i, node, dy);
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

  void read(Mem m, Tensor t) {
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
