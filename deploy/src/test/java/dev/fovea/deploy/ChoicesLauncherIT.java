package dev.fovea.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The closed choices of the command line ({@code --optimizer}, {@code --averaging}, {@code
 * --augment}, ...) through {@code bin/fovea} as a separate process: a value that is not one of them
 * is one line on standard error naming the flag and every valid value, exit 2, nothing on standard
 * output and no output folder made.
 */
class ChoicesLauncherIT {
  @TempDir Path tmp;

  /** LauncherIT's runner (bin/fovea as a process) keeps each command's output in this test's folder. */
  @BeforeEach
  void runnerFolder() {
    LauncherIT.tmp = tmp;
  }

  static LauncherIT.Run fovea(String... args) throws Exception {
    return LauncherIT.fovea(args);
  }

  /** {@code fovea train OPTION VALUE}: exit 2, exactly {@code line} on stderr, no output folder. */
  void refused(String line, String... args) throws Exception {
    Path out = tmp.resolve("out");
    List<String> all = new ArrayList<>(List.of("train", "--out", out.toString()));
    all.addAll(Arrays.asList(args));
    LauncherIT.Run r = fovea(all.toArray(new String[0]));
    assertEquals(2, r.code(), r.out() + r.errLines());
    assertEquals(List.of(line), r.errLines());
    assertEquals("", r.out());
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void anUnknownOptimizerIsOneLineListingTheValidOnes() throws Exception {
    refused("fovea: error: invalid value lbfgs for --optimizer: must be one of sgd, nesterov, adam, adamw, rmsprop, "
        + "adagrad", "--optimizer", "lbfgs");
  }

  @Test
  void everyOtherChoiceIsRefusedTheSameWay() throws Exception {
    refused("fovea: error: invalid value ADAM for --optimizer: must be one of sgd, nesterov, adam, adamw, rmsprop, "
        + "adagrad", "--optimizer", "ADAM");
    refused("fovea: error: invalid value ring for --averaging: must be one of tree, sharded, allreduce", "--averaging", "ring");
    refused("fovea: error: invalid value shared for --optimizer-state: must be one of averaged, local",
        "--optimizer-state", "shared");
    refused("fovea: error: invalid value step for --lr-schedule: must be one of constant, cosine", "--lr-schedule",
        "step");
    refused("fovea: error: invalid value sqrt for --lr-scaling: must be one of none, linear", "--lr-scaling", "sqrt");
    refused("fovea: error: invalid value crop for --augment: must be one of none, flip, crop-flip, rrc-flip",
        "--augment", "crop");
    refused("fovea: error: invalid value 1.0 for --beta1: must be in [0, 1)", "--optimizer", "adam", "--beta1", "1");
    refused("fovea: error: invalid value fp8 for --exchange: must be one of f32, bf16", "--exchange", "fp8");
    // bf16 deltas are all-reduced among the tasks; tree and sharded exchange f32 only
    refused("fovea: error: invalid value bf16 for --exchange: needs --averaging allreduce (tree and sharded exchange "
        + "f32)", "--exchange", "bf16", "--averaging", "tree");
    refused("fovea: error: invalid value bf16 for --exchange: needs --averaging allreduce (tree and sharded exchange "
        + "f32)", "--averaging", "sharded", "--exchange", "bf16");
    LauncherIT.Run r = fovea("export", "--model", tmp.resolve("none.fovea").toString(), "--format", "tflite", "--out",
        tmp.resolve("m.tflite").toString());
    assertEquals(2, r.code());
    assertEquals(List.of("fovea: error: invalid value tflite for --format: must be one of onnx, dl4j, fovea"), r.errLines());
    assertTrue(Files.notExists(tmp.resolve("m.tflite")));
  }
}
