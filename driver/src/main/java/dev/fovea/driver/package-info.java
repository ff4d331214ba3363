/**
 * The driver: run configuration, the training loop in rounds on Spark, evaluation and outputs,
 * the Spark session and Kryo setup. Depends on worker-kernels, data-pipeline and Spark (provided).
 */
package dev.fovea.driver;
