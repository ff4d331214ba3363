/**
 * The executor side of the data path: the epoch plan (a pure function of seed, epoch and worker
 * count) and the normaliser that turns raw samples into float minibatches.
 */
package dev.fovea.data.batch;
