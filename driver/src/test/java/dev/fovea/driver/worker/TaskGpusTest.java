package dev.fovea.driver.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** GPU addresses as device ordinals, and when a configuration asks for GPUs. */
class TaskGpusTest {

  @Test
  void anAddressIsADeviceOrdinal() {
    assertEquals(0, TaskGpus.ordinal("0"));
    assertEquals(3, TaskGpus.ordinal(" 3 "));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TaskGpus.ordinal("GPU-1f2e"));
    assertEquals("GPU address 'GPU-1f2e' from Spark's resource discovery is not a CUDA device ordinal (0, 1, ...)",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TaskGpus.ordinal("-1"));
  }

  @Test
  void outsideATaskThereIsNoGpu() {
    assertEquals(-1, TaskGpus.ordinal());
  }

  @Test
  void gpusAreRequestedByExecutorOrTaskAmounts() {
    assertFalse(TaskGpus.requested(new SparkConf(false)));
    assertFalse(TaskGpus.requested(new SparkConf(false).set("spark.executor.resource.gpu.amount", "0")));
    assertTrue(TaskGpus.requested(new SparkConf(false).set("spark.executor.resource.gpu.amount", "2")));
    assertTrue(TaskGpus.requested(new SparkConf(false).set("spark.task.resource.gpu.amount", "0.5")));
  }
}
