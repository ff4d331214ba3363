package dev.fovea.driver.averaging;

import dev.fovea.driver.averaging.AllReduce.Slice;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.TaskContext;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.storage.BlockId;
import org.apache.spark.storage.BlockManager;

/**
 * One worker's all-reduce of one round in {@link AllReduce}, chunk by chunk: each of the N slices
 * is cut into chunks of at most {@code chunk} floats (the last chunk of a slice holds the rest; a
 * slice shorter than a chunk is one chunk, an empty slice one empty chunk), and every chunk is a
 * block of its own, so the exchange runs as a pipeline:
 *
 * <ol>
 *   <li>{@link #putRaw}: the worker puts its raw chunks for every other worker, chunk 0 of every
 *       peer first;
 *   <li>{@link #averageOwn}: it averages its own slice chunk by chunk, each chunk as soon as every
 *       peer's raw chunk exists, and puts each averaged chunk at once, so the peers' all-gather of
 *       chunk c runs while it averages chunk c + 1;
 *   <li>{@link #gather}: it reads every other slice's averaged chunks into its arrays.
 * </ol>
 *
 * Where the tasks do not share one block manager (a cluster), one fetch thread per peer ({@link
 * Fetcher}) reads that peer's raw chunks ahead of the averaging and then its averaged chunks, so the
 * transfers (encrypted by default on a cluster) overlap with each other and with the summation. The
 * sums are the same whatever arrives first: each value is summed in double in worker order and
 * divided, exactly as before chunking ({@link AllReduce#average}), so the result stays bitwise
 * {@link Averager}'s. Where all tasks share one block manager (local mode), the blocks are read in
 * place without threads and are not registered with the master ({@code tellMaster} false: no RPC
 * per block; the driver's {@code removeRdd} still reaches every block manager).
 *
 * <p>The chunk size is {@value #DEFAULT_CHUNK} unless the Spark setting {@value #CHUNK_KEY} (or a
 * local property of that name on the driver thread) says otherwise; it changes nothing in the result.
 */
final class ChunkedExchange implements Serializable {
  private static final long serialVersionUID = 1L;
  /** The Spark setting (and driver-thread local property) for the chunk size, a byte size ("4m"). */
  static final String CHUNK_KEY = "spark.fovea.allreduce.chunk";
  static final String DEFAULT_CHUNK = "4m";
  /** The Spark setting (and driver-thread local property) that forces the cluster's path: true or auto. */
  static final String REMOTE_KEY = "spark.fovea.allreduce.remote";

