package dev.fovea.driver.worker;

import dev.fovea.data.batch.Batch;
import dev.fovea.data.batch.EpochPlan;
import dev.fovea.data.batch.Normalizer;
import dev.fovea.data.shard.SampleBlock;
import dev.fovea.kernels.Backend;
import dev.fovea.kernels.Shape;
import dev.fovea.nn.Network;
import dev.fovea.optim.Sgd;
import java.io.Serializable;

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
 */
public record RoundTask(String model, int classes, EpochPlan plan, Normalizer normalizer, double learningRate,
    double momentum, double weightDecay, int epoch,
    int roundInEpoch, String backend, int threads) implements Serializable {

  /** Runs the round for worker {@code worker} on its slice, starting from {@code state}. */
  public RoundResult run(int worker, SampleBlock slice, TrainState state) {
    long start = System.nanoTime();
    Shape shape = normalizer.sampleShape();
    Network net = WorkerRuntime.network(model, shape, classes);
    float[] params = state.params.clone();
    float[] velocity = state.velocity.clone();
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
        loss += net.lossAndGradient(b, params, grads, batch.images(), batch.labels());
        sgd.step(params, grads, velocity);
      }
    } finally {
      WorkerRuntime.release(backend, threads, b);
    }
    RoundResult r = new RoundResult();
    r.worker = worker;
    r.params = params;
    r.velocity = velocity;
    r.lossSum = loss;
    r.samples = (long) steps * plan.batch();
    r.computeNanos = System.nanoTime() - start;
    return r;
  }
}
