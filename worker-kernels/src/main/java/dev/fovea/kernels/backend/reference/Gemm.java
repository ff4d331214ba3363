package dev.fovea.kernels.backend.reference;

/**
 * Plain-loop matrix products in double on row-major arrays, the workhorse of the reference
 * convolution and inner product. Loops are ordered so the innermost one walks contiguous memory.
 */
final class Gemm {
  private Gemm() {}

  /** {@code C (M, N) += A (M, K) · B (K, N)}. */
  static void nn(int m, int n, int k, double[] a, int aOff, double[] b, int bOff, double[] c, int cOff) {
    for (int i = 0; i < m; i++) {
      int ci = cOff + i * n;
      for (int p = 0; p < k; p++) {
        double av = a[aOff + i * k + p];
        if (av == 0) {
          continue;
        }
        int bp = bOff + p * n;
        for (int j = 0; j < n; j++) {
          c[ci + j] += av * b[bp + j];
        }
      }
    }
  }

  /** {@code C (M, N) += Aᵀ · B} with A stored {@code (K, M)} and B {@code (K, N)}. */
  static void tn(int m, int n, int k, double[] a, int aOff, double[] b, int bOff, double[] c, int cOff) {
    for (int p = 0; p < k; p++) {
      int bp = bOff + p * n;
      for (int i = 0; i < m; i++) {
        double av = a[aOff + p * m + i];
        if (av == 0) {
          continue;
        }
        int ci = cOff + i * n;
        for (int j = 0; j < n; j++) {
          c[ci + j] += av * b[bp + j];
        }
      }
    }
  }

  /** {@code C (M, N) += A · Bᵀ} with A stored {@code (M, K)} and B {@code (N, K)}. */
  static void nt(int m, int n, int k, double[] a, int aOff, double[] b, int bOff, double[] c, int cOff) {
    for (int i = 0; i < m; i++) {
      int ai = aOff + i * k;
      for (int j = 0; j < n; j++) {
        int bj = bOff + j * k;
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int p = 0;
        for (; p + 3 < k; p += 4) {
          s0 += a[ai + p] * b[bj + p];
          s1 += a[ai + p + 1] * b[bj + p + 1];
          s2 += a[ai + p + 2] * b[bj + p + 2];
          s3 += a[ai + p + 3] * b[bj + p + 3];
        }
        for (; p < k; p++) {
          s0 += a[ai + p] * b[bj + p];
        }
        c[cOff + i * n + j] += (s0 + s1) + (s2 + s3);
      }
    }
  }
}
