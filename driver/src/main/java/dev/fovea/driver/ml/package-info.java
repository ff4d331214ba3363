/**
 * Spark ML stages: {@link dev.fovea.driver.ml.FoveaClassifier} (an {@code Estimator} that shards a
 * DataFrame and trains with {@link dev.fovea.driver.TrainingRun}) and {@link
 * dev.fovea.driver.ml.FoveaClassificationModel} (a {@code Transformer} that predicts in batches on
 * the executors, the model loaded once per executor JVM), {@link dev.fovea.driver.ml.FoveaEstimator}
 * and {@link dev.fovea.driver.ml.FoveaModel} (the same for a typed target column: multi-label and
 * regression losses), their persistence inside a saved {@code
 * PipelineModel}, and {@link dev.fovea.driver.ml.FoveaUdfs}, the same inference as a Spark SQL
 * function. Written against Spark's Java-visible API only, so that one source tree builds against
 * Spark 3.5 (Scala 2.12) and 4.x (Scala 2.13). Depends on the driver and data-pipeline; nothing
 * else in Fovea depends on it.
 */
package dev.fovea.driver.ml;
