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
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().optimizerState("shared").build());
    assertTrue(e.getMessage().contains("--optimizer-state"), e.getMessage());
    assertEquals("averaged", TrainConfig.defaults().optimizerState());
  }

  @Test
  void identityCoversWhatDecidesTheParameters() {
    TrainConfig a = TrainConfig.defaults();
    assertEquals(a.identity(), a.toBuilder().out("elsewhere").master("local[2]").resume(true).build().identity());
    assertNotEquals(a.identity(), a.toBuilder().learningRate(0.5).build().identity());
    assertNotEquals(a.identity(), a.toBuilder().lrScaling("linear").build().identity());
    assertNotEquals(a.identity(), a.toBuilder().optimizerState("local").build().identity());
  }
}
