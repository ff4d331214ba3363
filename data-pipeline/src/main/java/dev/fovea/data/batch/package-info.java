/**
 * The minibatch type ((N, C, H, W) float32 images and N labels) and the normaliser that turns raw
 * uint8 samples into one, as predictions on raw pixels use it. Training and evaluation batches come
 * from {@code dev.fovea.data.stream}.
 */
package dev.fovea.data.batch;
