package dev.fovea.kernels.bench;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.nn.Network;
import dev.fovea.nn.Zoo;
import dev.fovea.optim.Sgd;
import java.util.SplittableRandom;

/**
 * One zoo model's training state for the training-step benchmarks of every backend (oneDNN's
 * TrainingStepBenchmark, cuda's CudaTrainingStepBenchmark): parameters, buffers, SGD-with-momentum
 * state and one random batch, stepped as a worker's round steps it.
 */
public final class StepTrainer {
  final Network net;
  final float[] params;
  final float[] buffers;
  final float[] velocity;
  final Sgd sgd = new Sgd(0.01, 0.9, 0);
  final Tensor x;
  final int[] labels;
  long step;

  public StepTrainer(String model, int batch) {
    Shape in = Zoo.designInput(model);
    int classes = Zoo.designClasses(model);
    net = Zoo.build(model, in, classes);
    params = net.layout().initialize(1);
    buffers = net.bufferLayout().initialize(0);
    velocity = new float[sgd.stateSize(params.length)];
    sgd.initState(velocity);
    SplittableRandom rng = new SplittableRandom(7);
    x = Tensor.zeros(in.prepend(batch));
    float[] d = x.floatArray();
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) rng.nextDouble(-1, 1);
    }
    labels = new int[batch];
    for (int i = 0; i < batch; i++) {
      labels[i] = rng.nextInt(classes);
    }
  }

  /** The driver's training session over this state on {@link #backend}, opened at the first step there. */
  dev.fovea.nn.Trainer session;
  Backend backend;

  /**
   * One training step as a worker's round runs it ({@link Network#trainer}: on oneDNN the
   * parameters and velocity stay native between steps and the update runs there); returns the
   * mean loss.
   */
  public double step(Backend on) {
    if (session == null || backend != on) {
      roundEnd();
      session = net.trainer(on, params, buffers, velocity, sgd, new java.util.BitSet());
      backend = on;
    }
    return session.step(x, labels, ++step) / labels.length;
  }

  /** Ends the round: copies the state out of the session (the once-per-round reorders); returns its seconds. */
  public double roundEnd() {
    if (session == null) {
      return 0;
    }
    long t0 = System.nanoTime();
    session.copyOut(params, buffers, velocity);
    session.close();
    session = null;
    return (System.nanoTime() - t0) / 1e9;
  }
}
