package dev.fovea.data.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EpochPlanTest {

  @Test
  void slicesCoverEverySampleOnceAndBalance() {
    EpochPlan p = new EpochPlan(1003, 3, 10, 4, 7);
    assertEquals(0, p.sliceStart(0));
    assertEquals(1003, p.sliceEnd(2));
    for (int w = 0; w < 2; w++) {
      assertEquals(p.sliceEnd(w), p.sliceStart(w + 1));
    }
    assertEquals(33, p.batchesPerEpoch()); // 1003 / 3 = 334 per worker, 33 batches of 10
    assertEquals(9, p.roundsPerEpoch());
    assertEquals(4, p.stepsInRound(0));
    assertEquals(1, p.stepsInRound(8)); // 33 = 8 * 4 + 1
  }

  @Test
  void orderIsAPureFunctionOfSeedEpochWorker() {
    EpochPlan a = new EpochPlan(1000, 2, 10, 1, 7);
    EpochPlan b = new EpochPlan(1000, 2, 10, 1, 7);
    assertArrayEquals(a.order(3, 1), b.order(3, 1));
    assertFalse(Arrays.equals(a.order(3, 1), a.order(4, 1)));
    assertFalse(Arrays.equals(a.order(3, 0), a.order(3, 1)));
    int[] sorted = a.order(0, 0).clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      assertEquals(i, sorted[i]);
    }
  }
}
