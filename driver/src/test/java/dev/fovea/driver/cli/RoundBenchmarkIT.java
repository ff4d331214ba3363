package dev.fovea.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A smoke test of {@code fovea benchmark rounds} (the full run against standalone clusters is
 * {@code deploy/bin/fovea-bench-rounds}, see driver/BENCHMARKS.md): two workers in local mode,
 * LeNet, the three strategies and both optimizer states; the bytes it reports follow from what each
 * strategy moves.
 */
class RoundBenchmarkIT {

  @Test
  void reportsLatencyAndTheBytesEachStrategyMovesThroughTheDriver() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "benchmark", "rounds", "--master",
        "local[2]", "--workers", "2", "--models", "lenet", "--rounds", "2", "--optimizer-state", "averaged,local", "--strategies", "tree,sharded,allreduce");
    assertEquals(0, code, err.toString());
    Map<String, String[]> rows = new HashMap<>();
    for (String line : out.toString().split("\n")) {
      if (line.startsWith("fovea: | lenet")) {
        String[] cells = line.substring("fovea: |".length()).split("\\|");
        rows.put(cells[2].trim() + "/" + cells[3].trim(), cells);
      }
    }
    assertEquals(6, rows.size(), out.toString());
    long p = number(rows.get("tree/averaged")[1]);
    assertTrue(p > 400_000, "LeNet's parameter count: " + p);
    // tree: both workers' parameters and velocity come to the driver, as floats (4 bytes a value;
    // as double sums they were 8)
    long treeResults = number(rows.get("tree/averaged")[8]);
    assertTrue(treeResults > 2 * 2 * 4 * p && treeResults < 2 * 2 * 5 * p, rows.get("tree/averaged")[8]);
    assertTrue(number(rows.get("tree/local")[8]) < number(rows.get("tree/averaged")[8]) * 6 / 10,
        rows.get("tree/local")[8]);
    assertTrue(number(rows.get("tree/averaged")[9]) > 2 * 4 * p, "broadcast: " + rows.get("tree/averaged")[9]);
    for (String state : new String[] {"averaged", "local"}) {
      String[] sharded = rows.get("sharded/" + state);
      assertTrue(number(sharded[8]) < 64 * 1024, "sharded/" + state + " result bytes: " + sharded[8]);
      assertEquals(0, number(sharded[9]), "sharded broadcasts nothing");
      assertTrue(number(sharded[10]) > 4 * p, "sharded moves the vector through the shuffle: " + sharded[10]);
      assertTrue(Double.parseDouble(sharded[5].trim()) > 0, "a latency was measured");
    }
    for (String state : new String[] {"averaged", "local"}) {
      // allreduce: the two timed rounds are one job; the vector never reaches the driver or a
      // shuffle file within it (its metrics take a one-partition shuffle of a few hundred bytes)
      String[] all = rows.get("allreduce/" + state);
      assertTrue(number(all[8]) < 64 * 1024, "allreduce/" + state + " result bytes: " + all[8]);
      assertTrue(number(all[10]) < 64 * 1024, "allreduce/" + state + " shuffle bytes: " + all[10]);
      assertTrue(number(all[9]) > 4 * p / 2, "the start state's broadcast, per round of the group: " + all[9]);
      String[] sync = all[11].split(",");
      assertTrue(Double.parseDouble(sync[0].trim()) >= 0 && Double.parseDouble(sync[1].trim())
          >= Double.parseDouble(sync[0].trim()), "in-task sync median, max: " + all[11]);
      assertTrue(all[12].contains("/") && all[12].contains("broadcast"), "the group's fixed cost: " + all[12]);
      assertTrue(Double.parseDouble(all[5].trim()) > 0, "a latency was measured");
      // the slices go through the block manager: at least the parameters as floats each round
      assertTrue(number(all[13]) >= 4 * p, "block manager bytes put: " + all[13]);
      // local mode: one block manager, so no slice is fetched from another executor
      assertEquals("0", all[14].trim(), "in-task remote transfers ms in local mode");
      // this JVM's minor page faults during the rounds' synchronisation, read from /proc (Linux)
      assertTrue(number(all[15]) >= 0, "page faults in sync: " + all[15]);
    }
    for (String other : new String[] {"tree/averaged", "sharded/averaged"}) {
      String[] r = rows.get(other);
      assertEquals(16, r.length, other + ": a cell per column");
      for (int i = 11; i < 16; i++) {
        assertEquals("-", r[i].trim(), other + ": an allreduce-only column (" + i + ")");
      }
    }
    // the phase breakdown: one line per configuration with the round's jobs, stages and tasks
    int phases = 0;
    for (String line : out.toString().split("\n")) {
      if (line.startsWith("fovea: phases | lenet")) {
        String[] cells = line.substring("fovea: phases |".length()).split("\\|");
        double jobs = Double.parseDouble(cells[4].trim());
        double tasks = Double.parseDouble(cells[6].trim());
        // allreduce: one job for both timed rounds
        assertTrue("allreduce".equals(cells[1].trim()) ? jobs == 0.5 && tasks >= 1 : jobs >= 1 && tasks >= 2, line);
        // CPU: the tasks' own, and the whole local-mode JVM's, which holds the tasks' and more
        double taskCpu = Double.parseDouble(cells[17].trim());
        double jvmCpu = Double.parseDouble(cells[18].trim());
        assertTrue(jvmCpu > 0 && jvmCpu >= taskCpu, line);
        phases++;
      }
    }
    assertEquals(6, phases, out.toString());
  }

  private static long number(String cell) {
    return Long.parseLong(cell.trim().replace(",", ""));
  }
}
