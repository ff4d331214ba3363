package dev.fovea.kernels.backend.reference;

import static dev.fovea.kernels.testing.GradientCheck.assertClose;
import static dev.fovea.kernels.testing.GradientCheck.check;
import static dev.fovea.kernels.testing.GradientCheck.dot;
import static dev.fovea.kernels.testing.GradientCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.DType;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReferenceMaxUnpoolingTest {

  /** PyTorch's MaxUnpool2d documentation example: 4×4 of 1..16, pool 2 stride 2, unpool. */
  @Test
  void pyTorchDocumentationExample() {
    double[] v = new double[16];
    for (int i = 0; i < 16; i++) {
      v[i] = i + 1;
    }
    Tensor src = Tensor.wrap(v, Shape.of(1, 1, 4, 4));
    PoolParams p = PoolParams.max2d(2);
    Tensor pooled = Tensor.zeros(Shape.of(1, 1, 2, 2), DType.FLOAT64);
    int[] indices = new int[4];
    ReferencePooling.forwardWithIndices(p, src, pooled, indices);
    assertClose("pooled", Tensor.wrap(new double[] {6, 8, 14, 16}, pooled.shape()), pooled, 0);
    assertArrayEquals(new int[] {5, 7, 13, 15}, indices);
    assertEquals(Shape.of(1, 1, 4, 4), p.unpoolShape(pooled.shape()));
    Tensor dst = Tensor.zeros(Shape.of(1, 1, 4, 4), DType.FLOAT64);
    ReferenceMaxUnpooling.forward(pooled, indices, dst);
    assertClose("unpooled", Tensor.wrap(new double[] {0, 0, 0, 0, 0, 6, 0, 8, 0, 0, 0, 0, 0, 14, 0, 16},
        dst.shape()), dst, 0);
  }

  /** PyTorch's output_size example: a 5×5 input pools to 2×2 and unpools to an explicit 5×5. */
  @Test
  void explicitOutputSize() {
    SplittableRandom rng = new SplittableRandom(4);
    Tensor src = random(Shape.of(2, 3, 5, 5), rng);
    PoolParams p = PoolParams.max2d(2);
    Tensor pooled = Tensor.zeros(p.outputShape(src.shape()), DType.FLOAT64);
    int[] indices = new int[pooled.size()];
    ReferencePooling.forwardWithIndices(p, src, pooled, indices);
    Tensor dst = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceMaxUnpooling.forward(pooled, indices, dst);
    for (int i = 0; i < dst.size(); i++) {
      assertTrue(dst.get(i) == 0 || dst.get(i) == src.get(i));
    }
  }

  @Test
  void indicesMatchPoolingBackward() {
    SplittableRandom rng = new SplittableRandom(5);
    Tensor src = random(Shape.of(1, 2, 3, 7, 6), rng);
    PoolParams p = new PoolParams(PoolParams.Kind.MAX, new int[] {2, 3, 3}, new int[] {1, 2, 2},
        new int[] {0, 1, 1}, new int[] {0, 1, 0}, false);
    Tensor pooled = Tensor.zeros(p.outputShape(src.shape()), DType.FLOAT64);
    int[] indices = new int[pooled.size()];
    ReferencePooling.forwardWithIndices(p, src, pooled, indices);
    Tensor plain = Tensor.zeros(pooled.shape(), DType.FLOAT64);
    ReferencePooling.forward(p, src, plain);
    assertClose("same values as poolingForward", plain, pooled, 0);
    Tensor dy = random(pooled.shape(), rng);
    Tensor viaPool = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferencePooling.backward(p, src, dy, viaPool);
    Tensor viaUnpool = Tensor.zeros(src.shape(), DType.FLOAT64);
    double[] acc = new double[src.size()];
    int plane = 3 * 7 * 6;
    int per = pooled.size() / 2;
    for (int q = 0; q < indices.length; q++) {
      acc[(q / per) * plane + indices[q]] += dy.get(q);
    }
    viaUnpool.copyFrom(acc);
    assertClose("indices route like the max-pool gradient", viaPool, viaUnpool, 0);
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(6);
    Tensor x = random(Shape.of(2, 2, 6, 5), rng);
    PoolParams p = new PoolParams(PoolParams.Kind.MAX, new int[] {2, 2}, new int[] {2, 2}, new int[] {1, 0},
        new int[] {1, 0}, false);
    Tensor src = Tensor.zeros(p.outputShape(x.shape()), DType.FLOAT64);
    int[] indices = new int[src.size()];
    ReferencePooling.forwardWithIndices(p, x, src, indices);
    src = random(src.shape(), rng);
    Tensor srcF = src;
    Tensor r = random(x.shape(), rng);
    Tensor diffSrc = Tensor.zeros(src.shape(), DType.FLOAT64);
    ReferenceMaxUnpooling.backward(indices, r, diffSrc);
    check("unpool src", src, diffSrc, v -> {
      Tensor dst = Tensor.zeros(x.shape(), DType.FLOAT64);
      ReferenceMaxUnpooling.forward(srcF, indices, dst);
      return dot(dst, r);
    }, 1e-7);
  }

  @Test
  void invalidArgumentsAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReferenceMaxUnpooling.forward(Tensor.zeros(Shape.of(1, 1, 1, 1)), new int[] {9},
            Tensor.zeros(Shape.of(1, 1, 2, 2))));
    assertEquals("max unpooling: index 9 at 0 not in [0, 4)", e.getMessage());
    PoolParams avg = new PoolParams(PoolParams.Kind.AVG, new int[] {2}, new int[] {2}, new int[] {0}, new int[] {0},
        false);
    e = assertThrows(IllegalArgumentException.class,
        () -> ReferencePooling.forwardWithIndices(avg, Tensor.zeros(Shape.of(1, 1, 4)), Tensor.zeros(Shape.of(1, 1, 2)),
            new int[2]));
    assertEquals("pooling with indices: kind must be MAX, got AVG", e.getMessage());
  }
}
