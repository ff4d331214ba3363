package dev.fovea.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code fovea benchmark rounds --exchange f32,bf16}: allreduce runs once per exchange, and bf16
 * puts half the block manager bytes of f32 per round (N × T values, 2 bytes each instead of 4),
 * with its in-task synchronisation time. It runs in the same JVM as {@link RoundBenchmarkIT}, with
 * job groups of the same names: each run starts its counts from nothing.
 */
class RoundBenchmarkBf16IT {

  @Test
  void bf16PutsHalfTheBlockBytesOfF32() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fovea.run(new PrintWriter(out, true), new PrintWriter(err, true), "benchmark", "rounds", "--master",
        "local[2]", "--workers", "2", "--models", "lenet", "--rounds", "2", "--strategies", "allreduce",
        "--exchange", "f32,bf16", "--optimizer-state", "local");
    assertEquals(0, code, err.toString());
    Map<String, String[]> rows = new HashMap<>();
    for (String line : out.toString().split("\n")) {
      if (line.startsWith("fovea: | lenet")) {
        String[] cells = line.substring("fovea: |".length()).split("\\|");
        rows.put(cells[2].trim(), cells);
      }
    }
    assertEquals(2, rows.size(), out.toString());
    long p = number(rows.get("allreduce")[1]);
    long f32 = number(rows.get("allreduce")[13]);
    long bf16 = number(rows.get("allreduce bf16")[13]);
    // local optimizer state: LeNet's parameters and (no) buffers, T = P values, put once by each of the 2 workers
    assertEquals(2 * 4 * p, f32, "f32: 4 bytes a value");
    assertEquals(f32, 2 * bf16, "bf16 puts half the bytes");
    String[] sync = rows.get("allreduce bf16")[11].split(",");
    assertTrue(Double.parseDouble(sync[0].trim()) >= 0, "bf16's in-task sync time: " + rows.get("allreduce bf16")[11]);
  }

  private static long number(String cell) {
    return Long.parseLong(cell.trim().replace(",", ""));
  }
}
