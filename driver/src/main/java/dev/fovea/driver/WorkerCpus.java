package dev.fovea.driver;

import java.util.function.Consumer;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;

/**
 * How many CPUs a worker's task takes, and how Fovea gets them. A round task should own its
 * executor's cores (its native backend runs that many threads; two round tasks on one executor
 * would share them and train twice as slowly). On a cluster manager that schedules stages with
 * their own task resources (Spark's stage-level scheduling: standalone since Spark 3.4 with or
 * without dynamic allocation, YARN and Kubernetes where the Spark version supports it), Fovea asks
 * for {@code spark.executor.cores} CPUs per worker task itself, through a {@link ResourceProfile} on
 * the workers' RDD, so the cluster-wide {@code spark.task.cpus} can stay at 1 for the rest of the
 * application. Elsewhere (local mode, or an executor size Fovea is not told) the task takes {@code
 * spark.task.cpus}. With GPUs per task ({@code spark.task.resource.gpu.amount}) a round task takes
 * its share of the executor's cores, one task per GPU, and keeps its GPU request.
 *
 * @param cpus CPUs per worker task
 * @param threads native threads per worker ({@code --threads}, else {@code cpus})
 * @param profile the task resources to request, or null to run with the session's default
 */
public record WorkerCpus(int cpus, int threads, ResourceProfile profile) {

  /** What {@code conf} allows; {@code threadsPerWorker} 0 means one thread per CPU. */
  public static WorkerCpus of(SparkConf conf, int threadsPerWorker) {
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    int executorCores = conf.getInt("spark.executor.cores", 0);
    String master = conf.get("spark.master", "");
    boolean stageLevel = master.startsWith("spark://") || master.equals("yarn") || master.startsWith("k8s://");
    double taskGpus = gpus(conf, "spark.task.resource.gpu.amount");
    if (stageLevel && taskGpus > 0 && executorCores > 0) {
      // one round task per GPU share: the executor's cores split between its GPUs' tasks, and the
      // GPU request kept in the profile (a profile without it would give its tasks no GPU)
      double executorGpus = gpus(conf, "spark.executor.resource.gpu.amount");
      int tasks = Math.max(1, (int) Math.floor(executorGpus / taskGpus));
      int cpus = Math.max(taskCpus, executorCores / tasks);
      if (cpus == taskCpus) {
        return new WorkerCpus(taskCpus, threadsPerWorker > 0 ? threadsPerWorker : taskCpus, null);
      }
      ResourceProfile p = new ResourceProfileBuilder().require(new TaskResourceRequests().cpus(cpus)
          .resource(dev.fovea.driver.worker.TaskGpus.GPU, taskGpus)).build();
      return new WorkerCpus(cpus, threadsPerWorker > 0 ? threadsPerWorker : cpus, p);
    }
    if (stageLevel && executorCores > taskCpus) {
      ResourceProfile p = new ResourceProfileBuilder().require(new TaskResourceRequests().cpus(executorCores))
          .build();
      return new WorkerCpus(executorCores, threadsPerWorker > 0 ? threadsPerWorker : executorCores, p);
    }
    return new WorkerCpus(taskCpus, threadsPerWorker > 0 ? threadsPerWorker : taskCpus, null);
  }

  private static double gpus(SparkConf conf, String key) {
    try {
      return Double.parseDouble(conf.get(key, "0"));
    } catch (NumberFormatException e) {
      return 0; // Spark rejects a malformed amount itself when the session starts
    }
  }

  /**
   * {@code workers} with this task size requested; where the cluster manager refuses the profile
   * (a Spark version without stage-level scheduling for it), {@code workers} as they are, and one
   * line to {@code log} saying to set {@code spark.task.cpus}.
   */
  public <T> JavaRDD<T> apply(JavaRDD<T> workers, Consumer<String> log) {
    if (profile == null) {
      return workers;
    }
    try {
      JavaRDD<T> sized = workers.withResources(profile);
      log.accept("each worker's task takes " + cpus + " CPUs of its executor (requested per stage; spark.task.cpus "
          + "stays as the application set it)");
      return sized;
    } catch (RuntimeException e) {
      log.accept("note: this cluster manager does not take Fovea's per-task CPU request (" + e.getMessage()
          .lines().findFirst().orElse("") + "); set spark.task.cpus=" + cpus
          + " so that each worker's task owns its executor");
      return workers;
    }
  }
}
