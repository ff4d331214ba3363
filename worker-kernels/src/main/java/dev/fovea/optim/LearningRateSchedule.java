package dev.fovea.optim;

/**
 * The learning rate as a function of the base rate and the number of steps already taken ({@code
 * step = 0} for the first update). Schedules compose: {@link LinearWarmup} wraps any other.
 */
public sealed interface LearningRateSchedule extends java.io.Serializable {

  /** The learning rate for the update after {@code step} completed steps. */
  double rate(double base, long step);

  /** The base rate at every step. */
  record Constant() implements LearningRateSchedule {
    @Override
    public double rate(double base, long step) {
      return base;
    }
  }

  /**
   * {@code base · gamma^floor(step / stepSize)} (PyTorch's {@code StepLR}).
   *
   * @param stepSize steps between decays, ≥ 1
   * @param gamma factor per decay, &gt; 0; PyTorch's default 0.1
   */
  record StepDecay(long stepSize, double gamma) implements LearningRateSchedule {
    public StepDecay {
      if (stepSize < 1) {
        throw new IllegalArgumentException("step decay: stepSize must be >= 1, got " + stepSize);
      }
      Checks.positive("step decay", "gamma", gamma);
    }

    @Override
    public double rate(double base, long step) {
      return base * Math.pow(gamma, step / stepSize);
    }
  }

  /**
   * {@code base · decayRate^(step / decaySteps)}, the exponent floored when {@code staircase}
   * (Keras's {@code ExponentialDecay}).
   *
   * @param decaySteps ≥ 1
   * @param decayRate &gt; 0
   * @param staircase decay in whole intervals; Keras's default false
   */
  record ExponentialDecay(long decaySteps, double decayRate, boolean staircase) implements LearningRateSchedule {
    public ExponentialDecay {
      if (decaySteps < 1) {
        throw new IllegalArgumentException("exponential decay: decaySteps must be >= 1, got " + decaySteps);
      }
      Checks.positive("exponential decay", "decayRate", decayRate);
    }

    @Override
    public double rate(double base, long step) {
      double p = (double) step / decaySteps;
      return base * Math.pow(decayRate, staircase ? Math.floor(p) : p);
    }
  }

  /**
   * Cosine decay from base to {@code alpha · base} over {@code decaySteps}, then constant (Keras's
   * {@code CosineDecay}): {@code base · ((1 - alpha) · (1 + cos(π · min(step, decaySteps) /
   * decaySteps)) / 2 + alpha)}.
   *
   * @param decaySteps ≥ 1
   * @param alpha final fraction of the base rate, in [0, 1]; Keras's default 0
   */
  record CosineDecay(long decaySteps, double alpha) implements LearningRateSchedule {
    public CosineDecay {
      if (decaySteps < 1) {
        throw new IllegalArgumentException("cosine decay: decaySteps must be >= 1, got " + decaySteps);
      }
      if (!(alpha >= 0 && alpha <= 1)) {
        throw new IllegalArgumentException("cosine decay: alpha must be in [0, 1], got " + alpha);
      }
    }

    @Override
    public double rate(double base, long step) {
      double t = (double) Math.min(step, decaySteps) / decaySteps;
      return base * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + alpha);
    }
  }

  /**
   * Linear warm-up: {@code base · (step + 1) / warmupSteps} for the first {@code warmupSteps}
   * steps (so the first update is not wasted at rate 0), then {@code after} with its step count
   * starting again from 0.
   *
   * @param warmupSteps ≥ 1
   * @param after the schedule that follows
   */
  record LinearWarmup(long warmupSteps, LearningRateSchedule after) implements LearningRateSchedule {
    public LinearWarmup {
      if (warmupSteps < 1) {
        throw new IllegalArgumentException("linear warmup: warmupSteps must be >= 1, got " + warmupSteps);
      }
      if (after == null) {
        throw new IllegalArgumentException("linear warmup: after must not be null");
      }
    }

    @Override
    public double rate(double base, long step) {
      return step < warmupSteps ? base * (step + 1) / warmupSteps : after.rate(base, step - warmupSteps);
    }
  }
}
