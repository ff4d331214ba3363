package dev.fovea.driver.report;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.executor.ExecutorMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.TaskInfo;

/**
 * Spark's view of each round's tasks, for the dashboard's stragglers chart: which executor ran
 * each worker's task and for how long. A round's jobs carry the job group {@code fovea-round-R}
 * ({@code TrainingRun} sets it); this listener maps their stages to R and records every successful
 * task of those stages in a {@link RunRecord}. Runs on Spark's listener bus thread, so a round's
 * tasks may arrive just after the round itself.
 */
final class TaskListener extends SparkListener {
  static final String GROUP_PREFIX = "fovea-round-";

  private final RunRecord record;
  private final Map<Integer, Long> roundOfStage = new ConcurrentHashMap<>();

  TaskListener(RunRecord record) {
    this.record = record;
  }

  @Override
  public void onJobStart(SparkListenerJobStart job) {
    String group = job.properties() == null ? null : job.properties().getProperty("spark.jobGroup.id");
    if (group == null || !group.startsWith(GROUP_PREFIX)) {
      return;
    }
    long round;
    try {
      round = Long.parseLong(group.substring(GROUP_PREFIX.length()));
    } catch (NumberFormatException e) {
      return;
    }
    // Scala's own iterator: the same source compiles on Scala 2.12 (Spark 3.5) and 2.13 (Spark 4).
    scala.collection.Iterator<Object> stages = job.stageIds().iterator();
    while (stages.hasNext()) {
      roundOfStage.put((Integer) stages.next(), round);
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    Long round = roundOfStage.get(end.stageId());
    TaskInfo info = end.taskInfo();
    if (round == null || info == null || !info.successful()) {
      return;
    }
    ExecutorMetrics metrics = end.taskExecutorMetrics();
    long heap = metrics == null ? 0 : metrics.getMetricValue("JVMHeapMemory");
    record.task(round, end.stageId(), info.index(), info.executorId(), info.duration() / 1000.0, heap);
  }
}
