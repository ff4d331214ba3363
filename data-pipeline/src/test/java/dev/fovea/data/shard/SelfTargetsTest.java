package dev.fovea.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.data.DataException;
import dev.fovea.data.ImageDataset;
import dev.fovea.kernels.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelfTargetsTest {

  private static byte[] bytes(int... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) v[i];
    }
    return b;
  }

  /** 4×4 → 2×2: each output pixel the mean of its 2×2 block, halves rounded up. */
  @Test
  void halvingIsTheMeanOfEachBlock() {
    byte[] src = bytes(
        0, 2, 10, 10,
        4, 5, 10, 10,
        255, 255, 1, 0,
        255, 254, 0, 0);
    byte[] dst = new byte[4];
    SelfTargets.areaResize(src, 0, 4, 4, dst, 0, 2, 2);
    // (0+2+4+5)/4 = 2.75 -> 3; 10; (255+255+255+254)/4 = 254.75 -> 255; 0.25 -> 0
    assertArrayEquals(bytes(3, 10, 255, 0), dst);
  }

  /** 3 → 2 columns: each output covers 1.5 source pixels, the middle one shared half and half. */
  @Test
  void unevenFactorsWeighPixelsByArea() {
    byte[] dst = new byte[2];
    SelfTargets.areaResize(bytes(30, 60, 90), 0, 1, 3, dst, 0, 1, 2);
    // (30 + 0.5·60) / 1.5 = 40; (0.5·60 + 90) / 1.5 = 80
    assertArrayEquals(bytes(40, 80), dst);
  }

  @Test
  void inputsAreReducedAndTargetsAreTheImages() {
    byte[] px = new byte[2 * 16];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (i * 7);
    }
    ImageDataset d = new ImageDataset("t", Shape.of(1, 4, 4), List.of("a", "b"), px, new int[] {1, 0}, "mem");
    SelfTargets.Made m = SelfTargets.resized(d, 2, 2);
    assertEquals(Shape.of(1, 2, 2), m.inputs().sampleShape());
    assertArrayEquals(new int[] {1, 0}, m.inputs().labels());
    assertEquals(TargetSpec.image(1, 4, 4), m.targets().spec());
    assertArrayEquals(px, m.targets().values());
    // sample 1's first block: 16·7, 17·7, 20·7, 21·7 -> mean 129.5 -> 130
    assertEquals(130, m.inputs().pixels()[4] & 0xff);
  }

  @Test
  void aLargerInputSizeIsRefused() {
    ImageDataset d = new ImageDataset("t", Shape.of(1, 4, 4), List.of("a"), new byte[16], new int[] {0}, "mem");
    assertEquals("mem: cannot make 5x5 inputs from 4x4 images (the input size must be between 1 and the image size)",
        assertThrows(DataException.class, () -> SelfTargets.resized(d, 5, 5)).getMessage());
  }
}
