package dev.fovea.kernels;

/** Element types of a {@link Tensor}. Training runs in FLOAT32; gradient checks run in FLOAT64. */
public enum DType {
  FLOAT32,
  FLOAT64
}
