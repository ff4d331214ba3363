package dev.fovea.kernels.compile;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.Locale;
import java.util.function.IntToLongFunction;

/**
 * The running of a {@link CompiledStep}: the arguments of the step being run, which its host
 * actions read (held only while it runs), what they give back (the loss, an evaluation's logits),
 * and the ordinary step's {@link dev.fovea.kernels.CompiledNetwork} calls.
 */
final class StepRun<B extends StepBuffer<L>, L> {

  private final CompiledStep<B, L> c;

  // the arguments of the step being run, read by host actions
  float[] params;
  float[] buffers;
  float[] grads;
  int[] labels;
  /** The targets of a loss that reads them ({@link NetworkGraph#loss()}), row-major floats from {@link #targetOffset}. */
  float[] targets;
  int targetOffset;
  IntToLongFunction seeds;
  double loss;
  Tensor logits;

  StepRun(CompiledStep<B, L> c) {
    this.c = c;
  }

  /** Checks the step's labels or targets against the graph's loss and holds them for its host actions. */
  void takeTargets(int[] labels, Tensor targets) {
    NetworkGraph g = c.graph();
    int batch = c.batch();
    if (g.loss().readsLabels()) {
      if (labels == null || labels.length != batch) {
        throw new IllegalArgumentException((labels == null ? "no" : labels.length) + " labels for a batch of " + batch);
      }
      this.labels = labels;
      return;
    }
    Shape want = g.nodes().get(g.heads()[0]).outputShape().prepend(batch);
    String id = g.loss().name().toLowerCase(Locale.ROOT);
    if (targets == null || !targets.shape().equals(want)) {
      throw new IllegalArgumentException(id + ": targets " + (targets == null ? "missing" : "of " + targets.shape())
          + " for outputs of " + want);
    }
    boolean plain = targets.dtype() == DType.FLOAT32;
    float[] t = plain ? targets.floatArray() : targets.toFloatArray();
    int offset = plain ? targets.offset() : 0;
    TargetLoss.check(g.loss(), t, offset, want.size());
    this.targets = t;
    this.targetOffset = offset;
  }

  void checkBatch(Tensor src) {
    Shape want = c.graph().inputShape().prepend(c.batch());
    if (!src.shape().equals(want)) {
      throw new IllegalArgumentException("input batch " + src.shape() + " does not match the compiled step's "
          + want);
    }
  }

  private void load(float[] params, float[] buffers, Tensor src) {
    checkBatch(src);
    if (params.length < c.paramCount || buffers.length < c.bufferCount) {
      throw new IllegalArgumentException("parameter or buffer vector too short for the compiled step");
    }
    c.write(c.input, src);
    c.memory.put(c.paramBlock, params, 0, c.paramCount);
    c.memory.put(c.bufferBlock, buffers, 0, c.bufferCount);
  }

  void execute() {
    c.program.run(c.lowering, c.profiling);
  }

  /** See {@link dev.fovea.kernels.CompiledNetwork#lossAndGradient}. */
  double lossAndGradient(float[] params, float[] buffers, float[] grads, Tensor src, int[] labels, Tensor targets,
      IntToLongFunction seeds) {
    if (!c.training()) {
      throw new IllegalStateException("an evaluation step cannot train");
    }
    if (c.resident()) {
      throw new IllegalStateException("a resident step trains through load, step and store");
    }
    takeTargets(labels, targets);
    load(params, buffers, src);
    c.memory.zero(c.gradBlock, (long) Math.max(c.paramCount, 1) * Float.BYTES);
    this.params = params;
    this.buffers = buffers;
    this.grads = grads;
    this.seeds = seeds;
    try {
      execute();
      for (int[] s : c.nativeGrads) {
        c.memory.get(c.gradBlock + (long) s[0] * Float.BYTES, grads, s[0], s[1]);
      }
      return loss;
    } finally {
      forgetStepInputs();
    }
  }

  /** Drops the references to the caller's arrays that host nodes read during one step. */
  void forgetStepInputs() {
    this.params = null;
    this.buffers = null;
    this.grads = null;
    this.labels = null;
    this.targets = null;
    this.seeds = null;
  }

  /** See {@link dev.fovea.kernels.CompiledNetwork#forward}. */
  Tensor forward(float[] params, float[] buffers, Tensor src, IntToLongFunction seeds) {
    if (c.training()) {
      throw new IllegalStateException("a training step does not evaluate");
    }
    load(params, buffers, src);
    this.params = params;
    this.buffers = buffers;
    this.seeds = seeds;
    try {
      execute();
      Tensor out = logits;
      logits = null;
      return out;
    } finally {
      forgetStepInputs();
    }
  }
}
