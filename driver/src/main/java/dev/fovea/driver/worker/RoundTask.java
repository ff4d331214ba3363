package dev.fovea.driver.worker;

import dev.fovea.data.batch.Batch;
import dev.fovea.data.stream.ShardStream;
import dev.fovea.kernels.Backend;
import dev.fovea.nn.Network;
import dev.fovea.nn.Trainer;
import dev.fovea.optim.UpdateRule;

/**
 * The work of one worker in one round, a pure function of (parameters, optimizer state, data,
 * seed, round index): k minibatches of forward, backward and the update rule's update. The step
 * count the rule sees (its schedule, Adam's bias correction) is the global step, {@code epoch ·
 * batchesPerEpoch + roundInEpoch · k + s}: the same whoever runs the round, after averaging and
 * after a resume. Worker w in round r of
 * epoch e streams positions {@code [r·k·batch, (r·k + steps)·batch)} of its epoch from the shard
 * set ({@link ShardInput#open}); which samples those are and how each is augmented follow from the
 * stream plan's seed alone, so a retried task recomputes the same result.
 *
 * @param model what {@link WorkerRuntime#network} builds: a zoo name or a network's JSON description
 * @param classes number of classes
 * @param data the training shard set, its plan and its transform
 * @param stepsPerRound k
 * @param seed the run's seed (dropout masks of each step)
 * @param rule the update (optimizer at this round's learning rate, clipping); its optimizer's state
 *     is what {@link TrainState#velocity} carries
 * @param epoch epoch index, from 0
 * @param roundInEpoch round index within the epoch, from 0
 * @param backend backend name
 * @param threads native threads for the backend
 * @param frozen parameters that must not change (fine-tuning); empty for none
 */
public record RoundTask(String model, int classes, ShardInput data, int stepsPerRound, long seed,
    UpdateRule rule, int epoch, int roundInEpoch, String backend,
    int threads, java.util.BitSet frozen) implements WorkerStep {

  /** The seed of one training step (dropout masks): a pure function of the run seed and the step. */
  static long stepSeed(long seed, int epoch, int step, int worker) {
    long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + step * 0x94D049BB133111EBL + worker;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Batches every worker trains in one epoch. */
  public static int batchesPerEpoch(ShardInput data) {
    return data.plan().batchesPerEpoch(0);
  }

  /** Rounds in one epoch: the last one may train fewer than k batches. */
  public static int roundsPerEpoch(ShardInput data, int stepsPerRound) {
    return (batchesPerEpoch(data) + stepsPerRound - 1) / stepsPerRound;
  }

  /** Batches trained in this round (k, or fewer in the last round of an epoch). */
  public int steps() {
    return Math.min(stepsPerRound, batchesPerEpoch(data) - roundInEpoch * stepsPerRound);
  }

  /** Runs the round for worker {@code worker}, starting from {@code state}. */
  @Override
  public RoundResult run(int worker, TrainState state) {
    long start = System.nanoTime();
    Network net = WorkerRuntime.network(model, data.sampleShape(), classes);
    float[] params = new float[state.params.length];
    float[] velocity = new float[state.velocity.length];
    float[] buffers = new float[state.buffers.length];
    int steps = steps();
    int first = roundInEpoch * stepsPerRound;
    long batch = data.plan().batch();
    if (state.velocity.length != rule.stateSize(state.params.length)) {
      throw new IllegalArgumentException("round: " + state.velocity.length + " optimizer state values for "
          + state.params.length + " parameters; " + rule.optimizer() + " needs " + rule.stateSize(state.params.length));
    }
    long firstStep = (long) epoch * batchesPerEpoch(data) + first;
    double loss = 0;
    Backend b = WorkerRuntime.borrow(backend, threads);
    // the trainer keeps parameters and optimizer state native for the round where the backend can
    // (weights reordered in and out once per round), else runs lossAndGradient and the rule on the heap
    try (Trainer trainer = net.trainer(b, state.params, state.buffers, state.velocity, rule, firstStep, frozen);
        ShardStream stream = data.open(epoch, worker, first * batch, (first + steps) * batch)) {
      for (int s = 0; s < steps; s++) {
        Batch x = stream.next();
        loss += trainer.step(x.images(), x.labels(), x.targets(), stepSeed(seed, epoch, first + s, worker));
        stream.recycle(x);
      }
      trainer.copyOut(params, buffers, velocity);
    } finally {
      WorkerRuntime.release(backend, threads, b);
    }
    RoundResult r = new RoundResult();
    r.worker = worker;
    r.params = params;
    r.velocity = velocity;
    r.buffers = buffers;
    r.lossSum = loss;
    r.samples = steps * batch;
    r.computeNanos = System.nanoTime() - start;
    return r;
  }
}
