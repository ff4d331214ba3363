package dev.fovea.driver.worker;

import java.io.Serializable;

/**
 * What one worker does in one round, as the averaging strategies see it: from a state to a result
 * (a training step streams the worker's own data). {@link RoundTask} trains; the round benchmark ships vectors without
 * training. Implementations must be pure functions of their arguments and must not modify {@code
 * state} (a retried task, or the next round, may read the same arrays).
 */
public interface WorkerStep extends Serializable {

  /** Runs worker {@code worker}'s part of the round, starting from {@code state}. */
  RoundResult run(int worker, TrainState state);
}
