/**
 * Layers composed from backend ops, the network and its flat parameter layout, initialisers and
 * the model zoo. Depends on {@code dev.fovea.kernels} only.
 */
package dev.fovea.nn;
