/**
 * Decoded images and their codecs: JPEG, PNG and BMP through OpenCV's imgcodecs (libjpeg-turbo for
 * JPEG), with {@code javax.imageio} as the pure-Java fallback, and the fused crop, resize, flip and
 * normalise kernel that turns an image into NCHW float32. Depends on nothing else in Fovea.
 */
package dev.fovea.data.image;
