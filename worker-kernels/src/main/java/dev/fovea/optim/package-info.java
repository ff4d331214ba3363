/**
 * Optimizers that update a flat parameter vector from its gradient with a flat state vector (SGD,
 * Nesterov, Adam, AdamW, RMSProp, AdaGrad), learning-rate schedules and gradient clipping, and the
 * {@link dev.fovea.optim.UpdateRule} that combines them. Each optimizer's formula is written once,
 * element-wise over {@link dev.fovea.optim.Segment}s, and is the specification every backend's
 * update kernel is checked against. Depends on nothing else.
 */
package dev.fovea.optim;
