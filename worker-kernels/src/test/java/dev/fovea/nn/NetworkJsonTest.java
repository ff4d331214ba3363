package dev.fovea.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Network descriptions with numbers that do not fit: refused in one line naming the source, layer and field. */
class NetworkJsonTest {

  private static String refusal(String json) {
    String m = assertThrows(NetworkJson.NetworkJsonException.class, () -> NetworkJson.parse(json, "n.json"))
        .getMessage();
    assertTrue(m.startsWith("n.json: ") && !m.contains("\n"), m);
    return m;
  }

  @Test
  void theSeedNetworkBuilds() {
    assertEquals(3, NetworkJson.parse(FuzzSeeds.NETWORK, "n.json").numClasses());
  }

  @Test
  void integersAreNeitherWrappedNorTruncated() {
    // 2^32 + 500 once read as 500 filters, 500.9 as 500 units.
    assertEquals("n.json: layer 1 ('c'): field 'filters': 4294967796 is outside the range of a 32-bit integer",
        refusal(FuzzSeeds.NETWORK.replace("\"filters\": 2", "\"filters\": 4294967796")));
    assertEquals("n.json: layer 5 ('fc'): field 'units': expects an integer, got 500.9",
        refusal(FuzzSeeds.NETWORK.replace("\"units\": 3", "\"units\": 500.9")));
    assertEquals("n.json: layer 1 ('c'): field 'padding'[1]: 4294967297 is outside the range of a 32-bit integer",
        refusal(FuzzSeeds.NETWORK.replace("\"padding\": [1, 1]", "\"padding\": [1, 4294967297]")));
    assertEquals("n.json: input_shape[2]: expects an integer, got 4.5",
        refusal(FuzzSeeds.NETWORK.replace("[1, 4, 4]", "[1, 4, 4.5]")));
  }

  @Test
  void sizesThatOverflowAreOneLine() {
    // A dense layer of 2^31 - 1 units: its weights once overflowed as an ArithmeticException.
    String m = refusal("{\"input_shape\": [1], \"layers\": [{\"type\": \"dense\", \"name\": \"f\", \"units\": "
        + Integer.MAX_VALUE + "}]}");
    assertTrue(m.contains("'f.") && m.contains("beyond the 32-bit range of a size"), m);
    m = refusal("{\"input_shape\": [1, 65536, 65536], \"layers\": [{\"type\": \"flatten\", \"name\": \"f\"}, "
        + "{\"type\": \"dense\", \"name\": \"d\", \"units\": 1}]}");
    assertTrue(m.contains("more elements than a Java array holds"), m);
  }
}
