/**
 * Optimizers that update a flat parameter vector from its gradient with a flat state vector (SGD,
 * Nesterov, Adam, AdamW, RMSProp, AdaGrad), learning-rate schedules and gradient clipping.
 * Depends on nothing else.
 */
package dev.fovea.optim;
