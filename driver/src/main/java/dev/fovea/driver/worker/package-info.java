/**
 * What runs on executors during training: the round task, the state shipped to it and its result,
 * and per-JVM backend and network caches. Depends on worker-kernels and data-pipeline.
 */
package dev.fovea.driver.worker;
