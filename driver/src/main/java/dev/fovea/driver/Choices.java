package dev.fovea.driver;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The closed choices of a run's configuration, as enums, and the one place a choice given as text
 * (a flag, a properties file, a Spark ML param, a builder call) is parsed: {@link #parse}. A value
 * that is not one of them is refused with one line naming the flag and listing the valid values.
 * Each constant's text is its {@link Choice#label()}: the name in lower case, {@code _} as {@code
 * -} ({@code CROP_FLIP} is {@code crop-flip}).
 */
public final class Choices {
  private Choices() {}

  /** A constant of a choice: how it is written. */
  public interface Choice {
    /** The constant's enum name. */
    String name();

    /** How the constant is written on the command line and in files. */
    default String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** {@code --averaging}: the path of the state between rounds (docs/averaging.md). */
  public enum Averaging implements Choice {
    /** treeAggregate through the driver. */
    TREE,
    /** Reduce-scatter and all-gather through Spark's shuffle; the vector never passes through the driver. */
    SHARDED,
    /**
     * Several rounds per Spark job (one barrier stage), the tasks all-reducing their results through
     * Spark's block manager.
     */
    ALLREDUCE
  }

  /** {@code --optimizer-state}: where the optimizer's state lives between rounds. */
  public enum OptimizerState implements Choice {
    /** Averaged across the workers each round, like the parameters. */
    AVERAGED,
    /** Each worker keeps its own between rounds; checkpoints hold every worker's. */
    LOCAL
  }

  /** {@code --exchange}: how the all-reduce's slices travel (docs/averaging.md). */
  public enum Exchange implements Choice {
    /** The workers' results as floats, 4 bytes a value. */
    F32,
    /** The workers' deltas from the round's start as bfloat16 with error feedback, 2 bytes a value. */
    BF16;

    /** Why {@code bf16} is refused with another strategy. */
    public static final String REFUSAL = "needs --averaging allreduce (tree and sharded exchange f32)";
  }

  /** {@code --augment}: the training augmentation. */
  public enum Augment implements Choice {
    NONE,
    /** Horizontal flip, p = 1/2. */
    FLIP,
    /** Pad, random crop back to the input size, flip (raw sets). */
    CROP_FLIP,
    /** Random resized crop (scale [0.08, 1], ratio [3/4, 4/3]), flip. */
    RRC_FLIP
  }

  /** {@code --lr-schedule}: the learning rate over the run's rounds. */
  public enum LrSchedule implements Choice {
    CONSTANT,
    /** A half cosine down to 0 over the run's rounds (Keras's CosineDecay). */
    COSINE
  }

  /** {@code --lr-scaling}: the learning rate against the number of workers. */
  public enum LrScaling implements Choice {
    NONE,
    /** N × the rate for N workers, reached linearly over the warm-up rounds (Goyal et al. 2017). */
    LINEAR
  }

  /** {@code --optimizer}: the update rule ({@code dev.fovea.optim}). */
  public enum OptimizerName implements Choice {
    SGD,
    NESTEROV,
    ADAM,
    ADAMW,
    RMSPROP,
    ADAGRAD
  }

  /**
   * {@code fovea train --loss}: the loss the network is trained with, overriding its file's
   * ({@link dev.fovea.nn.Loss}; docs/losses.md). Written as in network files, with underscores.
   */
  public enum LossName implements Choice {
    SOFTMAX_CROSS_ENTROPY,
    SIGMOID_BCE,
    MSE,
    L1,
    PIXEL_SOFTMAX_CROSS_ENTROPY;

    @Override
    public String label() {
      return loss().id();
    }

    /** The loss this names. */
    public dev.fovea.nn.Loss loss() {
      return dev.fovea.nn.Loss.valueOf(name());
    }
  }

  /** {@code fovea export --format}. */
  public enum ExportFormat implements Choice {
    ONNX,
    DL4J,
    FOVEA
  }

  /** {@code fovea train --progress}: a live bar on a terminal, or plain lines. */
  public enum ProgressMode implements Choice {
    /** A bar when standard output is a terminal, else lines. */
    AUTO,
    BAR,
    LINES
  }

  /**
   * The constant of {@code type} written {@code value}.
   *
   * @param flag what is being set, named in the error (e.g. {@code --optimizer})
   * @throws IllegalArgumentException one line: the value, the flag and every valid value
   */
  public static <E extends Enum<E> & Choice> E parse(Class<E> type, String flag, String value) {
    if (value != null) {
      for (E e : type.getEnumConstants()) {
        if (e.label().equals(value)) {
          return e;
        }
      }
    }
    throw new IllegalArgumentException("invalid value " + dev.fovea.kernels.OneLine.of(String.valueOf(value)) + " for "
        + flag + ": must be one of " + labels(type));
  }

  /** Every valid value of {@code type}, comma-separated, in declaration order. */
  public static <E extends Enum<E> & Choice> String labels(Class<E> type) {
    return Arrays.stream(type.getEnumConstants()).map(Choice::label).collect(Collectors.joining(", "));
  }
}
