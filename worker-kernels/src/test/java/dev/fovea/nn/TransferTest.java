package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.kernels.Shape;
import dev.fovea.kernels.Tensor;
import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.optim.Adam;
import dev.fovea.optim.Frozen;
import dev.fovea.optim.Optimizer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TransferTest {

  private static float[] slice(float[] v, ParamLayout.Slice s) {
    return Arrays.copyOfRange(v, s.offset(), s.offset() + s.size());
  }

  @Test
  void frozenLayersAndTheirBatchNormStatisticsStayBitwiseUnchanged() {
    Network net = Zoo.build("resnet20", Shape.of(3, 8, 8), 4);
    ModelFile.Model source = new ModelFile.Model(net, "resnet20", List.of("a", "b", "c", "d"),
        net.layout().initialize(1), net.bufferLayout().initialize(1), null, Map.of());
    ModelFile.Model m = Transfer.replaceHead(source, "fc", List.of("x", "y", "z"), 2);
    assertEquals(3, m.network().numClasses());
    assertEquals(null, m.zoo());
    // everything but the head keeps its values
    ParamLayout.Slice w = m.network().layout().slice("stage2.0.conv1.weights");
    assertArrayEquals(slice(source.params(), source.network().layout().slice(w.name())), slice(m.params(), w));

    List<String> frozenLayers = Transfer.layersUpTo(m.network(), "stage2.2.relu");
    BitSet mask = Transfer.frozenMask(m.network(), frozenLayers);
    Optimizer opt = new Frozen(new Adam(1e-2, 0.9, 0.999, 1e-8, 1e-3), mask);
    float[] p = m.params().clone();
    float[] buf = m.buffers().clone();
    float[] g = new float[p.length];
    float[] state = new float[opt.stateSize(p.length)];
    SplittableRandom r = new SplittableRandom(3);
    float[] x = new float[4 * 3 * 64];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    ReferenceBackend b = new ReferenceBackend();
    for (int step = 1; step <= 3; step++) {
      m.network().lossAndGradient(b, p, buf, g, Tensor.wrap(x, Shape.of(4, 3, 8, 8)), new int[] {0, 1, 2, 0}, step,
          mask);
      for (int i = mask.nextSetBit(0); i >= 0; i = mask.nextSetBit(i + 1)) {
        assertEquals(0f, g[i], "a frozen parameter has no gradient");
      }
      opt.step(p, g, state, step);
    }
    for (String layer : frozenLayers) {
      for (ParamLayout.Slice s : m.network().slicesOf(layer)) {
        assertArrayEquals(slice(m.params(), s), slice(p, s), s.name());
      }
    }
    ParamLayout.Slice frozenMean = m.network().bufferLayout().slice("stage2.2.conv2_bn.mean");
    assertArrayEquals(slice(m.buffers(), frozenMean), slice(buf, frozenMean), "frozen batch norm statistics");
    ParamLayout.Slice liveMean = m.network().bufferLayout().slice("stage3.0.conv1_bn.mean");
    assertFalse(Arrays.equals(slice(m.buffers(), liveMean), slice(buf, liveMean)));
    ParamLayout.Slice live = m.network().layout().slice("stage3.0.conv1.weights");
    assertFalse(Arrays.equals(slice(m.params(), live), slice(p, live)));
  }

  @Test
  void unknownLayersAreNamed() {
    Network net = Zoo.lenet(Shape.of(1, 28, 28), 10);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Transfer.frozenMask(net, List.of("conv1", "conv9")));
    assertEquals("cannot freeze [conv9]: no such layers", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Transfer.layersUpTo(net, "conv9"));
    assertEquals("no layer named 'conv9'", e.getMessage());
  }
}
