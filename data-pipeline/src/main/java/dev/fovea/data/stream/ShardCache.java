package dev.fovea.data.stream;

import dev.fovea.data.shard.ShardReader;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Shards as read (stored bytes, checksum verified, not decoded), kept in memory across streams of
 * one JVM: an executor that trains round after round reads each shard from the file system once
 * while the set fits, and evicts the least recently used shards when it does not. A shard is named
 * by its folder, file and CRC-32, so a rewritten set is never served from a stale copy.
 *
 * <p>Caching changes only time: a stream yields the same batches with or without it.
 */
public final class ShardCache {
  private static final ShardCache SHARED = new ShardCache(Runtime.getRuntime().maxMemory() / 4);

  private final long budget;
  private final Map<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long held;

  private static final class Entry {
    final CompletableFuture<ShardReader.Rows> rows = new CompletableFuture<>();
    long bytes;
  }

  /**
   * A cache of at most {@code budget} bytes of shard rows.
   *
   * @param budget bytes of images (plus per-row overhead) kept; shards larger than it are not kept
   */
  public ShardCache(long budget) {
    this.budget = budget;
  }

  /** The JVM's cache, holding up to a quarter of the maximum heap. */
  public static ShardCache shared() {
    return SHARED;
  }

  /** Bytes held now. */
  public synchronized long heldBytes() {
    return held;
  }

  /**
   * The rows named {@code key}, loaded by {@code load} when absent. Concurrent callers for the same
   * key wait for one load.
   */
  public ShardReader.Rows get(String key, Supplier<ShardReader.Rows> load) {
    Entry e;
    boolean mine = false;
    synchronized (this) {
      e = entries.get(key);
      if (e == null) {
        e = new Entry();
        entries.put(key, e);
        mine = true;
      }
    }
    if (mine) {
      try {
        ShardReader.Rows rows = load.get();
        long bytes = 0;
        for (byte[] img : rows.images()) {
          bytes += img.length + 16L;
        }
        bytes += 4L * rows.labels().length;
        synchronized (this) {
          e.bytes = bytes;
          held += bytes;
          evict();
        }
        e.rows.complete(rows);
        return rows;
      } catch (RuntimeException ex) {
        synchronized (this) {
          entries.remove(key, e);
        }
        e.rows.completeExceptionally(ex);
        throw ex;
      }
    }
    try {
      return e.rows.get();
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for shard " + key, ex);
    } catch (ExecutionException ex) {
      throw ex.getCause() instanceof RuntimeException re ? re : new IllegalStateException(ex.getCause());
    }
  }

  /** Drops least recently used loaded shards until the held bytes fit the budget. */
  private void evict() {
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (held > budget && it.hasNext()) {
      Entry e = it.next().getValue();
      if (e.bytes > 0) {
        held -= e.bytes;
        it.remove();
      }
    }
  }
}
