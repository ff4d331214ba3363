package dev.fovea.data.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StreamPlanTest {
  static final long[] ROWS = {130, 97, 0, 211, 64, 150};

  static Set<Long> visit(StreamPlan p, int epoch, int worker) {
    Set<Long> seen = new HashSet<>();
    for (long i = 0; i < p.samplesPerEpoch(worker); i++) {
      long[] at = p.locate(epoch, worker, i);
      assertTrue(at[1] >= 0 && at[1] < ROWS[(int) at[0]]);
      assertTrue(seen.add(at[0] * 1000 + at[1]), "sample seen twice");
    }
    return seen;
  }

  @Test
  void evaluationReadsEverySampleExactlyOnceInOrder() {
    long n = Arrays.stream(ROWS).sum();
    for (int workers : new int[] {1, 3, 7}) {
      StreamPlan p = new StreamPlan(ROWS, 5, workers, 32, 100, false);
      Set<Long> all = new HashSet<>();
      long total = 0;
      for (int w = 0; w < workers; w++) {
        Set<Long> s = visit(p, 0, w);
        total += s.size();
        all.addAll(s);
        assertEquals((p.samplesPerEpoch(w) + 31) / 32, p.batchesPerEpoch(w));
      }
      assertEquals(n, total);
      assertEquals(n, all.size());
      assertArrayEquals(new long[] {0, 0}, p.locate(0, 0, 0));
    }
  }

  @Test
  void trainingGivesEveryWorkerTheSameBatchesAndNoDuplicates() {
    StreamPlan p = new StreamPlan(ROWS, 5, 3, 16, 50, true);
    Set<Long> all = new HashSet<>();
    for (int w = 0; w < 3; w++) {
      assertEquals((652 / 3) / 16, p.batchesPerEpoch(w));
      Set<Long> s = visit(p, 2, w);
      assertEquals(p.batchesPerEpoch(w) * 16L, s.size());
      for (Long x : s) {
        assertTrue(all.add(x), "two workers share a sample");
      }
    }
  }

  @Test
  void aPureFunctionOfSeedEpochAndWorkers() {
    StreamPlan a = new StreamPlan(ROWS, 5, 2, 16, 50, true);
    StreamPlan b = new StreamPlan(ROWS.clone(), 5, 2, 16, 50, true);
    long[][] e0 = new long[100][];
    boolean differs = false;
    boolean shardsDiffer = false;
    for (int i = 0; i < 100; i++) {
      e0[i] = a.locate(0, 1, i);
      assertArrayEquals(e0[i], b.locate(0, 1, i));
      differs |= !Arrays.equals(e0[i], a.locate(1, 1, i));
    }
    for (int e = 1; e < 5; e++) {
      shardsDiffer |= !Arrays.equals(a.shardOrder(0), a.shardOrder(e));
    }
    assertTrue(differs && shardsDiffer, "epochs must differ");
    assertFalse(Arrays.equals(e0[0], new StreamPlan(ROWS, 6, 2, 16, 50, true).locate(0, 1, 0))
        && Arrays.equals(e0[1], new StreamPlan(ROWS, 6, 2, 16, 50, true).locate(0, 1, 1)));
  }

  @Test
  void theShuffleStaysWithinItsWindow() {
    StreamPlan shuffled = new StreamPlan(ROWS, 5, 1, 16, 40, true);
    StreamPlan ordered = new StreamPlan(ROWS, 5, 1, 16, 1, true);
    // buffer 1 visits the epoch's shard sequence in order; buffer 40 permutes each block of 40
    Set<String> window = new HashSet<>();
    Set<String> expect = new HashSet<>();
    for (int i = 40; i < 80; i++) {
      window.add(Arrays.toString(shuffled.locate(3, 0, i)));
      expect.add(Arrays.toString(ordered.locate(3, 0, i)));
    }
    assertEquals(expect, window);
  }
}
