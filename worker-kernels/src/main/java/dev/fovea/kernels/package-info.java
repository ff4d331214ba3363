/**
 * Tensors, shapes and the closed set of ops ({@link dev.fovea.kernels.Backend}) with their
 * parameter records, and backend discovery. Depends on nothing of Spark or Hadoop.
 */
package dev.fovea.kernels;
