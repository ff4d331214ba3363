package dev.fovea.data.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fovea.data.shard.ShardReader;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ShardCacheTest {

  private static ShardReader.Rows rows(int n, int size) {
    byte[][] images = new byte[n][size];
    return new ShardReader.Rows(images, new int[n]);
  }

  @Test
  void loadsEachShardOnceAndEvictsTheLeastRecentlyUsedBeyondTheBudget() {
    // each shard: 10 rows of 84 bytes = 10 · (84 + 16) + 10 · 4 = 1040 bytes; the budget holds two
    ShardCache cache = new ShardCache(2100);
    AtomicInteger loads = new AtomicInteger();
    ShardReader.Rows a = cache.get("a", () -> {
      loads.incrementAndGet();
      return rows(10, 84);
    });
    assertSame(a, cache.get("a", () -> {
      throw new AssertionError("a is cached");
    }));
    cache.get("b", () -> {
      loads.incrementAndGet();
      return rows(10, 84);
    });
    assertEquals(2080, cache.heldBytes());
    cache.get("a", () -> {
      throw new AssertionError("a is still cached");
    });
    cache.get("c", () -> {
      loads.incrementAndGet();
      return rows(10, 84);
    });
    assertEquals(2080, cache.heldBytes(), "b, the least recently used, was evicted");
    assertSame(a, cache.get("a", () -> {
      throw new AssertionError("a was used more recently than b");
    }));
    cache.get("b", () -> {
      loads.incrementAndGet();
      return rows(10, 84);
    });
    assertEquals(4, loads.get());
  }

  @Test
  void aFailedLoadIsNotCached() {
    ShardCache cache = new ShardCache(1 << 20);
    assertThrows(IllegalStateException.class, () -> cache.get("x", () -> {
      throw new IllegalStateException("unreadable");
    }));
    assertEquals(0, cache.heldBytes());
    assertEquals(3, cache.get("x", () -> rows(3, 1)).count());
  }
}
