package dev.fovea.driver;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

/**
 * What the driver's ITs read from Spark's own metrics: how many tasks failed, and how many bytes of
 * task results reached the driver per job group (a training run names each round's jobs {@code
 * fovea-round-R}). Call {@code spark.sparkContext().listenerBus().waitUntilEmpty()} before reading.
 */
final class TaskCounter extends SparkListener {
  private final AtomicInteger failedTasks = new AtomicInteger();
  private final Map<Integer, String> stageGroup = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> resultBytes = new ConcurrentHashMap<>();

  /** A counter listening to {@code spark} from now on. */
  static TaskCounter attach(SparkSession spark) {
    TaskCounter c = new TaskCounter();
    spark.sparkContext().addSparkListener(c);
    return c;
  }

  @Override
  public void onJobStart(SparkListenerJobStart job) {
    String group = job.properties().getProperty("spark.jobGroup.id", "");
    job.stageIds().foreach(id -> stageGroup.put((Integer) id, group));
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    if (!end.taskInfo().successful()) {
      failedTasks.incrementAndGet();
    }
    String group = stageGroup.getOrDefault(end.stageId(), "");
    resultBytes.computeIfAbsent(group, g -> new AtomicLong()).addAndGet(end.taskMetrics().resultSize());
  }

  /** Tasks that failed (and were retried) since the counter was attached. */
  int failedTasks() {
    return failedTasks.get();
  }

  /** Bytes of task results sent to the driver by the jobs of {@code group} since the last {@link #clearResultBytes}. */
  long resultBytes(String group) {
    AtomicLong b = resultBytes.get(group);
    if (b == null) {
      throw new AssertionError("no task of job group '" + group + "' ended; groups seen: " + resultBytes.keySet());
    }
    return b.get();
  }

  void clearResultBytes() {
    resultBytes.clear();
  }
}
