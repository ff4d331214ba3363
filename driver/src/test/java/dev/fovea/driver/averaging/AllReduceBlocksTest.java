package dev.fovea.driver.averaging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import org.apache.spark.network.buffer.ManagedBuffer;
import org.apache.spark.util.io.ChunkedByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * How all-reduce blocks are stored and read on a cluster: as views of at most {@link
 * SliceBlocks#VIEW_BYTES} over one buffer (read back as that buffer, without a copy), and streamed
 * from a peer into a buffer of the expected size ({@link SliceBlocks.Slice.Channel}); the buffers
 * reused through {@link SliceBuffers}.
 */
class AllReduceBlocksTest {

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @Test
  void viewsCoverTheBufferInPiecesOfAtMostTheViewSize() {
    int size = 3 * SliceBlocks.VIEW_BYTES + 12_345;
    byte[] data = random(size, 1);
    ByteBuffer whole = ByteBuffer.wrap(data);
    ByteBuffer[] views = SliceBlocks.views(whole);
    assertEquals(4, views.length);
    int at = 0;
    for (ByteBuffer v : views) {
      assertTrue(v.remaining() <= SliceBlocks.VIEW_BYTES && v.remaining() > 0, v.toString());
      assertEquals(0, v.position(), "Spark requires chunks at position 0");
      assertSame(data, v.array(), "a view, not a copy");
      assertEquals(at, v.arrayOffset());
      at += v.remaining();
    }
    assertEquals(size, at);
    assertEquals(1, SliceBlocks.views(ByteBuffer.allocate(16)).length);
    assertEquals(2, SliceBlocks.views(ByteBuffer.allocate(SliceBlocks.VIEW_BYTES + 1)).length);
  }

  @Test
  void aBlockOfViewsReadsBackAsTheOneBufferWithoutACopy() {
    byte[] data = random(2 * SliceBlocks.VIEW_BYTES + 7, 2);
    ByteBuffer back = SliceBlocks.whole(new ChunkedByteBuffer(SliceBlocks.views(ByteBuffer.wrap(data))));
    assertSame(data, back.array());
    assertEquals(0, back.arrayOffset());
    assertArrayEquals(data, bytes(back));
    // one chunk: that chunk
    ByteBuffer one = ByteBuffer.wrap(data);
    assertSame(data, SliceBlocks.whole(new ChunkedByteBuffer(new ByteBuffer[] {one})).array());
  }

  @Test
  void chunksOverOtherMemoryAreCopiedInOrder() {
    byte[] a = random(1000, 3);
    byte[] b = random(500, 4);
    ByteBuffer back = SliceBlocks.whole(new ChunkedByteBuffer(new ByteBuffer[] {ByteBuffer.wrap(a), ByteBuffer.wrap(b)}));
    byte[] expected = new byte[1500];
    System.arraycopy(a, 0, expected, 0, 1000);
    System.arraycopy(b, 0, expected, 1000, 500);
    assertArrayEquals(expected, bytes(back));
    // views of one array out of order are not the array: copied too
    byte[] c = random(2 * SliceBlocks.VIEW_BYTES, 5);
    ByteBuffer[] v = SliceBlocks.views(ByteBuffer.wrap(c));
    ByteBuffer swapped = SliceBlocks.whole(new ChunkedByteBuffer(new ByteBuffer[] {v[1], v[0]}));
    assertNotSame(c, swapped.hasArray() ? swapped.array() : null);
    assertEquals(c[SliceBlocks.VIEW_BYTES], swapped.get(0));
    assertEquals(c[0], swapped.get(SliceBlocks.VIEW_BYTES));
  }

  @Test
  void aStreamedBlockOfTheExpectedSizeArrivesWhole() throws IOException {
    byte[] data = random(1_000_003, 6);
    SliceBlocks.Slice.Channel ch = new SliceBlocks.Slice.Channel(data.length);
    for (int at = 0; at < data.length; at += 65_536) { // the pieces Netty hands over
      ByteBuffer piece = ByteBuffer.wrap(data, at, Math.min(65_536, data.length - at));
      assertEquals(piece.remaining(), ch.write(piece));
      assertEquals(0, piece.remaining(), "the piece consumed");
    }
    ManagedBuffer m = ch.closeAndRead();
    assertEquals(data.length, m.size());
    assertArrayEquals(data, bytes(m.nioByteBuffer()));
  }

  @Test
  void aStreamedBlockOfAnotherSizeFails() throws IOException {
    SliceBlocks.Slice.Channel shorter = new SliceBlocks.Slice.Channel(100);
    shorter.write(ByteBuffer.wrap(new byte[99]));
    IOException e = assertThrows(IOException.class, shorter::closeAndRead);
    assertTrue(e.getMessage().contains("99 bytes, not the expected 100"), e.getMessage());
    SliceBlocks.Slice.Channel longer = new SliceBlocks.Slice.Channel(100);
    longer.write(ByteBuffer.wrap(new byte[60]));
    IOException f = assertThrows(IOException.class, () -> longer.write(ByteBuffer.wrap(new byte[41])));
    assertTrue(f.getMessage().contains("more than the expected 100"), f.getMessage());
  }

  @Test
  void aStreamedBlockOfUnknownSizeGrows() throws IOException {
    byte[] data = random(3 * (1 << 20) + 5, 7);
    SliceBlocks.Slice.Channel ch = new SliceBlocks.Slice.Channel(-1);
    for (int at = 0; at < data.length; at += 100_000) {
      ch.write(ByteBuffer.wrap(data, at, Math.min(100_000, data.length - at)));
    }
    assertArrayEquals(data, bytes(ch.closeAndRead().nioByteBuffer()));
  }

  @Test
  void buffersGivenBackAreTakenAgainBySize() {
    int size = 123_457; // a size no other test in this JVM uses
    ByteBuffer a = SliceBuffers.take(size);
    assertEquals(size, a.capacity());
    a.position(17);
    SliceBuffers.give(a);
    ByteBuffer b = SliceBuffers.take(size);
    assertSame(a, b, "reused");
    assertEquals(0, b.position(), "cleared");
    assertEquals(size, b.limit());
    assertNotSame(b, SliceBuffers.take(size), "one given, one taken: the next is new");
    assertEquals(size + 1, SliceBuffers.take(size + 1).capacity());
    for (int i = 0; i < SliceBuffers.PER_SIZE + 3; i++) {
      SliceBuffers.give(ByteBuffer.allocate(size));
    }
    ByteBuffer[] kept = new ByteBuffer[SliceBuffers.PER_SIZE + 1];
    for (int i = 0; i < kept.length; i++) {
      kept[i] = SliceBuffers.take(size);
    }
    for (int i = 0; i < SliceBuffers.PER_SIZE; i++) {
      for (int j = i + 1; j < kept.length; j++) {
        assertNotSame(kept[i], kept[j]);
      }
    }
  }
}
