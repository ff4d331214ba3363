/** Optimizers that update a flat parameter vector from its gradient. Depends on nothing else. */
package dev.fovea.optim;
