package dev.fovea.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.fovea.nn.NetworkJson;
import org.junit.jupiter.api.Test;

/** Control characters from crafted files never break an error message into several lines. */
class OneLineTest {

  @Test
  void controlCharactersAreEscapedAndPlainTextIsUntouched() {
    String plain = "a.json: layer 1 ('c'): unknown layer type 'é'";
    assertSame(plain, OneLine.of(plain));
    assertEquals("x\\ny\\r\\tz\\u0000\\u001b", OneLine.of("x\ny\r\tz\u0000\u001b"));
    assertNull(OneLine.of(null));
  }

  @Test
  void aLayerTypeWithALineBreakIsReportedOnOneLine() {
    // the input the network-JSON fuzz target found (committed under NetworkJsonFuzzTestInputs)
    String json = "{\"input_shape\": [1, 4, 4], \"layers\": [{\"type\": \"c\\nvolution\", \"name\": \"c\\r1\"}]}";
    String m = org.junit.jupiter.api.Assertions.assertThrows(NetworkJson.NetworkJsonException.class,
        () -> NetworkJson.parse(json, "n.json")).getMessage();
    assertFalse(m.contains("\n") || m.contains("\r"), m);
    assertEquals("n.json: layer 1 ('c\\r1'): unknown layer type 'c\\nvolution'", m.substring(0, m.indexOf(';')));
  }
}
