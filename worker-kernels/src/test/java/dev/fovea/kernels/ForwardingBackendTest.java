package dev.fovea.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fovea.kernels.backend.reference.ReferenceBackend;
import dev.fovea.kernels.conformance.ConformanceCases;
import dev.fovea.kernels.conformance.OpCase;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardingBackendTest {

  /** Every op of the interface is forwarded, so a native backend falls back op by op for any op it lacks. */
  @Test
  void forwardsEveryOp() throws NoSuchMethodException {
    for (Method m : Backend.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers()) || m.getName().equals("name")) {
        continue;
      }
      Method f = ForwardingBackend.class.getMethod(m.getName(), m.getParameterTypes());
      assertEquals(ForwardingBackend.class, f.getDeclaringClass(), "ForwardingBackend does not forward " + m);
      assertTrue(ReferenceBackend.class.getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass()
          != Backend.class || m.isDefault(), "ReferenceBackend does not implement " + m);
    }
  }

  /** A forwarding backend that overrides nothing gives exactly the reference's results. */
  @Test
  void fallsBackToTheDelegate() {
    Backend forwarding = new ForwardingBackend(new ReferenceBackend()) {
      @Override
      public String name() {
        return "forwarding";
      }
    };
    for (OpCase c : ConformanceCases.all()) {
      if (c.op().equals("convolution")) {
        continue; // the largest cases; convolution forwarding is covered by the reflection check
      }
      List<Tensor> expected = c.run(new ReferenceBackend());
      List<Tensor> actual = c.run(forwarding);
      assertEquals(expected.size(), actual.size(), c.toString());
      for (int t = 0; t < expected.size(); t++) {
        for (int i = 0; i < expected.get(t).size(); i++) {
          assertEquals(expected.get(t).get(i), actual.get(t).get(i), 0, c + " output " + t + " element " + i);
        }
      }
    }
  }
}
