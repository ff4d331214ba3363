package dev.fovea.kernels.compile;

import dev.fovea.kernels.Backend;
import dev.fovea.kernels.HostOp;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.PoolParams;
import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;

/**
 * The host side of the fallback boundary: the {@link HostOp} a compiled step runs for a node its
 * device does not lower, through the host backend's ops.
 */
public final class HostOps {
  private HostOps() {}

  /**
   * The host op of {@code op}: a {@link NetworkGraph.Host}'s own, or an element-wise or pooling
   * node (an activation kind or a parameter the device lacks) computed by the host backend.
   *
   * @param batch the compiled batch (a global pooling's output is {@code (N, C)})
   */
  public static HostOp of(NetworkGraph.Op op, int batch) {
    if (op instanceof NetworkGraph.Host h) {
      return h.op();
    }
    if (op instanceof NetworkGraph.Eltwise e) {
      return new HostOp() {
        @Override
        public Tensor forward(Backend b, Tensor[] srcs, float[] params, float[] buffers,
            boolean training, long seed) {
          Tensor dst = Tensor.zeros(srcs[0].shape());
          b.eltwiseForward(e.f(), srcs[0], dst);
          return dst;
        }

        @Override
        public Tensor[] backward(Backend b, Tensor[] srcs, Tensor dst, Tensor diffDst,
            float[] params, float[] grads) {
          Tensor diffSrc = Tensor.zeros(srcs[0].shape());
          b.eltwiseBackward(e.f(), srcs[0], diffDst, diffSrc);
          return new Tensor[] {diffSrc};
        }
      };
    }
    if (op instanceof NetworkGraph.Pooling || op instanceof NetworkGraph.GlobalPooling) {
      return new HostOp() {
        private PoolParams p(Tensor src) {
          return op instanceof NetworkGraph.Pooling q ? q.p()
              : PoolParams.global(((NetworkGraph.GlobalPooling) op).kind(), src.shape());
        }

        @Override
        public Tensor forward(Backend b, Tensor[] srcs, float[] params, float[] buffers,
            boolean training, long seed) {
          PoolParams p = p(srcs[0]);
          Tensor dst = Tensor.zeros(p.outputShape(srcs[0].shape()));
          b.poolingForward(p, srcs[0], dst);
          return op instanceof NetworkGraph.GlobalPooling ? dst.reshape(Shape.of(batch, dst.size() / batch)) : dst;
        }

        @Override
        public Tensor[] backward(Backend b, Tensor[] srcs, Tensor dst, Tensor diffDst,
            float[] params, float[] grads) {
          PoolParams p = p(srcs[0]);
          Tensor diffSrc = Tensor.zeros(srcs[0].shape());
          b.poolingBackward(p, srcs[0], diffDst.reshape(p.outputShape(srcs[0].shape())), diffSrc);
          return new Tensor[] {diffSrc};
        }
      };
    }
    throw new IllegalStateException("no host op for " + op);
  }
}
