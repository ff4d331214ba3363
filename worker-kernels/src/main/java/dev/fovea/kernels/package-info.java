/**
 * Tensors, shapes and the closed set of ops ({@link dev.fovea.kernels.Backend}) with their
 * parameter records, and backend discovery. Depends on nothing of Spark or Hadoop. A backend may
 * also compile whole network steps ({@link dev.fovea.kernels.NetworkCompiler}): the network is then
 * described to it as a graph of these ops ({@link dev.fovea.kernels.NetworkGraph}), with layers the
 * backend cannot run natively as {@link dev.fovea.kernels.HostOp}s. {@link dev.fovea.kernels.Sizes} is
 * the checked size arithmetic that every reader of an untrusted file (in this module and the others)
 * uses before allocating.
 */
package dev.fovea.kernels;
