package dev.fovea.driver.worker;

import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The GPU Spark assigned to the running task, and whether a Spark configuration asks for GPUs.
 * With {@code spark.task.resource.gpu.amount} set, Spark's scheduler gives each concurrent task its
 * own addresses from those the executor discovered ({@code spark.executor.resource.gpu.*}, the
 * discovery script {@code deploy/conf/gpu-discovery.sh}); a CUDA address is the device ordinal.
 */
public final class TaskGpus {
  private TaskGpus() {}

  /** Spark's resource name for GPUs. */
  public static final String GPU = "gpu";

  /**
   * The device ordinal of the first GPU address Spark assigned to the running task; -1 when none
   * (no task, or a task without GPUs).
   *
   * @throws IllegalArgumentException when the address is not a device ordinal (a discovery script
   *     must print CUDA indices)
   */
  public static int ordinal() {
    TaskContext tc = TaskContext.get();
    if (tc == null) {
      return -1;
    }
    ResourceInformation gpu = tc.resourcesJMap().get(GPU);
    if (gpu == null || gpu.addresses().length == 0) {
      return -1;
    }
    return ordinal(gpu.addresses()[0]);
  }

  /** A GPU address as a CUDA device ordinal. */
  static int ordinal(String address) {
    try {
      int d = Integer.parseInt(address.trim());
      if (d >= 0) {
        return d;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("GPU address '" + address + "' from Spark's resource discovery is not a CUDA"
        + " device ordinal (0, 1, ...)");
  }

  /** Whether {@code conf} asks for GPUs: executor or task GPU amounts above 0. */
  public static boolean requested(SparkConf conf) {
    return amount(conf, "spark.executor.resource.gpu.amount") > 0 || amount(conf, "spark.task.resource.gpu.amount") > 0;
  }

  private static double amount(SparkConf conf, String key) {
    try {
      return Double.parseDouble(conf.get(key, "0"));
    } catch (NumberFormatException e) {
      return 0; // Spark itself rejects a malformed amount when it starts
    }
  }
}
