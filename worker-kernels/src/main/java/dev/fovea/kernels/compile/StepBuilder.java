package dev.fovea.kernels.compile;

import dev.fovea.kernels.HostOp;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Plans a {@link CompiledStep}'s program from its graph, once: every node's forward (lowered by the
 * device, or a sum, a flatten or a host node), then, for a training step, each head's loss and
 * every trainable node's backward in reverse order; for an evaluation step, the logits copied out.
 * Host actions it plans read the step's arguments from {@link StepRun} when they run.
 */
final class StepBuilder<B extends StepBuffer<L>, L> {

  /** Heap tensors of one host node's last forward call, kept for its backward. */
  private static final class HostSaved {
    HostOp op;
    Tensor[] srcs;
    Tensor dst;
  }

  private final CompiledStep<B, L> c;
  private final StepRun<B, L> run;
  private final NetworkGraph g;
  private final int batch;
  private final StepLowering<B, L> lowering;
  private final boolean[] lowered;

  StepBuilder(CompiledStep<B, L> c) {
    this.c = c;
    this.run = c.run;
    this.g = c.graph();
    this.batch = c.batch();
    this.lowering = c.lowering;
    this.lowered = new boolean[g.nodes().size()];
  }

  /** Plans the forward pass, then the losses and the backward pass or the copy of the logits. */
  void build() {
    List<NetworkGraph.Node> nodes = g.nodes();
    StepPlan plan = c.plan();
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).run()) {
        c.tag(nodes.get(i), "fwd");
        forward(i);
        c.description.append(nodes.get(i).name()).append(": ").append(nodes.get(i).op().getClass().getSimpleName())
            .append(plan.fusedInto(i) >= 0 ? " (fused)" : "").append('\n');
      }
    }
    if (c.training()) {
      for (int h = 0; h < g.heads().length; h++) {
        loss(h);
      }
      for (int i = nodes.size() - 1; i >= 0; i--) {
        NetworkGraph.Node node = nodes.get(i);
        if (node.run() && node.trainable() && c.written[i]) {
          c.tag(node, "bwd");
          backward(i);
          if (c.diff.get(i) != null) {
            c.release(c.diff.get(i));
          }
        }
      }
    } else {
      int out = g.heads()[0];
      B plainLogits = c.ensure(c.act(out), c.rowMajorOf(nodes.get(out).outputShape()), true);
      Shape shape = nodes.get(out).outputShape().prepend(batch);
      c.host(() -> {
        run.logits = Tensor.zeros(shape);
        c.read(plainLogits, run.logits);
      });
    }
  }

  private void forward(int i) {
    NetworkGraph.Node node = g.nodes().get(i);
    NetworkGraph.Op op = node.op();
    StepPlan plan = c.plan();
    if (plan.fusedInto(i) >= 0) {
      c.setAct(i, c.act(plan.fusedInto(i)));
    } else if (op instanceof NetworkGraph.Sum s) {
      sumForward(i, node, s.scales());
    } else if (op instanceof NetworkGraph.Flatten) {
      B flat = c.ensure(c.src(node, 0), c.rowMajorOf(c.srcShape(node, 0)), true);
      c.setAct(i, c.view(flat, c.rowMajorOf(node.outputShape())));
    } else if (lowering.forward(c, i)) {
      lowered[i] = true;
    } else {
      hostForward(i, node, HostOps.of(op, batch));
    }
  }

  private void backward(int i) {
    NetworkGraph.Node node = g.nodes().get(i);
    NetworkGraph.Op op = node.op();
    B dy = c.diff.get(i);
    if (c.plan().fusedInto(i) >= 0) {
      c.tag(node, "bwd (fused)");
      lowering.backward(c, i, dy);
    } else if (lowered[i]) {
      lowering.backward(c, i, dy);
    } else if (op instanceof NetworkGraph.Sum s) {
      for (int j = 0; j < node.inputs().length; j++) {
        int p = node.inputs()[j];
        if (c.needsDiff(p)) {
          c.deliver(p, dy, s.scales()[j]);
        }
      }
    } else if (op instanceof NetworkGraph.Flatten) {
      int p = node.inputs()[0];
      if (c.needsDiff(p)) {
        c.deliver(p, c.view(dy, c.rowMajorOf(c.srcShape(node, 0))), 1);
      }
    } else {
      hostBackward(i, node, dy);
    }
  }

  private void sumForward(int i, NetworkGraph.Node node, double[] scales) {
    int n = node.inputs().length;
    B first = c.src(node, 0);
    List<B> srcs = new ArrayList<>();
    float[] s = new float[n];
    for (int j = 0; j < n; j++) {
      srcs.add(c.ensure(c.src(node, j), first.layout, true));
      s[j] = (float) scales[j];
    }
    B y = c.acquire(first.layout);
    lowering.sum(c, srcs, s, y);
    c.setAct(i, y);
  }

  private void hostForward(int i, NetworkGraph.Node node, HostOp op) {
    if (c.resident() && !node.params().isEmpty()) {
      // its parameters would have to be on the heap for its own code every step
      throw new Unsupported(node.name() + ": a host layer with parameters in a resident step");
    }
    int n = node.inputs().length;
    List<B> ins = new ArrayList<>();
    Shape[] shapes = new Shape[n];
    for (int j = 0; j < n; j++) {
      ins.add(c.ensure(c.src(node, j), c.rowMajorOf(c.srcShape(node, j)), true));
      shapes[j] = c.srcShape(node, j).prepend(batch);
    }
    B y = c.acquire(c.rowMajorOf(node.outputShape()));
    Shape outShape = node.outputShape().prepend(batch);
    HostSaved s = new HostSaved();
    s.op = op;
    boolean training = c.training();
    c.host(() -> {
      Tensor[] srcs = new Tensor[n];
      for (int j = 0; j < n; j++) {
        srcs[j] = Tensor.zeros(shapes[j]);
        c.read(ins.get(j), srcs[j]);
      }
      Tensor dst = op.forward(c.host, srcs, run.params, run.buffers, training, run.seeds.applyAsLong(i));
      if (!dst.shape().equals(outShape)) {
        throw new IllegalStateException(node.name() + ": host op gave " + dst.shape() + ", expected " + outShape);
      }
      c.write(y, dst);
      s.srcs = srcs;
      s.dst = dst;
    });
    c.setAct(i, y);
    c.save(i, s);
  }

  private void hostBackward(int i, NetworkGraph.Node node, B dy) {
    HostSaved s = (HostSaved) c.saved(i);
    int n = node.inputs().length;
    B ddy = c.ensure(dy, c.rowMajorOf(node.outputShape()), false);
    Shape outShape = node.outputShape().prepend(batch);
    List<B> outs = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      outs.add(c.needsDiff(node.inputs()[j]) ? c.acquire(c.rowMajorOf(c.srcShape(node, j))) : null);
    }
    c.host(() -> {
      Tensor d = Tensor.zeros(outShape);
      c.read(ddy, d);
      Tensor[] diffSrcs = s.op.backward(c.host, s.srcs, s.dst, d, run.params, run.grads);
      for (int j = 0; j < n; j++) {
        B out = outs.get(j);
        if (out != null) {
          if (diffSrcs[j] != null) {
            c.write(out, diffSrcs[j]);
          } else {
            c.memory.zero(out.address, out.bytes);
          }
        }
      }
    });
    for (int j = 0; j < n; j++) {
      if (outs.get(j) != null) {
        c.deliver(node.inputs()[j], outs.get(j), 1);
        c.release(outs.get(j));
      }
    }
    if (ddy != dy) {
      c.release(ddy);
    }
  }

  /**
   * Softmax cross-entropy of head {@code h}, planned into the step: the device's log-softmax on
   * the logits as a row-major (batch, classes) matrix, then one host action that reads the
   * log-probabilities and writes the logits' gradient straight from and into device memory by
   * {@link SoftmaxCrossEntropy}'s formula. No tensor is allocated per step.
   */
  private void loss(int h) {
    if (!g.loss().readsLabels()) {
      targetLoss(h);
      return;
    }
    int head = g.heads()[h];
    double weight = g.headWeights()[h];
    NetworkGraph.Node node = g.nodes().get(head);
    c.tag(node, "loss");
    int k = node.outputShape().size();
    L md = lowering.rowMajor(new long[] {batch, k});
    B x = c.view(c.ensure(c.act(head), c.rowMajorOf(node.outputShape()), true), md);
    c.tag(node, "loss.softmax");
    B logp = lowering.logSoftmax(c, x);
    c.tag(node, "loss");
    B d = c.acquire(md);
    FloatBuffer y = c.memory.floats(logp.address, (long) batch * k);
    FloatBuffer dx = c.memory.floats(d.address, (long) batch * k);
    double scale = weight / batch;
    c.host(() -> {
      double l = SoftmaxCrossEntropy.loss(y, run.labels, batch, k);
      if (h == 0) {
        run.loss = l;
      }
      SoftmaxCrossEntropy.gradient(y, run.labels, batch, k, scale, dx);
    });
    c.release(logp);
    if (g.nodes().get(head).trainable()) {
      c.deliver(head, d, 1);
    }
    c.release(d);
  }

  /**
   * A loss against targets ({@link TargetLoss}) of head {@code h}, planned into the step: the
   * head's output converted to row-major where the device holds it in another layout, then one host
   * action that reads it and the step's targets and writes the gradient straight into device memory
   * (a pass over the values, no tensor allocated per step), delivered back into the head's layout.
   */
  private void targetLoss(int h) {
    int head = g.heads()[h];
    double weight = g.headWeights()[h];
    NetworkGraph.Node node = g.nodes().get(head);
    c.tag(node, "loss");
    int e = node.outputShape().size();
    L md = c.rowMajorOf(node.outputShape());
    B x = c.ensure(c.act(head), md, true);
    B d = c.acquire(md);
    FloatBuffer y = c.memory.floats(x.address, (long) batch * e);
    FloatBuffer dx = c.memory.floats(d.address, (long) batch * e);
    NetworkGraph.LossKind kind = g.loss();
    c.host(() -> {
      double l = TargetLoss.lossAndGradient(kind, y, run.targets, run.targetOffset, batch, e, weight, dx);
      if (h == 0) {
        run.loss = l;
      }
    });
    if (node.trainable()) {
      c.deliver(head, d, 1);
    }
    c.release(d);
  }
}