  private static final ExecutorService FETCH = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fovea-allreduce-fetch");
    t.setDaemon(true);
    return t;
  });

  private final int n;
  private final int total;
  private final int chunk;
  private final int maxChunks;
  /** Whether the tasks may be on different block managers (blocks must be known to the master). */
  private final boolean remote;
  /**
   * In a task (each task deserializes its own exchange): the heap buffers of its removed blocks by
   * capacity, taken again for the next chunks instead of allocating (and zeroing) new ones. A
   * block's buffer returns here only once {@code removeBlock} has returned, which waits for every
   * reader's lock (a peer reading in place, a transfer to another executor): Spark then holds no
   * reference to it. The pool ends with the task.
   */
  private transient Map<Integer, ArrayDeque<ByteBuffer>> pool;
  /** In a task: the buffers of this round's raw chunks and averaged chunks, and the last round's averaged. */
  private transient List<ByteBuffer> raw;
  private transient List<ByteBuffer> averaged;
  private transient List<ByteBuffer> averagedBefore;

  /**
   * @param n the workers
   * @param total the length of the averaged vector
   * @param chunk the most floats in a chunk (at least 1)
   * @param remote false where all tasks share one block manager (local mode)
   */
  ChunkedExchange(int n, int total, int chunk, boolean remote) {
    if (chunk < 1) {
      throw new IllegalArgumentException("all-reduce: a chunk must hold at least one float, not " + chunk);
    }
    this.n = n;
    this.total = total;
    this.chunk = chunk;
    this.remote = remote;
    this.maxChunks = Math.max(1, ceilDiv(ceilDiv(total, n), chunk));
  }

  /** The chunk size in floats from the driver's settings ({@value #CHUNK_KEY}). */
  static int chunkFloats(org.apache.spark.api.java.JavaSparkContext jsc) {
    String s = jsc.getLocalProperty(CHUNK_KEY);
    if (s == null) {
      s = jsc.getConf().get(CHUNK_KEY, DEFAULT_CHUNK);
    }
    long bytes;
    try {
      bytes = JavaUtils.byteStringAsBytes(s);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(CHUNK_KEY + " must be a byte size such as 4m, not '" + s + "'");
    }
    if (bytes < 4 || bytes / 4 > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(CHUNK_KEY + " must be between 4 bytes and 8g, not '" + s + "'");
    }
    return (int) (bytes / 4);
  }

  /**
   * Whether the tasks may read each other's blocks from other executors: false in local mode (not
   * local-cluster), unless the Spark setting (or driver-thread local property) {@value #REMOTE_KEY}
   * says {@code true}, which runs the cluster's path (blocks known to the master, fetch threads) in
   * local mode too.
   */
  static boolean remote(org.apache.spark.api.java.JavaSparkContext jsc) {
    String s = jsc.getLocalProperty(REMOTE_KEY);
    if (s == null) {
      s = jsc.getConf().get(REMOTE_KEY, "auto");
    }
    return switch (s) {
      case "true" -> true;
      case "auto" -> !AllReduce.oneBlockManager(jsc.master());
      default -> throw new IllegalArgumentException(REMOTE_KEY + " must be true or auto, not '" + s + "'");
    };
  }

  private static int ceilDiv(int a, int b) {
    return (int) (((long) a + b - 1) / b);
  }

  /** The first value of slice j. */
  int sliceLo(int j) {
    return AllReduce.from(j, n, total);
  }

  /** The chunks of slice j. */
  int chunks(int j) {
    return Math.max(1, ceilDiv(sliceLo(j + 1) - sliceLo(j), chunk));
  }

  /** The first value of chunk c of slice j. */
  int chunkLo(int j, int c) {
    return sliceLo(j) + (int) Math.min((long) c * chunk, sliceLo(j + 1) - sliceLo(j));
  }

  /** One past the last value of chunk c of slice j. */
  int chunkHi(int j, int c) {
    return sliceLo(j) + (int) Math.min((long) (c + 1) * chunk, sliceLo(j + 1) - sliceLo(j));
  }

  /** The block of chunk c of kind {@code kind} from worker {@code from} to {@code to} in RDD {@code rdd}. */
  BlockId id(int rdd, int attempt, int kind, int from, int to, int c) {
    return AllReduce.id(rdd, attempt, kind, from, to, c, n, maxChunks);
  }

  /**
   * Worker w's exchange of round {@code rdd}: afterwards {@code parts} (its result: parameters ‖
   * optimizer state ‖ buffers, null parts left out) hold the average over all workers.
   *
   * @param previous the previous round's RDD id in this group, or -1: its averaged chunks of w are
   *     removed once every peer has put this round's raw chunks (so has read them)
   */
  void run(TaskContext ctx, BlockManager bm, int rdd, int previous, int attempt, int w, float[]... parts) {
    if (pool == null) {
      pool = new HashMap<>();
      raw = new ArrayList<>();
      averaged = new ArrayList<>();
      averagedBefore = new ArrayList<>();
    }
    putRaw(bm, rdd, attempt, w, parts);
    AtomicBoolean stop = new AtomicBoolean();
    Fetcher[] fetchers = new Fetcher[n];
    try {
      if (remote) {
        for (int j = 0; j < n; j++) {
          if (j != w) {
            fetchers[j] = new Fetcher(ctx, bm, rdd, attempt, w, j, stop, parts);
            fetchers[j].future = FETCH.submit(fetchers[j]);
          }
        }
      }
      averageOwn(ctx, bm, rdd, attempt, w, fetchers, stop, parts);
      if (previous >= 0) {
        for (int c = 0; c < chunks(w); c++) {
          bm.removeBlock(id(previous, attempt, AllReduce.AVERAGED, w, 0, c), remote);
        }
        give(averagedBefore);
      }
      averagedBefore.addAll(averaged);
      averaged.clear();
      gather(ctx, bm, rdd, attempt, w, fetchers, stop, parts);
    } finally {
      stop.set(true);
      for (Fetcher f : fetchers) {
        if (f != null) {
          f.finish();
        }
      }
    }
    for (int j = 0; j < n; j++) { // worker j put all its averaged chunks, so it has read w's raw chunks
      if (j != w) {
        for (int c = 0; c < chunks(j); c++) {
          bm.removeBlock(id(rdd, attempt, AllReduce.RAW, w, j, c), remote);
        }
      }
    }
    give(raw);
  }

  /** A buffer of {@code bytes} bytes, little-endian, from the pool where it has one. */
  private ByteBuffer take(int bytes) {
    ArrayDeque<ByteBuffer> q = pool.get(bytes);
    ByteBuffer b = q == null ? null : q.poll();
    return (b == null ? ByteBuffer.allocate(bytes) : b.clear()).order(AllReduce.ORDER);
  }

  /** The buffers of removed blocks back to the pool. */
  private void give(List<ByteBuffer> buffers) {
    for (ByteBuffer b : buffers) {
      pool.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>()).add(b);
    }
    buffers.clear();
  }

  /** Reduce-scatter's sends: chunk c of slice j to worker j, chunk 0 of every peer first. */
  void putRaw(BlockManager bm, int rdd, int attempt, int w, float[]... parts) {
    for (int c = 0; c < maxChunks; c++) {
      for (int j = 0; j < n; j++) {
        if (j != w && c < chunks(j)) {
          ByteBuffer b = take(4 * (chunkHi(j, c) - chunkLo(j, c)));
          AllReduce.copyRange(b.asFloatBuffer(), chunkLo(j, c), chunkHi(j, c), parts);
          AllReduce.putBytes(bm, id(rdd, attempt, AllReduce.RAW, w, j, c), b, remote);
          raw.add(b);
        }
      }
    }
  }

  /**
   * Worker w's own slice, averaged chunk by chunk into {@code parts} and put as averaged chunks:
   * each value summed in double in worker order from the first worker's value and divided by N
   * ({@link AllReduce#average}). Read in place: this worker's values from its arrays, a peer's
   * from its block (in local mode from the store without a copy).
   */
  void averageOwn(TaskContext ctx, BlockManager bm, int rdd, int attempt, int w, Fetcher[] fetchers,
      AtomicBoolean stop, float[]... parts) {
    for (int c = 0; c < chunks(w); c++) {
      int lo = chunkLo(w, c);
      int hi = chunkHi(w, c);
      int len = hi - lo;
      Slice[] held = new Slice[n];
      ByteBuffer bytes = take(4 * len);
      try {
        FloatBuffer[] peers = new FloatBuffer[n];
        for (int i = 0; i < n; i++) {
          if (i != w) {
            BlockId id = id(rdd, attempt, AllReduce.RAW, i, w, c);
            held[i] = fetchers[i] != null ? fetchers[i].raw(c) : Slice.await(ctx, bm, id, remote, stop);
            if (held[i] == null) { // the fetcher found it in this executor's store
              held[i] = Slice.fetch(bm, id);
            }
            if (held[i].floats.remaining() != len) {
              throw new IllegalStateException("all-reduce: worker " + i + "'s chunk " + c + " of slice " + w
                  + " holds " + held[i].floats.remaining() + " values, not " + len);
            }
            peers[i] = held[i].floats.slice();
          }
        }
        FloatBuffer out = bytes.asFloatBuffer();
        FloatBuffer[] x = new FloatBuffer[n];
        AllReduce.pieces(lo, hi, parts, (part, at, from, length) -> {
          for (int i = 0; i < n; i++) {
            x[i] = i == w ? FloatBuffer.wrap(part, at, length).slice() : peers[i].slice(from, length);
          }
          AllReduce.average(x, out.slice(from, length));
        });
      } finally { // before the averaged chunk exists: its peers remove their raw chunks once it does
        for (Slice s : held) {
          if (s != null) {
            s.close();
          }
        }
      }
      AllReduce.scatter(bytes.asFloatBuffer(), lo, parts);
      AllReduce.putBytes(bm, id(rdd, attempt, AllReduce.AVERAGED, w, 0, c), bytes, remote);
      averaged.add(bytes);
    }
  }

  /** All-gather: every other slice's averaged chunks into {@code parts} (by the fetchers where there are). */
  void gather(TaskContext ctx, BlockManager bm, int rdd, int attempt, int w, Fetcher[] fetchers, AtomicBoolean stop,
      float[]... parts) {
    for (int j = 0; j < n; j++) {
      if (j == w) {
        continue;
      }
      if (fetchers[j] != null) {
        fetchers[j].awaitGather();
        continue;
      }
      for (int c = 0; c < chunks(j); c++) {
        try (Slice s = Slice.await(ctx, bm, id(rdd, attempt, AllReduce.AVERAGED, j, 0, c), remote, stop)) {
          AllReduce.scatter(s.floats, chunkLo(j, c), parts);
        }
      }
    }
  }

  /**
   * The fetch thread for one peer j on a cluster: reads j's raw chunks of slice w in order, ahead of
   * the averaging (a block in this executor's store is only announced: its read lock must be taken
   * by the task's own thread), then j's averaged chunks into the worker's arrays (the range of slice
   * j, which nothing else touches by then: the raw chunks were put from it before the thread
   * started).
   */
  final class Fetcher implements java.util.concurrent.Callable<Void> {
    private final TaskContext ctx;
    private final BlockManager bm;
    private final int rdd;
    private final int attempt;
    private final int w;
    private final int j;
    private final AtomicBoolean stop;
    private final float[][] parts;
    private final List<CompletableFuture<Slice>> raws = new ArrayList<>();
    private final boolean[] taken;
    Future<?> future;

    Fetcher(TaskContext ctx, BlockManager bm, int rdd, int attempt, int w, int j, AtomicBoolean stop,
        float[][] parts) {
      this.ctx = ctx;
      this.bm = bm;
      this.rdd = rdd;
      this.attempt = attempt;
      this.w = w;
      this.j = j;
      this.stop = stop;
      this.parts = parts;
      this.taken = new boolean[chunks(w)];
      for (int c = 0; c < taken.length; c++) {
        raws.add(new CompletableFuture<>());
      }
    }

    @Override
    public Void call() {
      try {
        for (int c = 0; c < taken.length; c++) {
          Slice s = Slice.await(ctx, bm, id(rdd, attempt, AllReduce.RAW, j, w, c), true, stop);
          if (s.isLocal()) {
            s.close();
            s = null;
          }
          raws.get(c).complete(s);
        }
        for (int c = 0; c < chunks(j); c++) {
          try (Slice s = Slice.await(ctx, bm, id(rdd, attempt, AllReduce.AVERAGED, j, 0, c), true, stop)) {
            AllReduce.scatter(s.floats, chunkLo(j, c), parts);
          }
        }
        return null;
      } catch (RuntimeException | Error e) {
        for (CompletableFuture<Slice> r : raws) {
          r.completeExceptionally(e);
        }
        throw e;
      }
    }

    /** Raw chunk c, or null where it is in this executor's store; the caller closes it. */
    Slice raw(int c) {
      Slice s = get(raws.get(c));
      taken[c] = true;
      return s;
    }

    /** Waits for the thread's all-gather. */
    void awaitGather() {
      get(future);
    }

    private <T> T get(Future<T> f) {
      while (true) {
        try {
          return f.get(1, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          ctx.killTaskIfInterrupted();
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException r) {
            throw r;
          }
          if (cause instanceof Error err) {
            throw err;
          }
          throw new IllegalStateException("all-reduce: fetching from worker " + j + " failed", cause);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("all-reduce: interrupted waiting for worker " + j, e);
        }
      }
    }

    /** After the exchange or its failure: waits for the thread to stop and frees what it fetched. */
    void finish() {
      if (future != null) {
        try {
          future.get();
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
          // already reported by raw() or awaitGather(), or the exchange failed elsewhere
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      for (int c = 0; c < taken.length; c++) {
        CompletableFuture<Slice> r = raws.get(c);
        if (!taken[c] && r.isDone() && !r.isCompletedExceptionally()) {
          Slice s = r.join();
          if (s != null) {
            s.close();
          }
        }
      }
    }
  }
}
