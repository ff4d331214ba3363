/**
 * Networks: layers composed from backend ops ({@link dev.fovea.nn.Layer}, one record per kind), the
 * network graph with its builder and JSON form ({@link dev.fovea.nn.Network}, {@link
 * dev.fovea.nn.NetworkJson}), the flat parameter and buffer layouts ({@link dev.fovea.nn.ParamLayout}),
 * initialisers, the model zoo ({@link dev.fovea.nn.Zoo}), model files with inference ({@link
 * dev.fovea.nn.ModelFile}) and transfer learning ({@link dev.fovea.nn.Transfer}).
 *
 * <p>Depends on {@code dev.fovea.kernels}, {@code dev.fovea.optim} (the SGD a {@link
 * dev.fovea.nn.Trainer} runs) and Jackson (for the JSON in model files) only; never on
 * Spark, Hadoop or the driver. Nothing here adds an op to a backend.
 */
package dev.fovea.nn;
