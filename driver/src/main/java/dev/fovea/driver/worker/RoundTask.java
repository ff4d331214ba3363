package dev.fovea.driver.worker;

import dev.fovea.data.batch.Batch;
import dev.fovea.data.batch.EpochPlan;
import dev.fovea.data.batch.Normalizer;
import dev.fovea.data.shard.SampleBlock;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.Network;
import dev.fovea.optim.Frozen;
import dev.fovea.optim.Sgd;

/**
 * The work of one worker in one round, a pure function of (parameters, optimizer state, data
 * slice, seed, round index): k minibatches of forward, backward and SGD update from the worker's
 * own slice, in the order the epoch plan gives. A retried task recomputes the same result.
 *
 * @param model zoo architecture
 * @param classes number of classes
 * @param plan the epoch plan
 * @param normalizer pixel normalisation
 * @param learningRate SGD step size
 * @param momentum SGD momentum
 * @param weightDecay SGD L2 coefficient
 * @param epoch epoch index, from 0
 * @param roundInEpoch round index within the epoch, from 0
 * @param backend backend name
 * @param threads native threads for the backend
 * @param frozen parameters that must not change (fine-tuning); empty for none
 */
public record RoundTask(String model, int classes, EpochPlan plan, Normalizer normalizer, double learningRate,
    double momentum, double weightDecay, int epoch,
    int roundInEpoch, String backend, int threads, java.util.BitSet frozen) implements WorkerStep {

  /** The seed of one training step (dropout masks): a pure function of the run seed and the step. */
  static long stepSeed(long seed, int epoch, int step, int worker) {
    long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + step * 0x94D049BB133111EBL + worker;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Runs the round for worker {@code worker} on its slice, starting from {@code state}. */
  @Override
  public RoundResult run(int worker, SampleBlock slice, TrainState state) {
    long start = System.nanoTime();
    Shape shape = normalizer.sampleShape();
    Network net = WorkerRuntime.network(model, shape, classes);
    float[] params = state.params.clone();
    float[] velocity = state.velocity.clone();
    float[] buffers = state.buffers.clone();
    float[] grads = new float[params.length];
    int[] order = plan.order(epoch, worker);
    int steps = plan.stepsInRound(roundInEpoch);
    int first = roundInEpoch * plan.stepsPerRound();
    Sgd sgd = new Sgd(learningRate, momentum, weightDecay);
    double loss = 0;
    Backend b = WorkerRuntime.borrow(backend, threads);
    try {
      for (int s = 0; s < steps; s++) {
        Batch batch = normalizer.batch(slice, order, (first + s) * plan.batch(), plan.batch());
        loss += net.lossAndGradient(b, params, buffers, grads, batch.images(), batch.labels(),
            stepSeed(plan.seed(), epoch, first + s, worker), frozen);
        if (frozen.isEmpty()) {
          sgd.step(params, grads, velocity);
        } else {
          new Frozen(sgd, frozen).step(params, grads, velocity, 0, learningRate);
        }
      }
    } finally {
      WorkerRuntime.release(backend, threads, b);
    }
    RoundResult r = new RoundResult();
    r.worker = worker;
    r.params = params;
    r.velocity = velocity;
    r.buffers = buffers;
    r.lossSum = loss;
    r.samples = (long) steps * plan.batch();
    r.computeNanos = System.nanoTime() - start;
    return r;
  }
}
