/**
 * Deeplearning4j interchange: {@link dev.fovea.nn.dl4j.Dl4jImport} reads a DL4J model zip (as
 * {@code ModelSerializer} writes it: {@code configuration.json} with a {@code MultiLayerNetwork}
 * or {@code ComputationGraph} configuration, {@code coefficients.bin} with the flat parameter
 * vector in ND4J's binary array format) into a Fovea model, and {@link
 * dev.fovea.nn.dl4j.Dl4jExport} writes a Fovea model as such a zip. Both formats are read and
 * written here, without DL4J or ND4J ({@link dev.fovea.nn.dl4j.Nd4jArrays} is the array format).
 * Depends on {@code dev.fovea.nn} and {@code dev.fovea.kernels}; nothing of Spark. See
 * docs/dl4j.md.
 */
package dev.fovea.nn.dl4j;
