package dev.fovea.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TrainConfigTest {

  @Test
  void linearScalingWarmsUpToNTimesTheRate() {
    TrainConfig c = TrainConfig.builder().workers(4).learningRate(0.01).lrScaling("linear").warmupRounds(10).build();
    assertEquals(0.01, c.learningRateAt(1), 1e-15);
    assertEquals(0.01 + 0.03 * 5 / 10, c.learningRateAt(6), 1e-15);
    assertEquals(0.04, c.learningRateAt(10), 1e-15);
    assertEquals(0.04, c.learningRateAt(500), 1e-15);
    assertEquals(0.01, TrainConfig.builder().workers(4).learningRate(0.01).build().learningRateAt(7), 0);
  }

  @Test
  void cosineScheduleDecaysToZeroOverTheRun() {
    TrainConfig c = TrainConfig.builder().learningRate(0.1).lrSchedule("cosine").build();
    assertEquals(0.1, c.learningRateAt(1, 100), 1e-15);
    assertEquals(0.05, c.learningRateAt(51, 100), 1e-12);
    assertEquals(0.0, c.learningRateAt(101, 100), 1e-15);
    assertEquals(0.1, TrainConfig.builder().learningRate(0.1).build().learningRateAt(51, 100), 0);
  }

  @Test
  void invalidValuesNameTheFlag() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainConfig.builder().lrScaling("sqrt").build());
    assertTrue(e.getMessage().contains("--lr-scaling"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().freeze(java.util.List.of("conv1"))
        .build());
    assertTrue(e.getMessage().contains("need --init-model"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().averaging("ring").build());
    assertTrue(e.getMessage().contains("--averaging"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().augment("rotate").build());
    assertTrue(e.getMessage().equals("invalid value rotate for --augment: must be one of none, flip, crop-flip, "
        + "rrc-flip"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().imageSize(-1).build());
    assertTrue(e.getMessage().contains("--image-size"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().shuffleBuffer(0).build());
    assertTrue(e.getMessage().contains("--shuffle-buffer"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().optimizerState("shared").build());
    assertTrue(e.getMessage().contains("--optimizer-state"), e.getMessage());
    assertEquals(Choices.OptimizerState.AVERAGED, TrainConfig.defaults().optimizerState());
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().optimizer("lbfgs"));
    assertEquals("invalid value lbfgs for --optimizer: must be one of sgd, nesterov, adam, adamw, rmsprop, adagrad",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().optimizer("adam").beta1(1).build());
    assertEquals("invalid value 1.0 for --beta1: must be in [0, 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().clipNorm(1).clipValue(1).build());
    assertTrue(e.getMessage().contains("--clip-norm/--clip-value"), e.getMessage());
  }

  @Test
  void everyChoiceParsesItsLabelsAndNothingElse() {
    for (Class<? extends Enum<?>> type : java.util.List.<Class<? extends Enum<?>>>of(Choices.Averaging.class,
        Choices.OptimizerState.class, Choices.Augment.class, Choices.LrSchedule.class, Choices.LrScaling.class,
        Choices.OptimizerName.class, Choices.ExportFormat.class, Choices.ProgressMode.class, Choices.Exchange.class)) {
      for (Enum<?> e : type.getEnumConstants()) {
        Choices.Choice c = (Choices.Choice) e;
        assertEquals(e, parse(type, c.label()));
        assertThrows(IllegalArgumentException.class, () -> parse(type, e.name()), "the enum name is not a label");
      }
    }
    assertEquals(Choices.Augment.CROP_FLIP, TrainConfig.builder().augment("crop-flip").build().augment());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object parse(Class type, String value) {
    return Choices.parse(type, "--x", value);
  }

  @Test
  void theOptimizerIsBuiltFromItsSettingsAndSgdKeepsItsOldIdentity() {
    TrainConfig sgd = TrainConfig.defaults();
    assertEquals(new dev.fovea.optim.Sgd(0.5, 0.9, 0), sgd.optimizerAt(0.5));
    assertTrue(sgd.identity().contains(" lr_schedule=constant momentum=0.9 weight_decay=0.0 seed=42 augment=none "),
        sgd.identity());
    TrainConfig adam = TrainConfig.builder().optimizer("adam").beta1(0.8).clipNorm(2).build();
    assertEquals(new dev.fovea.optim.Adam(0.5, 0.8, 0.999, 1e-8, 0), adam.optimizerAt(0.5));
    assertEquals(dev.fovea.optim.GradientClipping.byNorm(2), adam.updateRuleAt(0.5).clipping());
    assertTrue(adam.identity().contains(" optimizer=adam beta1=0.8 beta2=0.999 epsilon=1.0E-8 weight_decay=0.0 "
        + "clip_norm=2.0 "), adam.identity());
    assertEquals(new dev.fovea.optim.RmsProp(0.1, 0.9, 1e-8, 0.5, 0),
        TrainConfig.builder().optimizer("rmsprop").rho(0.9).momentum(0.5).build().optimizerAt(0.1));
  }

  @Test
  void augmentationDefaultsToNoneAndBuildsTheNamedTransforms() {
    assertEquals(Choices.Augment.NONE, TrainConfig.defaults().augment());
    dev.fovea.data.shard.Manifest m = new dev.fovea.data.shard.Manifest(2, "t", "now", "src", 1,
        dev.fovea.data.shard.Manifest.RAW, java.util.List.of(1, 28, 28), java.util.List.of("a", "b"), 2,
        java.util.List.of(1L, 1L), java.util.List.of(0.5), java.util.List.of(0.25), java.util.List.of(), null, null);
    TrainConfig c = TrainConfig.builder().augment("crop-flip").pad(2).build();
    dev.fovea.kernels.Shape input = InputTransforms.inputShape(c, m);
    assertEquals(dev.fovea.kernels.Shape.of(1, 28, 28), input);
    dev.fovea.data.image.Transform t = InputTransforms.training(c, m, input);
    assertEquals(dev.fovea.data.image.Transform.Kind.PAD_RANDOM_CROP, t.kind());
    assertEquals(2, t.pad());
    assertTrue(t.flip());
    dev.fovea.data.image.Transform v = InputTransforms.validation(m, input, m.mean(), m.std());
    assertEquals(dev.fovea.data.image.Transform.Kind.RESIZE, v.kind());
    assertTrue(!v.flip());
    assertEquals(dev.fovea.data.image.Transform.Kind.RESIZE, InputTransforms.training(TrainConfig.defaults(), m,
        input).kind());
    dev.fovea.kernels.Shape big = InputTransforms.inputShape(c.toBuilder().imageSize(224).build(), m);
    dev.fovea.data.image.Transform centre = InputTransforms.validation(m, big, m.mean(), m.std());
    assertEquals(dev.fovea.data.image.Transform.Kind.RESIZE_CENTER_CROP, centre.kind());
    assertEquals(256, centre.resize());
  }

  @Test
  void identityCoversWhatDecidesTheParameters() {
    TrainConfig a = TrainConfig.defaults();
    assertEquals(a.identity(), a.toBuilder().out("elsewhere").master("local[2]").resume(true).build().identity());
    assertNotEquals(a.identity(), a.toBuilder().learningRate(0.5).build().identity());
    assertNotEquals(a.identity(), a.toBuilder().lrScaling("linear").build().identity());
    assertNotEquals(a.identity(), a.toBuilder().augment("flip").build().identity());
    assertNotEquals(a.identity(), a.toBuilder().shuffleBuffer(77).build().identity());
    assertNotEquals(a.identity(), a.toBuilder().optimizerState("local").build().identity());
  }
}
