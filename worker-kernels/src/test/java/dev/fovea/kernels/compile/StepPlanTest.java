package dev.fovea.kernels.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.Activation;
import dev.fovea.kernels.BatchNormParams;
import dev.fovea.kernels.ConvParams;
import dev.fovea.kernels.NetworkGraph;
import dev.fovea.kernels.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The step plan's fusion and in-place decisions, from a graph alone (no device). */
class StepPlanTest {

  private static final Shape S = Shape.of(4, 6, 6);

  private final List<NetworkGraph.Node> nodes = new ArrayList<>();

  private int node(String name, NetworkGraph.Op op, int... inputs) {
    nodes.add(new NetworkGraph.Node(name, op, inputs, S, List.of(), List.of(), true, true));
    return nodes.size() - 1;
  }

  private static NetworkGraph.Op conv() {
    return new NetworkGraph.Convolution(ConvParams.conv2d(1, 1), false);
  }

  private static NetworkGraph.Op relu() {
    return new NetworkGraph.Eltwise(Activation.RELU);
  }

  /**
   * conv → relu (fused), conv → bn → relu (fused into bn), a sum of both → relu (in place), and a
   * convolution read by a ReLU and by the sum (two readers: not fused).
   */
  private NetworkGraph residual() {
    int c1 = node("c1", conv(), -1);
    int r1 = node("r1", relu(), c1);
    int c2 = node("c2", conv(), r1);
    int bn = node("bn", new NetworkGraph.BatchNormalization(BatchNormParams.DEFAULTS, true, true, false), c2);
    int r2 = node("r2", relu(), bn);
    int c3 = node("c3", conv(), r2);
    int r3 = node("r3", relu(), c3);
    int sum = node("sum", new NetworkGraph.Sum(new double[] {1, 1}), r3, c3);
    int r4 = node("r4", relu(), sum);
    return new NetworkGraph(S, nodes, new int[] {r4}, new double[] {1});
  }

  private static boolean convOrBn(NetworkGraph.Op op) {
    return op instanceof NetworkGraph.Convolution || op instanceof NetworkGraph.BatchNormalization;
  }

  @Test
  void reluFusesIntoItsOnlyReaderAndRunsInPlaceAfterASum() {
    StepPlan p = new StepPlan(residual(), true, StepPlanTest::convOrBn);
    assertEquals(0, p.fusedInto(1), "r1 into c1");
    assertEquals(1, p.fusedRelu(0));
    assertEquals(3, p.fusedInto(4), "r2 into bn");
    assertEquals(-1, p.fusedInto(6), "c3 has two readers: r3 stays a node of its own");
    assertEquals(2, p.consumers(5));
    assertTrue(p.inPlace(8), "r4 over the sum's output");
    assertEquals(1, p.consumers(8), "the head counts as a reader");
  }

  @Test
  void theDeviceDecidesWhatFusesAndTheCallerCanTurnItOff() {
    StepPlan onlyBn = new StepPlan(residual(), true, op -> op instanceof NetworkGraph.BatchNormalization);
    assertEquals(-1, onlyBn.fusedInto(1));
    assertEquals(3, onlyBn.fusedInto(4));
    nodes.clear();
    StepPlan off = new StepPlan(residual(), false, StepPlanTest::convOrBn);
    for (int i = 0; i < 9; i++) {
      assertEquals(-1, off.fusedInto(i));
      assertFalse(off.inPlace(i));
    }
  }
}
