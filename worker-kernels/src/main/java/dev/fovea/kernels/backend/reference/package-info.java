/**
 * The reference backend: plain-Java loops in double, one class per op with its formula. It is the
 * executable specification that every native backend matches in the conformance suite. Depends on
 * nothing but {@code dev.fovea.kernels}.
 */
package dev.fovea.kernels.backend.reference;
